"""Three consecutive quarters of the red/black-list review, driven through the runtime API.

A directory of 6 property companies and 7 compounds (the bundled 青禾区 roster),
generated inputs, and real whistle-dispatch cases about the compounds (some
closed through the community path, some left open). Each quarter's grades are
checked against an independent calculation below; 2026Q1 has an upheld
objection that lifts a compound off the black list; 安居物业 is black-listed in
2026Q1 and 2026Q2 at 翠苑二区 and expelled; its replacement serves a probation
that is reviewed at its end.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pytest

from gongzhi import SYSTEM
from gongzhi.plugins.property import Roster

ROSTER = Roster.load()
P1, P2, P3, P4, P5, P6 = (f"91990101MA000{i}" for i in range(1, 7))
P7, P7_NAME = "91990101MA0099", "城投国有物业服务有限公司"
INPUT_TASKS = ("rate_governance", "enter_survey", "rate_inspection", "rate_stakeholders")
QUARTERS = ("2026Q1", "2026Q2", "2026Q3")

# What each compound's generated inputs aim at, per quarter (the check below recomputes the grade regardless).
PLAN = {
    "2026Q1": {"C01": "high", "C02": "low", "C03": "mid", "C04": "mid", "C05": "objection", "C06": "veto", "C07": "mid"},
    "2026Q2": {"C01": "high", "C02": "low", "C03": "high", "C04": "mid", "C05": "mid", "C06": "mid", "C07": "mid"},
    "2026Q3": {"C01": "high", "C02": "mid", "C03": "mid", "C04": "mid", "C05": "mid", "C06": "mid", "C07": "low"},
}
# Whistle cases per quarter: (compound whose grid the case is filed in, address, closed?, case type).
CASES = {
    "2026Q1": [("C01", "翠苑一区 5 号楼", True, "投诉"),
               ("C02", "翠苑二区 2 号楼", True, "投诉"), ("C02", "翠苑二区 3 号楼", False, "投诉"),
               ("C02", "翠苑二区 7 号楼", False, "诉求"),
               ("C01", "翠苑二区东门（与一区相邻）", False, "投诉"),  # the address names 翠苑二区: counts there
               ("C05", "山前新村 12 幢", True, "投诉"), ("C05", "山前新村 3 幢", False, "投诉"),
               ("C07", "枫林小区 1 栋", False, "咨询")],  # a consultation is not a complaint
    "2026Q2": [("C02", "翠苑二区 1 号楼", False, "投诉"), ("C02", "翠苑二区 4 号楼", False, "投诉"),
               ("C02", "翠苑二区 9 号楼", False, "投诉"), ("C06", "山前雅苑 2 栋", True, "投诉")],
    "2026Q3": [("C07", "枫林小区 6 栋", True, "投诉"), ("C07", "枫林小区 8 栋", True, "投诉"),
               ("C02", "翠苑二区 5 号楼", True, "投诉")],
}
EARLY_Q2_CASE = ("C01", "翠苑一区 8 号楼", True, "投诉")  # filed on 1 April before the 2026Q1 review starts
OBJECTIONS = {"2026Q1": [
    {"compound": "C05", "company": P4, "objector": "山前物业服务有限公司", "reason": "治理成效评分漏计本季度已完成的电梯整改",
     "verdict": "采纳", "reply": "经街道核实，治理成效评分更正为 70 分", "corrections": {"governance_score": 70}},
    {"compound": "C02", "company": P2, "objector": "安居物业管理有限公司", "reason": "认为居民满意度样本偏少",
     "verdict": "不予采纳", "reply": "样本量符合测评规范"},
]}
REVIEW_DAYS = {"2026Q1": datetime(2026, 4, 1, 1, 0, tzinfo=timezone.utc), "2026Q2": datetime(2026, 7, 1, 1, 0, tzinfo=timezone.utc),
               "2026Q3": datetime(2026, 10, 9, 1, 0, tzinfo=timezone.utc)}
INTAKE = {"channel": "12345热线", "category_l1": "物业管理", "category_l2": "小区环境", "category_l3": "垃圾清运不及时",
          "description": "小区垃圾多日未清运，气味很大", "reporter_name": "李四", "reporter_mobile": "13900139000",
          "urgency": "一般", "emergency": "无"}
FOUR = {"accepted_at": "2026-01-05T10:00:00+08:00", "contacted": "物业项目经理", "measures": "督促物业当日清运并加密频次",
        "resolve_by": "2026-01-06"}


# --- generated inputs ---------------------------------------------------------------------------


def survey_csv(rng: random.Random, answers: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["户号", "满意度", "意见"])
    for i in range(rng.randint(12, 30)):
        writer.writerow([f"{i // 6 + 1}-{i % 6 + 1}01", rng.choice(answers), ""])
    return out.getvalue()


def generate(rng: random.Random, profile: str) -> dict[str, Any]:
    """The four forms for one compound: {element_id: data}."""
    if profile == "objection":  # a draft just below the black-list line (checked in the test)
        return {"rate_governance": {"governance_score": 62, "hazards_fixed": 0, "praise": "无", "veto_items": []},
                "enter_survey": {"survey_input": "直接录入得分", "survey_score": 70},
                "rate_inspection": {"inspection_ratings": [{"department": "住建局", "score": 70}, {"department": "消防", "score": 74}]},
                "rate_stakeholders": {"party_org_score": 70, "residents_committee_score": 72, "has_owners_committee": False}}
    low, high = {"high": (93, 99), "mid": (78, 86), "veto": (78, 86), "low": (55, 65)}[profile]

    def pick() -> float:
        return round(rng.uniform(low, high), 1)

    if profile == "high":
        survey = {"survey_input": "上传问卷", "survey_csv": survey_csv(rng, ["满意"] * 6 + ["基本满意"])}
    elif rng.random() < 0.5:
        survey = {"survey_input": "上传问卷", "survey_csv": survey_csv(rng, [str(v) for v in range(low, high + 1)])}
    else:
        survey = {"survey_input": "直接录入得分", "survey_score": pick()}
    owners = rng.random() < 0.7
    stakeholders = {"party_org_score": pick(), "residents_committee_score": pick(), "has_owners_committee": owners}
    if owners:
        stakeholders["owners_committee_score"] = pick()
    return {
        "rate_governance": {"governance_score": pick(),
                            "hazards_fixed": {"high": rng.randint(0, 3), "low": 0}.get(profile, rng.randint(0, 1)),
                            "praise": rng.choice(["无", "区级表扬"]) if profile == "high" else "无",
                            "veto_items": ["媒体曝光"] if profile == "veto" else []},
        "enter_survey": survey,
        "rate_inspection": {"inspection_ratings": [{"department": d, "score": pick()}
                                                   for d in rng.sample(["住建局", "城管", "消防", "市场监管"], rng.randint(1, 3))]},
        "rate_stakeholders": stakeholders,
    }


# --- the independent calculation ------------------------------------------------------------------

POINTS = {"满意": 100.0, "基本满意": 90.0, "一般": 60.0, "不满意": 0.0}


def d(value: float) -> Decimal:
    return Decimal(str(value))


def q2(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def expected_grade(forms: dict[str, Any], complaints: int, closed: int, corrections: dict[str, Any] | None = None) -> dict[str, Any]:
    gov = forms["rate_governance"]
    survey = forms["enter_survey"]
    if survey["survey_input"] == "上传问卷":
        answers = [row["满意度"] for row in csv.DictReader(io.StringIO(survey["survey_csv"]))]
        points = [POINTS[a] if a in POINTS else float(a) for a in answers]
        survey_score = round(sum(points) / len(points), 2)
    else:
        survey_score = round(float(survey["survey_score"]), 2)
    ratings = forms["rate_inspection"]["inspection_ratings"]
    inspection = round(sum(r["score"] for r in ratings) / len(ratings), 2)
    st = forms["rate_stakeholders"]
    parts = [st["party_org_score"], st["residents_committee_score"]]
    parts += [st["owners_committee_score"]] if st["has_owners_committee"] else []
    values = {"governance_score": gov["governance_score"], "survey_score": survey_score, "inspection_score": inspection,
              "stakeholder_score": round(sum(parts) / len(parts), 2), "hazards_fixed": gov["hazards_fixed"],
              "praise": gov["praise"], "veto_items": gov["veto_items"]}
    values.update(corrections or {})
    if complaints == 0:
        complaint_score = Decimal(100)
    else:
        rate, n = d(round(closed / complaints, 4)), Decimal(complaints)
        if rate >= Decimal("0.98"):
            complaint_score = max(Decimal(60), 100 - 2 * n)
        elif rate >= Decimal("0.9"):
            complaint_score = max(Decimal(50), 90 - 2 * n)
        else:
            complaint_score = max(Decimal(40), 80 - 2 * n)
    department = q2(d(values["inspection_score"]) * Decimal("0.5") + complaint_score * Decimal("0.5"))
    bonus = min(Decimal(values["hazards_fixed"]), Decimal(2)) + {"无": 0, "区级表扬": 1, "市级及以上表扬": 2}[values["praise"]]
    score = q2(min(Decimal(100), d(values["governance_score"]) * Decimal("0.4") + d(values["survey_score"]) * Decimal("0.2")
                   + department * Decimal("0.2") + d(values["stakeholder_score"]) * Decimal("0.2") + bonus))
    if values["veto_items"]:
        grade = ("黑榜", "D", 1)
    elif score >= 90:
        grade = ("红榜", "A", 5)
    elif score >= 80:
        grade = ("未上榜", "B", 4)
    elif score >= 70:
        grade = ("未上榜", "C", 3)
    else:
        grade = ("黑榜", "D", 2 if score >= 60 else 1)
    return {"score": float(score), "list": grade[0], "band": grade[1], "stars": grade[2],
            "complaint_score": float(complaint_score), "department_score": float(department)}


# --- driving the quarters -----------------------------------------------------------------------


class Scenario:
    def __init__(self, office) -> None:
        self.office = office
        self.engine = office.engine
        self.rng = random.Random(20260105)
        self.forms: dict[str, dict[str, dict[str, Any]]] = {}
        self.complaints: dict[str, dict[str, list[bool]]] = {q: {} for q in QUARTERS}
        self.reviews: dict[str, str] = {}
        self.drafts: dict[str, dict[str, Any]] = {}
        self.expulsion: str | None = None
        self.probation: str | None = None

    # whistle cases -------------------------------------------------------------------------

    def file_case(self, quarter: str, grid_of: str, address: str, closed: bool, case_type: str) -> str:
        grid = ROSTER.compounds[grid_of].grids[0]
        inst = self.engine.start("whistle_dispatch", self.office.admin, {**INTAKE, "address": address, "grid": grid,
                                                                         "case_type": case_type}, region=grid)
        if case_type in ("投诉", "诉求", "求助"):
            counted = ROSTER.match(grid, address)
            self.complaints[quarter].setdefault(counted.code, []).append(closed)
        if closed:
            self.office.do(inst.id, "community_handle", {"community_outcome": "已处置", **FOUR})
            done = self.office.do(inst.id, "resident_followup", {"followup_resolved": "已解决", "followup_satisfaction": "满意"})
            assert done.status == "completed"
        return inst.id

    def file_cases(self, quarter: str) -> None:
        for n, case in enumerate(CASES[quarter]):
            self.office.clock.advance(days=3 + n)
            self.file_case(quarter, *case)
            self.engine.fire_due_timers()

    # one review period ---------------------------------------------------------------------

    def review(self, quarter: str, bureau_returns: bool = False) -> str:
        office, engine = self.office, self.engine
        inst = engine.start("property_review", office.actors["housing_bureau"], {"period": quarter, "review_cycle": "季度"},
                            business_key=f"property_review:{quarter}", region="990101")
        engine.run_due_jobs()  # 确定参评企业与小区, 汇总吹哨投诉数据 (asynchronous)
        self.forms[quarter] = {code: generate(self.rng, PLAN[quarter][code]) for code in ROSTER.compounds}
        while True:
            open_inputs = [t for t in office.open_tasks(inst.id) if t.element_id in INPUT_TASKS]
            if not open_inputs:
                break
            for task in open_inputs:
                detail = engine.task(task.id, office.admin)
                compound = detail.data["entry"]["compound"]
                engine.complete(task.id, office.actor_for(task), self.forms[quarter][compound][task.element_id])
        office.do(inst.id, "street_review", {"street_verdict": "通过", "street_opinion": "数据已核实"})
        if bureau_returns:
            office.do(inst.id, "bureau_review", {"bureau_verdict": "退回街道", "bureau_opinion": "请街道复核黑榜小区的现场记录"})
            office.do(inst.id, "street_review", {"street_verdict": "通过", "street_opinion": "已复核现场记录"})
        office.do(inst.id, "bureau_review", {"bureau_verdict": "通过", "bureau_opinion": "同意公示"})
        self.drafts[quarter] = {a["compound"]: a for a in office.variables(inst.id)["assessments"]}
        assert office.open_tasks(inst.id) == []  # 公示期
        office.clock.advance(days=10)
        engine.fire_due_timers()
        office.do(inst.id, "review_objections", {"objections": OBJECTIONS.get(quarter, [])})
        engine.run_due_jobs()  # consequence processes are started asynchronously
        assert engine.instance(inst.id, office.admin).status == "completed"
        self.reviews[quarter] = inst.id
        return inst.id

    def expel(self) -> None:
        office, engine = self.office, self.engine
        expulsion = engine.instances(office.admin, process_key="property_expulsion", per_page=50).items
        assert len(expulsion) == 1
        self.expulsion = iid = expulsion[0].id
        office.do(iid, "committee_ack", {"committee_meeting_date": "2026-07-10", "selection_method": "国有物业托底接管",
                                         "committee_opinion": "同意由国有物业托底接管"})
        office.do(iid, "select_replacement", {"new_company": P7, "new_company_name": P7_NAME, "contract_from": "2026-07-15"})
        office.clock.advance(days=5)
        office.do(iid, "handover", {"handover_date": "2026-07-15", "handover_note": "物业用房、档案、维修资金账目已移交"})
        engine.run_due_jobs()  # 启动试用期考评
        assert engine.instance(iid, office.admin).status == "completed"
        probation = engine.instances(office.admin, process_key="property_probation", per_page=50).items
        assert len(probation) == 1
        self.probation = probation[0].id

    def run(self) -> "Scenario":
        clock = self.office.clock
        self.file_cases("2026Q1")
        clock.set(REVIEW_DAYS["2026Q1"] - timedelta(minutes=30))
        self.file_case("2026Q2", *EARLY_Q2_CASE)
        clock.set(REVIEW_DAYS["2026Q1"])
        self.review("2026Q1")
        clock.set(datetime(2026, 4, 20, 1, 0, tzinfo=timezone.utc))
        self.file_cases("2026Q2")
        clock.set(REVIEW_DAYS["2026Q2"])
        self.review("2026Q2", bureau_returns=True)
        self.expel()
        clock.set(datetime(2026, 8, 3, 1, 0, tzinfo=timezone.utc))
        self.file_cases("2026Q3")
        clock.set(REVIEW_DAYS["2026Q3"])
        self.review("2026Q3")
        return self

    def record(self, quarter: str) -> dict[str, Any]:
        return self.office.variables(self.reviews[quarter])["period_record"]

    def entries(self, quarter: str) -> dict[str, dict[str, Any]]:
        return {e["compound"]: e for e in self.record(quarter)["entries"]}


@pytest.fixture(scope="module")
def scenario(office_factory, tmp_path_factory) -> Scenario:
    return Scenario(office_factory(tmp_path_factory.mktemp("property"))).run()


# --- the checks -------------------------------------------------------------------------------------


@pytest.mark.parametrize("quarter", QUARTERS)
def test_grades_match_an_independent_calculation(scenario: Scenario, quarter: str) -> None:
    entries = scenario.entries(quarter)
    assert set(entries) == set(ROSTER.compounds)
    corrections = {o["compound"]: o["corrections"] for o in OBJECTIONS.get(quarter, []) if o["verdict"] == "采纳"}
    for code, entry in entries.items():
        closures = scenario.complaints[quarter].get(code, [])
        want = expected_grade(scenario.forms[quarter][code], len(closures), sum(closures), corrections.get(code))
        got = {k: entry[k] for k in want}
        assert got == want, (quarter, code, PLAN[quarter][code])
        assert entry["whistle"]["complaints"] == len(closures) and entry["whistle"]["closed"] == sum(closures)
        target = {"high": "红榜", "low": "黑榜", "veto": "黑榜", "mid": "未上榜", "objection": "未上榜"}[PLAN[quarter][code]]
        assert entry["list"] == target, (quarter, code)  # the generated inputs reach the grade they aim at


def test_whistle_cases_are_taken_from_the_whistle_process(scenario: Scenario) -> None:
    q1, q2 = scenario.entries("2026Q1"), scenario.entries("2026Q2")
    # 翠苑二区: three cases in its own grid plus one filed in 翠苑一区's grid whose address names it
    assert q1["C02"]["whistle"] | {"case_ids": None} == {"cases": 4, "complaints": 4, "closed": 1, "closure_rate": 0.25, "case_ids": None}
    assert q1["C07"]["whistle"]["cases"] == 1 and q1["C07"]["whistle"]["complaints"] == 0  # 咨询 is not a complaint
    assert q1["C01"]["whistle"]["complaints"] == 1 and q2["C01"]["whistle"]["complaints"] == 1  # 1 April counts in Q2
    assert q1["C05"]["complaint_score"] == 76.0  # 2 complaints, half closed: 80 − 2 × 2
    case_id = q1["C05"]["whistle"]["case_ids"][0]
    assert scenario.engine.instance(case_id, SYSTEM).process_key == "whistle_dispatch"


def test_an_upheld_objection_changes_the_grade(scenario: Scenario) -> None:
    draft = scenario.drafts["2026Q1"]["C05"]
    assert (draft["score"], draft["list"], draft["band"], draft["stars"]) == (67.8, "黑榜", "D", 2)
    final = scenario.entries("2026Q1")["C05"]
    assert (final["score"], final["list"], final["band"]) == (71.0, "未上榜", "C")
    assert final["adjusted"] is True and final["draft"]["list"] == "黑榜"
    assert final["objections"] == ["治理成效评分漏计本季度已完成的电梯整改"]
    assert final["scoring_input"]["governance_score"] == 70
    assert scenario.entries("2026Q1")["C02"]["adjusted"] is False  # the rejected objection changes nothing
    assert final["action"] == "无"


def test_consequences_follow_the_history(scenario: Scenario) -> None:
    q1, q2, q3 = (scenario.entries(q) for q in QUARTERS)
    assert (q1["C01"]["action"], q1["C01"]["priority_purchase"]) == ("优先承接政府购买服务", True)
    assert (q1["C02"]["action"], q1["C06"]["action"]) == ("整改约谈", "整改约谈")
    assert q1["C06"]["reason"] == "一票否决：媒体曝光"
    assert (q2["C02"]["previous_list"], q2["C02"]["action"], q2["C02"]["consequence_reason"]) == ("黑榜", "清退", "连续两期列入黑榜")
    assert (q2["C06"]["previous_list"], q2["C06"]["action"]) == ("黑榜", "无")
    assert (q3["C07"]["previous_list"], q3["C07"]["action"]) == ("未上榜", "整改约谈")
    keys = {i.business_key for i in scenario.engine.instances(scenario.office.admin, process_key="property_rectification",
                                                             per_page=50).items}
    assert keys == {"property_rectification:2026Q1:C02", "property_rectification:2026Q1:C06",
                    "property_rectification:2026Q3:C07"}


def test_expelled_after_the_second_consecutive_black_listing(scenario: Scenario) -> None:
    office = scenario.office
    expulsion = scenario.engine.instance(scenario.expulsion, office.admin)
    assert expulsion.business_key == "property_expulsion:2026Q2:C02"
    replacement = expulsion.variables["replacement"]
    assert (replacement["old_company"], replacement["new_company"], replacement["since"]) == (P2, P7, "2026-07-15")
    notices = [n for n in office.outbox.items if n["kind"] == "清退通知"]
    assert len(notices) == 1 and notices[0]["to"] == "owners_committee" and "安居物业" in notices[0]["text"]
    q3 = scenario.entries("2026Q3")["C02"]
    assert (q3["company"], q3["company_name"], q3["on_probation"], q3["previous_list"]) == (P7, P7_NAME, True, "无记录")


def test_the_replacement_gets_its_probation_review(scenario: Scenario) -> None:
    office, engine = scenario.office, scenario.engine
    iid = scenario.probation
    assert engine.instance(iid, office.admin).business_key == f"property_probation:C02:{P7}"
    assert office.open_tasks(iid) == []  # six months of probation
    office.clock.set(datetime(2027, 1, 25, 1, 0, tzinfo=timezone.utc))
    engine.fire_due_timers()
    engine.run_due_jobs()  # 汇总试用期内考评结果
    task = office.find(iid, "probation_review")
    detail = engine.task(task.id, office.actors["housing_bureau"])
    assert "6 个月试用期已满" in detail.instructions and "参加考评 1 期，列入黑榜 0 次" in detail.instructions
    done = office.do(iid, "probation_review", {"probation_score": 84, "probation_opinion": "服务平稳，居民反映良好"})
    assert done.status == "completed"
    record = done.variables["probation_record"]
    assert (record["company"], record["result"], record["black_count"]) == (P7, "转正", 0)


def test_published_lists_report(scenario: Scenario) -> None:
    engine = scenario.engine
    report = next(r for r in engine.pm.hook.gongzhi_register_reports() for r in r if r.name == "property-lists")
    rows = report.run(engine, SYSTEM, period="2026Q1")
    assert [(r["list"], r["rank"], r["compound"]) for r in rows] == [
        ("红榜", 1, "C01"),
        *[("黑榜", i, c) for i, c in enumerate(sorted(("C02", "C06"), key=lambda c: scenario.entries("2026Q1")[c]["score"]), 1)]]
    red = rows[0]
    assert red["company_name"] == "青禾物业服务有限公司" and red["priority_purchase"] is True and red["band"] == "A"
    assert all(r["reason"] for r in rows)
    text = report.to_csv(rows)
    assert text.splitlines()[0].startswith("考评期次,榜单,名次,物业企业,小区")
    assert len(text.splitlines()) == 1 + len(rows) and "翠苑一区" in text
    assert "2026年第一季度" in text and "2026Q1" not in text and "C01" not in text
    every = report.run(engine, SYSTEM, period="2026Q1", all="1")
    assert len(every) == 7 and next(r for r in every if r["compound"] == "C05")["draft_score"] == 67.8
    assert report.run(engine, SYSTEM, period="2025Q4") == []
    q2 = report.run(engine, SYSTEM, period="2026Q2")
    assert {(r["compound"], r["action"]) for r in q2 if r["list"] == "黑榜"} == {("C02", "清退")}
    stages = [(n["period"], n["stage"]) for n in scenario.office.outbox.items if n["kind"].startswith("红黑榜")]
    assert stages == [(q, s) for q in QUARTERS for s in ("公示", "发布")]


def test_company_history_report(scenario: Scenario) -> None:
    engine = scenario.engine
    report = next(r for r in engine.pm.hook.gongzhi_register_reports() for r in r if r.name == "property-history")
    p2 = report.run(engine, SYSTEM, company=P2)
    assert [(r["period"], r["compound"], r["list"]) for r in p2] == [("2026Q1", "C02", "黑榜"), ("2026Q2", "C02", "黑榜")]
    p3 = report.run(engine, SYSTEM, company=P3)
    assert [(r["period"], r["compound"]) for r in p3] == [(q, c) for q in QUARTERS for c in ("C03", "C04")]
    p7 = report.run(engine, SYSTEM, company=P7)
    assert [(r["period"], r["on_probation"]) for r in p7] == [("2026Q3", True)]
    assert "考评期次,物业企业,小区" in report.to_csv(p7)


def test_rectification_with_formal_talk(scenario: Scenario) -> None:
    office, engine = scenario.office, scenario.engine
    (case,) = [i for i in engine.instances(office.admin, process_key="property_rectification", per_page=50).items
               if i.business_key == "property_rectification:2026Q3:C07"]
    notice = next(n for n in office.outbox.items if n["kind"] == "整改通知" and n["instance_id"] == case.id)
    assert notice["to"] == f"property_{P6}" and "枫林小区" in notice["text"]
    office.do(case.id, "formal_talk", {"talk_date": "2026-10-20", "talk_attendees": "区住建局、街道、企业负责人",
                                       "talk_record": "通报黑榜原因", "commitments": "一个月内完成整改"})
    task = office.find(case.id, "submit_report")
    assert task.candidate_groups == [f"property_{P6}"] and task.due_at is not None
    office.do(case.id, "submit_report", {"rectify_measures": "更换保洁队伍，增加清运频次"})
    office.do(case.id, "verify", {"check_passed": False, "check_opinion": "垃圾房仍有异味"})
    again = engine.task(office.find(case.id, "submit_report").id, office.admin)
    assert "垃圾房仍有异味" in again.instructions
    office.do(case.id, "submit_report", {"rectify_measures": "垃圾房改造并每日消杀"})
    done = office.do(case.id, "verify", {"check_passed": True, "check_opinion": "整改到位"})
    assert done.status == "completed" and done.variables["rectification_result"]["measures"] == "垃圾房改造并每日消杀"
