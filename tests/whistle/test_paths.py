"""Every path through 吹哨报到, driven through the runtime API with the test clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from gongzhi import FormValidationError, NotAllowed, bpmn_package_path

START = datetime(2025, 3, 3, 1, 0, tzinfo=timezone.utc)  # Monday 09:00 China time, as in conftest
FOUR = {"accepted_at": "2025-03-03T10:00:00+08:00", "contacted": "物业经理", "measures": "协调物业清理楼道杂物",
        "resolve_by": "2025-03-05"}


def test_community_handles(world):
    inst = world.start("C-001", category_l1="物业管理", category_l2="楼道堆物", category_l3="杂物堵塞")
    task = world.find(inst.id, "community_handle")
    assert task.candidate_groups == ["community"]
    assert task.due_at == world.clock.now() + timedelta(days=3)  # 3 working days, Monday → Thursday
    detail = world.engine.task(task.id, world.actors["community"])
    assert "3 个工作日" in detail.instructions
    assert detail.data["location"]["street_name"] == "东湖街道"
    world.do(inst.id, "community_handle", {"community_outcome": "已处置", **FOUR})
    followup = world.find(inst.id, "resident_followup")
    assert followup.candidate_groups == ["grid"]
    done = world.follow_up(inst.id)
    assert done.status == "completed"
    record = done.variables["case_record"]
    assert record["handled_by"] == "社区" and record["satisfaction"] == "满意" and record["departments"] == []


def test_community_escalates_to_street_and_times_out(world):
    inst = world.start(category_l1="市容环境", category_l2="占道经营", category_l3="流动摊贩")
    with pytest.raises(FormValidationError):  # escalating needs a reason
        world.do(inst.id, "community_handle", {"community_outcome": "上报街道"})
    world.do(inst.id, "community_handle", {"community_outcome": "上报街道", "escalation_reason": "需城管执法"})
    task = world.find(inst.id, "blow_whistle")
    assert world.engine.task(task.id, world.actors["street"]).data["routing"]["lead_department"] == "chengguan"

    late = world.start(category_l1="市容环境", category_l2="占道经营", category_l3="流动摊贩")
    assert world.advance(days=2) == 0
    assert world.advance(days=1) == 1  # Thursday 09:00: 3 working days passed, the community did nothing
    assert [t.element_id for t in world.open_tasks(late.id)] == ["blow_whistle"]


def test_whistle_with_three_departments(world):
    inst = world.start("C-100")
    assert [t.element_id for t in inst.open_tasks] == ["blow_whistle"]
    routing = world.engine.task(inst.open_tasks[0].id, world.actors["street"]).data["routing"]
    assert routing == {"lead_department": "huanjing", "co_departments": ["chengguan", "shichang"]}
    inst = world.whistle(inst.id, "huanjing", ["chengguan", "shichang"])
    signs = {t.candidate_groups[0]: t for t in inst.open_tasks}
    assert set(signs) == {"dept_huanjing", "dept_chengguan", "dept_shichang"}
    for t in signs.values():
        assert t.element_id == "sign_in" and t.due_at == world.clock.now() + timedelta(hours=1)
    with pytest.raises(NotAllowed):  # 城管 cannot sign for 环保
        world.engine.complete(signs["dept_huanjing"].id, world.actors["dept_chengguan"], {"sign_decision": "签收"})
    lead = world.engine.task(signs["dept_huanjing"].id, world.actors["dept_huanjing"])
    assert "主办" in lead.instructions and lead.data["assignment"]["role"] == "主办"

    for dept in ("huanjing", "chengguan", "shichang"):
        world.do(inst.id, "sign_in", {"sign_decision": "签收"}, dept)
    onsite = world.find(inst.id, "onsite_report", "huanjing")
    assert onsite.due_at == world.clock.now() + timedelta(days=3)
    for dept in ("huanjing", "chengguan", "shichang"):
        world.handle(inst.id, dept, sign=False)
        world.rate(inst.id, street_score=4 if dept == "shichang" else 5)
    world.follow_up(inst.id, "已解决", "基本满意")
    final = world.engine.instance(inst.id, world.admin)
    assert final.status == "completed"
    record = final.variables["case_record"]
    assert record["handled_by"] == "吹哨" and record["whistle_level"] == "常规哨"
    by_dept = {r["dept"]: r for r in record["departments"]}
    assert set(by_dept) == {"huanjing", "chengguan", "shichang"}
    assert by_dept["huanjing"]["role"] == "主办" and by_dept["shichang"]["role"] == "协办"
    assert by_dept["shichang"]["street_rating"]["score"] == 4
    assert by_dept["chengguan"]["measures"] == "责令安装油烟净化设施并复查"
    assert all(r["status"] == "已办结" and r["community_score"] == 5 for r in by_dept.values())


def test_return_upheld_and_return_overruled(world):
    inst = world.start("C-200")
    world.whistle(inst.id, "huanjing", ["chengguan", "shichang"])
    world.do(inst.id, "sign_in", {"sign_decision": "退单", "return_reason": "油烟不属城管职责"}, "chengguan")
    world.do(inst.id, "sign_in", {"sign_decision": "退单", "return_reason": "不涉及经营许可问题"}, "shichang")
    reviews = [t for t in world.open_tasks(inst.id) if t.element_id == "review_return"]
    assert len(reviews) == 2 and all(t.candidate_groups == ["street"] for t in reviews)
    for review in reviews:
        detail = world.engine.task(review.id, world.actors["street"])
        verdict = "同意退单" if detail.data["dept"] == "chengguan" else "驳回退单"
        world.engine.complete(review.id, world.actors["street"], {"return_verdict": verdict, "review_opinion": "经审核"})
    # overruled: 市场监管 must handle; upheld: 城管 is out
    world.find(inst.id, "onsite_report", "shichang")
    assert not [t for t in world.open_tasks(inst.id) if t.candidate_groups == ["dept_chengguan"]]
    world.handle(inst.id, "shichang", sign=False)
    world.rate(inst.id)
    world.handle(inst.id, "huanjing")
    world.rate(inst.id)
    # the upheld return sends the case back to the street for re-dispatch
    task = world.find(inst.id, "blow_whistle")
    instructions = world.engine.task(task.id, world.actors["street"]).instructions
    assert "请重新派单：城管执法局" in instructions and "chengguan" not in instructions
    inst2 = world.whistle(inst.id, "huanjing", ["zhujian"])
    assert [(t.element_id, t.candidate_groups) for t in inst2.open_tasks] == [("sign_in", ["dept_zhujian"])]
    world.handle(inst.id, "zhujian")
    world.rate(inst.id)
    world.follow_up(inst.id)
    record = world.variables(inst.id)["case_record"]
    by_dept = {r["dept"]: r for r in record["departments"]}
    assert by_dept["chengguan"]["status"] == "已退回" and by_dept["chengguan"]["return_verdict"] == "同意退单"
    assert by_dept["shichang"]["status"] == "已办结" and by_dept["shichang"]["return_verdict"] == "驳回退单"
    assert by_dept["zhujian"]["round"] == 2 and by_dept["huanjing"]["round"] == 1


def test_extension_request_and_approval(world):
    inst = world.start(category_l1="市场监管", category_l2="无证经营", category_l3="无照摊点")
    world.whistle(inst.id, "shichang", [])
    world.do(inst.id, "sign_in", {"sign_decision": "签收"}, "shichang")
    world.do(inst.id, "onsite_report", {"arrived_at": "2025-03-03T15:00:00+08:00", "onsite_staff": "两名",
                                        "onsite_situation": "现场核实"}, "shichang")
    first = world.find(inst.id, "handle_feedback", "shichang")
    assert first.due_at == world.clock.now() + timedelta(days=14)  # 10 working days
    world.clock.advance(days=7)  # next Monday, still before the deadline
    world.do(inst.id, "handle_feedback", {"handle_outcome": "申请延期", "extension_days": 5,
                                          "extension_reason": "需等待检测报告"}, "shichang")
    approval = world.find(inst.id, "approve_extension")
    assert approval.candidate_groups == ["street"]
    with pytest.raises(FormValidationError):  # approving needs the number of days
        world.do(inst.id, "approve_extension", {"extension_approved": True, "extension_opinion": "同意"})
    world.do(inst.id, "approve_extension", {"extension_approved": True, "granted_days": 5, "extension_opinion": "同意"})
    second = world.find(inst.id, "handle_feedback", "shichang")
    assert second.due_at == first.due_at + timedelta(days=7)  # 5 working days after the old deadline, not after now
    world.feedback(inst.id, "shichang")
    world.rate(inst.id)
    world.follow_up(inst.id)
    dept = world.variables(inst.id)["case_record"]["departments"][0]
    assert dept["extensions_requested"] == 1 and dept["extension_days_granted"] == 5


def test_extensions_are_capped_in_total_by_the_limits_table(world):
    inst = world.start(category_l1="市场监管", category_l2="无证经营", category_l3="无照摊点")
    world.whistle(inst.id, "shichang", [])
    world.do(inst.id, "sign_in", {"sign_decision": "签收"}, "shichang")
    world.do(inst.id, "onsite_report", {"arrived_at": "2025-03-03T15:00:00+08:00", "onsite_staff": "两名",
                                        "onsite_situation": "现场核实"}, "shichang")
    dept = world.actors["dept_shichang"]
    feedback = world.engine.task(world.find(inst.id, "handle_feedback", "shichang").id, dept)
    assert feedback.form["properties"]["extension_days"]["maximum"] == 10  # extension_max_days, from the DMN
    assert "尚可延期 10 个工作日" in feedback.instructions
    world.do(inst.id, "handle_feedback", {"handle_outcome": "申请延期", "extension_days": 7,
                                          "extension_reason": "需等待检测报告"}, "shichang")
    approval = world.engine.task(world.find(inst.id, "approve_extension").id, world.actors["street"])
    assert approval.form["properties"]["granted_days"]["maximum"] == 10
    world.do(inst.id, "approve_extension", {"extension_approved": True, "granted_days": 7, "extension_opinion": "同意"})
    again = world.engine.task(world.find(inst.id, "handle_feedback", "shichang").id, dept)
    assert again.form["properties"]["extension_days"]["maximum"] == 3  # 10 in total per department and case
    assert "尚可延期 3 个工作日" in again.instructions
    with pytest.raises(FormValidationError) as err:  # the served maximum is enforced by the engine too
        world.do(inst.id, "handle_feedback", {"handle_outcome": "申请延期", "extension_days": 4,
                                              "extension_reason": "检测机构排期"}, "shichang")
    assert err.value.errors[0]["field"] == "extension_days"
    world.do(inst.id, "handle_feedback", {"handle_outcome": "申请延期", "extension_days": 3,
                                          "extension_reason": "检测机构排期"}, "shichang")
    with pytest.raises(FormValidationError):  # the street cannot grant beyond the cap either
        world.do(inst.id, "approve_extension", {"extension_approved": True, "granted_days": 5,
                                                "extension_opinion": "同意"})
    world.do(inst.id, "approve_extension", {"extension_approved": True, "granted_days": 3, "extension_opinion": "同意"})
    last = world.engine.task(world.find(inst.id, "handle_feedback", "shichang").id, dept)
    assert last.due_at == START + timedelta(days=14 + 14)  # 10 + 7 + 3 working days from Monday 3 March
    assert "延期已用完" in last.instructions
    with pytest.raises(FormValidationError):
        world.do(inst.id, "handle_feedback", {"handle_outcome": "申请延期", "extension_days": 1,
                                              "extension_reason": "仍需等待"}, "shichang")
    world.feedback(inst.id, "shichang")
    world.rate(inst.id)
    world.follow_up(inst.id)
    record = world.variables(inst.id)["case_record"]["departments"][0]
    assert record["extensions_requested"] == 2 and record["extension_days_granted"] == 10


def test_no_show_is_urged_reported_to_the_street_then_escalated_to_the_district(world):
    inst = world.start(category_l1="市场监管", category_l2="无证经营", category_l3="无照摊点")
    world.whistle(inst.id, "shichang", [])
    world.do(inst.id, "sign_in", {"sign_decision": "签收"}, "shichang")
    onsite = world.find(inst.id, "onsite_report", "shichang")
    assert onsite.due_at == START + timedelta(days=3)  # 3 working days
    world.advance(days=3)  # Thursday: the on-site deadline has passed
    assert [(n["kind"], n["to_name"]) for n in world.outbox.items] == [("催报到", "市场监管局"),
                                                                     ("催报到", "街道吹哨报到中心")]
    assert all(n["text"].startswith("【市场监管局】") for n in world.outbox.items)
    world.advance(days=2)  # Saturday: the weekend does not count
    assert [t.element_id for t in world.open_tasks(inst.id)] == ["onsite_report"]
    world.advance(days=3)  # Tuesday: 3 working days overdue
    assert [t.element_id for t in world.open_tasks(inst.id)] == ["report_supervise"]
    supervise = world.find(inst.id, "report_supervise")
    assert supervise.candidate_groups == ["district"]
    text = world.engine.task(supervise.id, world.actors["district"]).instructions
    assert "市场监管局" in text and "逾期 3 个工作日仍未到场" in text and "T0" not in text
    world.do(inst.id, "report_supervise", {"report_supervise_instruction": "限 1 个工作日内到场",
                                           "report_supervise_days": 1})
    again = world.find(inst.id, "onsite_report", "shichang")
    assert again.due_at == world.clock.now() + timedelta(days=1)
    world.handle(inst.id, "shichang", sign=False)
    world.rate(inst.id)
    world.follow_up(inst.id)
    record = world.variables(inst.id)["case_record"]["departments"][0]
    assert record["report_escalations"] == 1 and record["escalations"] == 0
    from gongzhi.plugins.whistle import department_report

    [row] = [r for r in department_report(world.engine, month="2025-03") if r["department"] == "shichang"]
    assert (row["onsite_escalations"], row["escalations"], row["dispatched"]) == (1, 0, 1)  # counted once, as 到场督办


def test_sign_in_counts_office_hours_unless_the_table_says_natural_time(world):
    world.clock.set(START + timedelta(hours=8))  # Monday 17:00
    inst = world.start(category_l1="市场监管", category_l2="无证经营", category_l3="无照摊点")
    world.whistle(inst.id, "shichang", [])
    sign = world.find(inst.id, "sign_in", "shichang")
    assert sign.due_at == START + timedelta(days=1)  # 17:00–17:30, then 08:30–09:00 on Tuesday
    text = world.engine.task(sign.id, world.actors["dept_shichang"]).instructions
    assert "请在 1 个工作小时内（" in text and "3月4日 09:00 前）签收" in text
    assert world.advance(hours=2) == 0 and world.outbox.items == []  # no reminder at night
    world.clock.set(START + timedelta(days=1, minutes=1))
    world.engine.fire_due_timers()
    assert [n["kind"] for n in world.outbox.items] == ["催签"]

    urgent = world.start(category_l1="市场监管", category_l2="价格欺诈", category_l3="明码标价", urgency="紧急")
    world.clock.set(START + timedelta(days=1, hours=8, minutes=20))  # Tuesday 17:20
    world.whistle(urgent.id, "shichang", [])
    sign = world.find(urgent.id, "sign_in", "shichang")
    assert sign.due_at == world.clock.now() + timedelta(minutes=30)  # an emergency counts every minute


def test_extension_requested_after_expiry_is_refused(world):
    inst = world.start(category_l1="市场监管", category_l2="无证经营", category_l3="无照摊点")
    world.whistle(inst.id, "shichang", [])
    world.do(inst.id, "sign_in", {"sign_decision": "签收"}, "shichang")
    world.do(inst.id, "onsite_report", {"arrived_at": "2025-03-03T15:00:00+08:00", "onsite_staff": "两名",
                                        "onsite_situation": "现场核实"}, "shichang")
    world.advance(days=15)  # past the 10-working-day deadline: urged, not yet escalated
    assert [n["kind"] for n in world.outbox.items] == ["催办"]
    world.do(inst.id, "handle_feedback", {"handle_outcome": "申请延期", "extension_days": 3,
                                          "extension_reason": "检测报告尚未出具"}, "shichang")
    again = world.find(inst.id, "handle_feedback", "shichang")  # no approval task: back to the department
    assert again.due_at < world.clock.now()


def test_sign_in_timers_urge_then_deem_signed(world):
    inst = world.start(category_l1="市场监管", category_l2="价格欺诈", category_l3="明码标价", urgency="紧急")
    world.whistle(inst.id, "shichang", [])
    sign = world.find(inst.id, "sign_in", "shichang")
    assert sign.due_at == world.clock.now() + timedelta(minutes=30)  # urgent: 30 minutes
    assert world.advance(minutes=31) == 1
    assert [(n["kind"], n["to_name"]) for n in world.outbox.items] == [("催签", "市场监管局")]
    assert world.find(inst.id, "sign_in", "shichang")  # still open
    world.advance(days=2)  # Wednesday 09:31: the 2 working days for a return have passed
    assert [t.element_id for t in world.open_tasks(inst.id)] == ["onsite_report"]


def test_overdue_escalates_to_district(world):
    inst = world.start(category_l1="水电气热", category_l2="停电", category_l3="小区停电")
    world.whistle(inst.id, "gongdian", [], level="重点哨")
    world.do(inst.id, "sign_in", {"sign_decision": "签收"}, "gongdian")
    world.do(inst.id, "onsite_report", {"arrived_at": "2025-03-03T15:00:00+08:00", "onsite_staff": "抢修班",
                                        "onsite_situation": "线路老化"}, "gongdian")
    handle = world.find(inst.id, "handle_feedback", "gongdian")
    assert handle.due_at == world.clock.now() + timedelta(days=9)  # 重点哨: 7 working days
    world.advance(days=9)
    assert [n["kind"] for n in world.outbox.items] == ["催办"]
    assert world.find(inst.id, "handle_feedback", "gongdian")
    world.advance(days=1)  # 1 working day overdue: not yet
    assert not [t for t in world.open_tasks(inst.id) if t.element_id == "district_supervise"]
    world.advance(days=1)  # 2 working days overdue (重点哨): escalate to the district
    supervise = world.find(inst.id, "district_supervise")
    assert supervise.candidate_groups == ["district"]
    assert not [t for t in world.open_tasks(inst.id) if t.element_id == "handle_feedback"]
    world.do(inst.id, "district_supervise", {"supervise_instruction": "限期 3 个工作日办结", "supervise_days": 3})
    again = world.find(inst.id, "handle_feedback", "gongdian")
    assert again.due_at == world.clock.now() + timedelta(days=5)  # Wednesday + 3 working days = Monday
    world.feedback(inst.id, "gongdian")
    world.rate(inst.id, street_score=2)
    world.follow_up(inst.id, "已解决", "基本满意")
    dept = world.variables(inst.id)["case_record"]["departments"][0]
    assert dept["escalations"] == 1


def test_not_satisfied_reopens_once(world):
    inst = world.start(category_l1="公共设施", category_l2="路灯", category_l3="路灯不亮")
    world.whistle(inst.id, "zhujian", [])
    world.handle(inst.id, "zhujian")
    world.rate(inst.id)
    world.follow_up(inst.id, "未解决", "不满意")
    task = world.find(inst.id, "blow_whistle")  # reopened (重办): back to the street
    assert "重办" in world.engine.task(task.id, world.actors["street"]).instructions
    world.whistle(inst.id, "zhujian", ["chengguan"])
    world.handle(inst.id, "zhujian")  # re-dispatched: the department handles again
    world.rate(inst.id)
    world.handle(inst.id, "chengguan")
    world.rate(inst.id)
    done = world.follow_up(inst.id, "部分解决", "不满意")  # only one reopening
    assert done.status == "completed"
    record = done.variables["case_record"]
    assert record["reopen_count"] == 1 and record["satisfaction"] == "不满意"
    assert [f["satisfaction"] for f in record["followups"]] == ["不满意", "不满意"]
    assert len(record["departments"]) == 3


def test_community_case_reopens_in_the_community(world):
    inst = world.start(category_l1="邻里纠纷", category_l2="噪音", category_l3="装修噪音")
    world.do(inst.id, "community_handle", {"community_outcome": "已处置", **FOUR})
    world.follow_up(inst.id, "未解决", "不满意")
    world.do(inst.id, "community_handle", {"community_outcome": "已处置", **FOUR})
    done = world.follow_up(inst.id)
    assert done.status == "completed" and done.variables["case_record"]["reopen_count"] == 1


@pytest.mark.parametrize("emergency,target", [("火情", "119"), ("警情", "110"), ("医疗急救", "120")])
def test_diverted_emergency(world, emergency, target):
    inst = world.start(emergency=emergency, urgency="紧急")
    task = world.find(inst.id, "divert")
    detail = world.engine.task(task.id, world.actors["street"])
    assert detail.data["triage"]["divert_to"] == target and target in detail.instructions
    done = world.do(inst.id, "divert", {"diverted_to": target, "transfer_no": "ZB-001"})
    assert done.status == "completed"


def test_consultation_answered_and_duplicate_linked(world):
    inst = world.start(case_type="咨询", description="请问老旧小区加装电梯补贴如何申请")
    assert world.do(inst.id, "answer_directly", {"answer_text": "可向街道城建科申请", "answer_channel": "电话"}).status == "completed"
    dup = world.start(duplicate_of="C-100")
    assert dup.status == "completed"
    assert world.variables(dup.id)["duplicate_link"]["linked_to"] == "C-100"


def test_hard_whistle_needs_the_street_leader(world):
    inst = world.start(category_l1="违法建设", category_l2="楼顶加建", category_l3="彩钢房")
    world.whistle(inst.id, "chengguan", ["zhujian"], level="疑难哨")
    approval = world.find(inst.id, "leader_approve")
    assert approval.candidate_groups == ["street_leader"]
    with pytest.raises(NotAllowed):
        world.engine.complete(approval.id, world.actors["street"], {"leader_decision": "批准", "leader_opinion": "同意"})
    world.do(inst.id, "leader_approve", {"leader_decision": "退回修改", "leader_opinion": "补充现场照片"})
    world.whistle(inst.id, "chengguan", ["zhujian"], level="疑难哨")
    world.do(inst.id, "leader_approve", {"leader_decision": "提请区级协调", "leader_opinion": "涉及多个街道"})
    world.do(inst.id, "district_coordinate", {"lead_department": "zhujian", "co_departments": ["chengguan", "gongan"],
                                              "district_opinion": "住建牵头"})
    signs = sorted(t.candidate_groups[0] for t in world.open_tasks(inst.id))
    assert signs == ["dept_chengguan", "dept_gongan", "dept_zhujian"]
    world.do(inst.id, "sign_in", {"sign_decision": "签收"}, "zhujian")
    onsite = world.find(inst.id, "onsite_report", "zhujian")
    assert onsite.due_at == world.clock.now() + timedelta(days=7)  # 疑难哨: 5 working days


def test_forms_validate_what_a_clerk_expects(world):
    with pytest.raises(FormValidationError) as err:
        world.start(reporter_mobile="1380013800")
    assert "联系电话" in str(err.value)
    with pytest.raises(FormValidationError):
        world.start(case_type="闲聊")
    inst = world.start()
    world.whistle(inst.id, "huanjing", [])
    world.handle(inst.id, "huanjing")
    with pytest.raises(FormValidationError):
        world.do(inst.id, "street_rate", {**{"street_resolved": True},
                                          "street_cooperation": 6, "street_score": 5})
    with pytest.raises(FormValidationError):
        world.do(inst.id, "community_rate", {"community_score": 0})


def test_bundled_definitions_validate(world):

    assert world.engine.validate([bpmn_package_path() / "whistle"]) == []


def test_a_street_with_its_own_limits_table_gives_its_departments_45_minutes(world):
    """Issue 17.13's example: one street's sign-in limit is 45 minutes; every other street keeps an hour."""
    from gongzhi import Actor
    from gongzhi.definitions.sources import SourceFile

    table = (bpmn_package_path() / "whistle" / "whistle_limits.dmn").read_text(encoding="utf-8")
    own = table.replace('<outputEntry id="limit_routine_o0">\n          <text>60</text>',
                        '<outputEntry id="limit_routine_o0">\n          <text>45</text>', 1)
    assert own != table
    designer = Actor.of("designer1", "街道规则员", ["designer"], "990101/001", permissions=["deploy"])
    world.engine.deploy(sources=[SourceFile("whistle_limits.dmn", own.encode())], actor=designer, region="990101/001")
    inst = world.start(category_l1="市场监管", category_l2="无证经营", category_l3="无照摊点")
    world.whistle(inst.id, "shichang", [])
    sign = world.find(inst.id, "sign_in", "shichang")
    assert sign.due_at == world.clock.now() + timedelta(minutes=45)  # Monday 09:00, in office hours
    inputs = {"whistle_level": "常规哨", "urgency": "一般"}
    assert world.engine.evaluate_decision("whistle_limits", inputs, region="990101/002")["result"]["sign_minutes"] == 60
    assert world.engine.evaluate_decision("whistle_limits", inputs, region="990101/001/001")["result"]["sign_minutes"] == 45
