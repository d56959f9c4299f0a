"""The other paths: the cycle schedule, a street sending the scores back, rules, surveys, periods, validation."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from gongzhi import Actor, FormValidationError, NotAllowed, bpmn_package_path
from gongzhi.plugins.property import (
    PropertyConfig,
    PropertyPlugin,
    Roster,
    parse_period,
    period_ending_before,
    score_survey,
)
from gongzhi.plugins.whistle import WhistlePlugin

SMALL = Roster.from_dict({
    "companies": [{"code": "A1", "name": "甲物业"}, {"code": "B2", "name": "乙物业"}],
    "compounds": [{"code": "X1", "name": "东园", "grids": ["990101/001/001/01"], "company": "A1"},
                  {"code": "Y2", "name": "西园", "grids": ["990101/002/001"], "company": "B2"}],
})
HB = Actor.of("hb", "区住建局", ["housing_bureau"], "990101")
ADMIN = Actor.of("admin", "管理员", ["admin"])
DEFINITIONS = [bpmn_package_path() / "whistle", bpmn_package_path() / "property"]


@pytest.fixture
def small(make_engine):
    engine = make_engine(plugins=[WhistlePlugin(), PropertyPlugin(roster=SMALL)], disable_plugins=["whistle", "property"])
    engine.deploy(DEFINITIONS)
    return engine


def forms(score: float) -> dict[str, dict]:
    return {"rate_governance": {"governance_score": score, "hazards_fixed": 0, "praise": "无", "veto_items": []},
            "enter_survey": {"survey_input": "直接录入得分", "survey_score": score},
            "rate_inspection": {"inspection_ratings": [{"department": "住建局", "score": score}]},
            "rate_stakeholders": {"party_org_score": score, "residents_committee_score": score, "has_owners_committee": False}}


def fill_inputs(engine, instance_id: str, scores: dict[str, float]) -> int:
    done = 0
    while True:
        tasks = [t for t in engine.tasks(ADMIN, instance_id=instance_id, per_page=100).items
                 if t.element_id in ("rate_governance", "enter_survey", "rate_inspection", "rate_stakeholders")]
        if not tasks:
            return done
        for task in tasks:
            compound = engine.task(task.id, ADMIN).data["entry"]["compound"]
            actor = Actor.of("u", "u", task.candidate_groups, "990101")
            engine.complete(task.id, actor, forms(scores[compound])[task.element_id])
            done += 1


def do(engine, instance_id: str, element_id: str, data: dict):
    (task,) = [t for t in engine.tasks(ADMIN, instance_id=instance_id).items if t.element_id == element_id]
    return engine.complete(task.id, Actor.of("u", "u", task.candidate_groups, "990101"), data)


def test_street_sends_the_scores_back_and_a_second_round_counts(small, clock) -> None:
    inst = small.start("property_review", HB, {"period": "2026Q3", "review_cycle": "季度"}, region="990101")
    small.run_due_jobs()
    assert fill_inputs(small, inst.id, {"X1": 95, "Y2": 60}) == 8
    street = [t for t in small.tasks(ADMIN, instance_id=inst.id).items if t.element_id == "street_review"][0]
    assert street.candidate_groups == ["street"]
    assert "红榜 甲物业（东园）" in small.task(street.id, ADMIN).instructions
    do(small, inst.id, "street_review", {"street_verdict": "退回重评", "street_opinion": "西园检查记录缺页，重新采集"})
    assert fill_inputs(small, inst.id, {"X1": 95, "Y2": 75}) == 8
    do(small, inst.id, "street_review", {"street_verdict": "通过", "street_opinion": "已核实"})
    do(small, inst.id, "bureau_review", {"bureau_verdict": "通过", "bureau_opinion": "同意公示"})
    clock.advance(days=9)  # five working days from Monday 2 November
    assert small.fire_due_timers() == 1
    do(small, inst.id, "review_objections", {"objections": []})
    small.run_due_jobs()
    done = small.instance(inst.id, ADMIN)
    assert done.status == "completed"
    record = done.variables["period_record"]
    assert record["rounds"] == 2
    assert [(e["compound"], e["score"], e["list"], e["action"]) for e in record["entries"]] == [
        ("X1", 95.5, "红榜", "优先承接政府购买服务"), ("Y2", 77.5, "未上榜", "无")]  # no complaints: 100 in the 20 %
    assert small.instances(ADMIN, process_key="property_rectification").items == []
    # the grid of 西园 was given as a community path: it covers every grid below it
    assert SMALL.match("990101/002/001/02", "") is SMALL.compounds["Y2"]


def test_schedule_starts_the_review_of_each_period_that_ended(small, clock) -> None:
    schedule = small.start("property_schedule", HB, {"review_cycle": "季度", "cycle": "每季度"}, region="990101",
                           business_key="property_schedule:990101")
    assert schedule.open_tasks == [] and schedule.status == "running"  # no task to "do": it waits for 停止周期考评
    clock.set(datetime(2027, 2, 3, 1, 0, tzinfo=timezone.utc))  # three months after Monday 2 November 2026
    small.fire_due_timers()
    small.run_due_jobs()
    reviews = small.instances(ADMIN, process_key="property_review").items
    assert [(r.business_key, small.instance(r.id, ADMIN).variables["period"]) for r in reviews] == [("property_review:2026Q4", "2026Q4")]
    clock.set(datetime(2027, 5, 10, 1, 0, tzinfo=timezone.utc))  # the cycle repeats every 92 days
    small.fire_due_timers()
    small.run_due_jobs()
    keys = sorted(r.business_key for r in small.instances(ADMIN, process_key="property_review").items)
    assert keys == ["property_review:2026Q4", "property_review:2027Q1"]
    outsider = Actor.of("office9", "区政府督查室", ["district"], "990101")  # sees the case, may not stop it
    with pytest.raises(NotAllowed):  # stopping is the housing bureau's action, not anyone's
        small.correlate("property_schedule_stop", outsider, {"stop_reason": "不想考评"},
                        business_key="property_schedule:990101")
    done = small.correlate("property_schedule_stop", HB, {"stop_reason": "改为半年度考评"},
                           business_key="property_schedule:990101")
    assert done.status == "completed" and done.variables["stop"] == {"stop_reason": "改为半年度考评"}


@pytest.mark.parametrize(("veto", "score", "expected"), [
    (False, 90, {"list": "红榜", "band": "A", "stars": 5}),
    (False, 89.99, {"list": "未上榜", "band": "B", "stars": 4}),
    (False, 80, {"list": "未上榜", "band": "B", "stars": 4}),
    (False, 70, {"list": "未上榜", "band": "C", "stars": 3}),
    (False, 69.99, {"list": "黑榜", "band": "D", "stars": 2}),
    (False, 59.5, {"list": "黑榜", "band": "D", "stars": 1}),
    (True, 99, {"list": "黑榜", "band": "D", "stars": 1}),
])
def test_grade_thresholds(small, veto: bool, score: float, expected: dict) -> None:
    result = small.evaluate_decision("property_grade", {"scoring_input": {"veto": veto}, "score": score})["result"]
    assert {k: result[k] for k in expected} == expected


def test_score_weights_and_bonus_caps(small) -> None:
    inputs = {"scoring_input": {"governance_score": 90, "survey_score": 80, "stakeholder_score": 70, "inspection_score": 60,
                                "complaint_count": 3, "closure_rate": 1, "hazards_fixed": 5, "praise": "市级及以上表扬"}}
    assert small.evaluate_decision("property_complaint_score", inputs)["result"] == 94
    assert small.evaluate_decision("property_department_score", {**inputs, "complaint_score": 94})["result"] == 77
    assert small.evaluate_decision("property_bonus", inputs)["result"] == 4  # hazards capped at +2, city praise +2
    score = small.evaluate_decision("property_score", {**inputs, "department_score": 77, "bonus": 4})["result"]
    assert score == 36 + 16 + 15.4 + 14 + 4
    capped = small.evaluate_decision("property_score", {"scoring_input": {**inputs["scoring_input"], "governance_score": 100,
                                                                          "survey_score": 100, "stakeholder_score": 100},
                                                        "department_score": 100, "bonus": 4})["result"]
    assert capped == 100


@pytest.mark.parametrize(("now", "prev", "expected"), [
    ("红榜", "黑榜", ("优先承接政府购买服务", True)), ("黑榜", "无记录", ("整改约谈", False)),
    ("黑榜", "未上榜", ("整改约谈", False)), ("黑榜", "黑榜", ("清退", False)), ("未上榜", "黑榜", ("无", False)),
])
def test_consequence_rules(small, now: str, prev: str, expected: tuple) -> None:
    result = small.evaluate_decision("property_consequence", {"listing": {"list": now, "previous_list": prev}})["result"]
    assert (result["action"], result["priority_purchase"]) == expected


def test_policy_and_probation_rules(small) -> None:
    assert small.evaluate_decision("property_policy", {"review_cycle": "季度"})["result"] == {
        "notice_days": 5, "rectification_days": 20, "probation_months": 6}
    probation = [small.evaluate_decision("property_probation_result", {"probation_score": s, "probation_history": {"black_count": b}})
                 ["result"]["result"] for s, b in ((85, 0), (70, 0), (69, 0), (95, 1))]
    assert probation == ["转正", "转正", "不合格", "不合格"]


def test_survey_csv() -> None:
    config = PropertyConfig()
    text = "\ufeff户号,满意度\n1-101,满意\n1-102,基本满意\n1-103,\n1-104,不满意\n1-105,80\n"
    assert score_survey(text, config) == {"score": 67.5, "responses": 4, "source": "问卷"}
    assert score_survey("score\n90\n70\n", config)["score"] == 80
    with pytest.raises(ValueError, match="第 2 行"):
        score_survey("满意度\n还行\n", config)
    with pytest.raises(ValueError, match="缺少满意度列"):
        score_survey("户号,意见\n1,好\n", config)
    with pytest.raises(ValueError, match="0–100"):
        score_survey("满意度\n120\n", config)


def test_periods() -> None:
    q3 = parse_period("2026q3")
    assert str(q3) == "2026Q3" and str(q3.previous()) == "2026Q2" and str(parse_period("2026Q1").previous()) == "2025Q4"
    begin, end = q3.bounds()
    assert begin == datetime(2026, 6, 30, 16, tzinfo=timezone.utc) and end == datetime(2026, 9, 30, 16, tzinfo=timezone.utc)
    assert str(parse_period("2026H1").previous()) == "2025H2" and parse_period("2026H2").bounds()[1].month == 12
    assert str(period_ending_before(datetime(2026, 10, 9, 1, tzinfo=timezone.utc))) == "2026Q3"
    assert str(period_ending_before(datetime(2026, 7, 1, 1, tzinfo=timezone.utc), "半年度")) == "2026H1"
    with pytest.raises(ValueError, match="格式不对"):
        parse_period("2026-07")


def test_definitions_validate_with_the_plugin(make_engine) -> None:
    engine = make_engine(plugins=[WhistlePlugin(), PropertyPlugin()], disable_plugins=["whistle", "property"])
    assert engine.validate(DEFINITIONS) == []
    bare = make_engine(plugins=[WhistlePlugin()], disable_plugins=["whistle", "property"])
    missing = {p.element_id for p in bare.validate(DEFINITIONS)}
    assert {"roster", "whistle_cases", "parse_survey", "publish"} <= missing


@pytest.mark.parametrize(("csv_text", "reason"), [
    ("姓名,意见\n张三,很好\n", "缺少满意度列"),
    ("满意度\n", "至少需要表头和一行答卷"),
    ("满意度\n还行吧\n", "无法识别"),
    ("满意度\n120\n", "不在 0–100 之间"),
])
def test_the_survey_form_refuses_a_csv_the_survey_step_could_not_score(small, csv_text: str, reason: str) -> None:
    inst = small.start("property_review", HB, {"period": "2026Q3", "review_cycle": "季度"}, region="990101")
    small.run_due_jobs()
    survey = next(t for t in small.tasks(ADMIN, instance_id=inst.id, per_page=100).items if t.element_id == "enter_survey")
    actor = Actor.of("u", "u", survey.candidate_groups, "990101")
    with pytest.raises(FormValidationError) as refused:
        small.complete(survey.id, actor, {"survey_input": "上传问卷", "survey_csv": csv_text})
    (error,) = refused.value.errors
    assert error["field"] == "survey_csv" and reason in error["message"] and error["message"].startswith("问卷结果")
    assert small.task(survey.id, ADMIN).status == "open"  # nothing moved
    good = small.complete(survey.id, actor, {"survey_input": "上传问卷", "survey_csv": "满意度\n满意\n基本满意\n"})
    assert good.status == "running"
