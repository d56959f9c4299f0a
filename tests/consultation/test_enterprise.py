"""企业协商, major-matter hearing (重大事项论证会): implementation opens whistle cases; the topic closes when they close."""

from __future__ import annotations

import pytest

HEARING = {"title": "食品厂周边道路改造", "description": "食品厂货车进出与居民通行冲突，需改造道路和交通组织",
           "source": "党组织提出", "scope": "社区", "households": 800, "cost_estimate": 500000, "difficulty": "中",
           "authority": "社区", "sub_type": "政企协商", "enterprises": ["青禾食品厂"], "department": "区交通局"}


def to_implementation(c, inst: str) -> None:
    c.review(inst)
    meeting_at = c.notice(inst, invited=9)
    assert meeting_at == c.working_days_from(c.clock.now(), 7)  # major matters: seven working days' notice
    c.at(meeting_at)
    c.hold_meeting(inst, c.party, present=9, votes=(6, 2, 1), resolution="拓宽厂区道路，货车错峰通行")
    assert c.variables(inst)["vote"] == {"passed": True, "votes_needed": 6}  # exactly two thirds passes
    c.at(c.working_days_from(c.clock.now(), 7))


def test_hearing_opens_a_whistle_case_and_closes_when_it_closes(consult) -> None:
    c = consult
    inst = c.start("consultation_enterprise", **HEARING)
    v = c.variables(inst)
    assert (v["tier"], v["notice_days"], v["publicity_days"], v["majority_rule"]) == ("hearing", 7, 7, "出席三分之二同意")
    assert v["venue"] == "政企协商"
    assert {"街道职能部门", "专家", "人大代表和政协委员", "企业", "政府职能部门"} <= set(v["participant_types"])
    [tier] = [e for e in c.engine.history(inst, c.admin) if e.get("decision_id") == "consultation_tier"]
    assert tier["matched_rules"] == ["DecisionRule_consultation_tier_high_cost"]
    to_implementation(c, inst)

    c.plan(inst, [
        {"title": "厂区门口设置错峰通行标识", "owner": "青禾食品厂", "owner_group": "enterprise_qinghe", "deadline_days": 5},
        {"title": "拓宽厂区道路", "owner": "区交通局", "owner_group": "party_org", "deadline_days": 20,
         "needs_department": True, "department": "区交通局", "category_l1": "公共设施"},
    ])
    factory = c.engine.task(c.task(inst, "carry_out").id, c.admin)
    assert factory.candidate_groups == ["enterprise_qinghe"]
    c.do(inst, "carry_out", c.admin, {"impl_result": "标识已设置"})

    # The department's task starts a whistle case in the background and waits for it.
    assert c.open_elements(inst) == []
    assert c.engine.run_due_jobs() == 1
    [case] = c.engine.instances(c.admin, process_key="whistle_dispatch").items
    child = c.engine.instance(case.id, c.admin)
    assert child.business_key.startswith(f"{inst}:start_whistle:")  # parent, element and the task's own id
    assert child.variables["consultation"]["title"] == "食品厂周边道路改造"
    assert child.variables["consultation"]["task"] == "拓宽厂区道路"
    assert child.variables["grid"] == c.topic["grid"] and child.region == c.engine.instance(inst, c.admin).region
    assert c.variables(inst)["whistle_case"] == {"instance_id": case.id, "business_key": child.business_key}

    c.clock.set(c.working_days_from(c.clock.now(), 12))
    c.engine.complete(child.open_tasks[0].id, c.department, {"result": "道路已拓宽 3 米"})
    assert c.status(inst) == "running" and c.open_elements(inst) == []  # the reply is a job of its own
    assert c.engine.run_due_jobs() == 1
    v = c.variables(inst)
    assert c.open_elements(inst) == ["supervise"]
    [sign, road] = v["impl_results"]
    assert sign["on_time"] is True and sign["result"] == "标识已设置"
    assert road["whistle_case"] == case.id and road["whistle_status"] == "completed"
    assert road["result"] == "道路已拓宽 3 米" and road["on_time"] is True

    done = c.supervise_and_rate(inst, 3)
    assert done.status == "completed" and done.variables["topic_record"]["tier"] == "hearing"


def test_each_department_task_gets_its_own_whistle_case(consult) -> None:
    c = consult
    inst = c.start("consultation_enterprise", **HEARING)
    to_implementation(c, inst)
    c.plan(inst, [
        {"title": f"部门任务{i}", "owner": "区交通局", "owner_group": "party_org", "deadline_days": 1,
         "needs_department": True, "department": "区交通局", "category_l1": "公共设施"} for i in (1, 2)])
    assert c.engine.run_due_jobs() == 1  # starts the first case
    keys = []
    for expected_jobs in (2, 1):  # the reply, and (after the first) the start of the next case
        [case] = c.engine.instances(c.admin, process_key="whistle_dispatch", status="running").items
        keys.append(case.business_key)
        c.clock.set(c.working_days_from(c.clock.now(), 2))  # a day late
        child = c.engine.instance(case.id, c.admin)
        c.engine.complete(child.open_tasks[0].id, c.department, {"result": "已办理"})
        assert c.engine.run_due_jobs() == expected_jobs
    assert keys[0].startswith(f"{inst}:start_whistle:") and keys[1] == keys[0] + "/1"
    results = c.variables(inst)["impl_results"]
    assert [r["on_time"] for r in results] == [False, False]
    assert len({r["whistle_case"] for r in results}) == 2


@pytest.mark.parametrize(("sub_type", "extra", "expected"), [
    ("厂区协商", {}, ["企业", "职工代表"]),
    ("政企协商", {"department": "区市场监管局"}, ["企业", "政府职能部门"]),
    ("银企协商", {"bank": "青禾农商银行"}, ["企业", "银行"]),
], ids=["factory", "government", "bank"])
def test_enterprise_sub_types_invite_their_parties(consult, sub_type: str, extra: dict, expected: list[str]) -> None:
    c = consult
    inst = c.start("consultation_enterprise", sub_type=sub_type, **{"department": None, **extra})
    v = c.variables(inst)
    assert v["venue"] == sub_type and v["tier"] == "small_talk"
    assert v["participant_types"] == ["网格员", "提议居民", "相邻居民", "物业服务企业", *expected]


def test_bank_enterprise_consultation_names_the_bank(consult) -> None:
    from gongzhi import FormValidationError

    with pytest.raises(FormValidationError) as exc:
        consult.start("consultation_enterprise", sub_type="银企协商", department=None)
    assert exc.value.errors[0]["field"] == "bank"
