"""Reports over a generated month of 300 cases, checked against the test's own ledger."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

import pytest
from chinese_calendar import is_workday

from gongzhi import SYSTEM, Actor
from gongzhi.calendar import CST
from gongzhi.plugins.whistle import Directory, ReportConfig, annual_ratings, department_report, street_report
from gongzhi.plugins.whistle.reports import weights_in_force

DEPARTMENTS = ["chengguan", "shichang", "gongan", "xiaofang", "zhujian", "huanjing", "shuiwu", "gongdian"]
FOUR = {"accepted_at": "2025-03-03T10:00:00+08:00", "contacted": "反映人及物业", "measures": "现场协调并督促整改",
        "resolve_by": "2025-03-20"}
STREET_RATING = {"street_resolved": True,
                 "street_cooperation": 4, "street_score": 5}

SAT = {"满意": 1.0, "基本满意": 0.9, "不满意": 0.0}
RES = {"已解决": 1.0, "部分解决": 0.0, "未解决": 0.0}
CATEGORIES = [("生态环境", "餐饮油烟"), ("违法建设", "楼顶加建"), ("市场监管", "无证经营"), ("水电气热", "停电"),
              ("公共设施", "路灯"), ("治安消防", "消防通道")]
ONSITE = {"arrived_at": "2025-03-03T15:00:00+08:00", "onsite_staff": "两名", "onsite_situation": "现场核实"}


def r4(x):
    return round(x, 4)


class Month:
    """Drives 300 cases through March 2025 and keeps an independent ledger of what it did."""

    def __init__(self, world, seed: int = 6) -> None:
        self.w, self.rng = world, random.Random(seed)
        world.step = timedelta(seconds=1)
        self.grids = [g.path for g in Directory.load().grids()]
        self.dispatches: list[dict] = []  # one per dispatch (sign-in task)
        self.cases: dict[str, dict] = {}
        self.waiting: list[tuple[str, str, str]] = []  # (group, instance id, dept)

    # --- ledger ---
    def dispatch(self, iid, dept, **facts):
        entry = {"iid": iid, "street": self.cases[iid]["street"], "dept": dept, "responded": True,
                 "signed_on_time": True, "returned": False, "verdict": None, "handled": False,
                 "handled_on_time": False, "escalations": 0, "extensions": 0, **facts}
        self.dispatches.append(entry)
        return entry

    # --- steps ---
    def sign_and_review(self, iid, depts, modes):
        late = []
        for dept in depts:
            mode = modes[dept]
            if mode == "late":
                late.append(dept)
            elif mode in ("upheld", "overruled"):
                self.w.do(iid, "sign_in", {"sign_decision": "退单", "return_reason": "不属于本部门职责"}, dept)
                verdict = "同意退单" if mode == "upheld" else "驳回退单"
                self.w.do(iid, "review_return", {"return_verdict": verdict, "review_opinion": "经审核"})
                self.dispatch(iid, dept, signed_on_time=False, returned=True, verdict=verdict)
            elif mode == "silent":
                self.dispatch(iid, dept, responded=False, signed_on_time=False)
            else:
                self.w.do(iid, "sign_in", {"sign_decision": "签收"}, dept)
                self.dispatch(iid, dept)
        if late:  # a minute past the sign-in limit, which counts office hours (lunch and nights do not count)
            due = max(self.w.find(iid, "sign_in", dept).due_at for dept in late)
            self.w.clock.set(max(self.w.clock.now(), due) + timedelta(minutes=1))
            for dept in late:
                self.w.do(iid, "sign_in", {"sign_decision": "签收"}, dept)
                self.dispatch(iid, dept, signed_on_time=False)

    def entry(self, iid, dept):
        return [d for d in self.dispatches if d["iid"] == iid and d["dept"] == dept][-1]

    def finish(self, iid, dept, on_time=True, extension=False):
        entry = self.entry(iid, dept)
        if extension:
            self.w.do(iid, "handle_feedback", {"handle_outcome": "申请延期", "extension_days": 3,
                                               "extension_reason": "需要协调施工单位"}, dept)
            self.w.do(iid, "approve_extension", {"extension_approved": True, "granted_days": 3, "extension_opinion": "同意"})
            entry["extensions"] += 1
        self.w.feedback(iid, dept, self.rng.choice(["已解决", "已解决", "部分解决"]))
        entry["handled"], entry["handled_on_time"] = True, on_time
        score, community = self.rng.randint(2, 5), self.rng.randint(3, 5)
        self.w.do(iid, "street_rate", {**STREET_RATING, "street_score": score})  # a refusal is no tick (test_veto)
        self.w.do(iid, "community_rate", {"community_score": community})
        self.cases[iid]["ratings"].append((dept, score * 20, community * 20))
        self.cases[iid]["handled_depts"].add(dept)

    def handle(self, iid, depts, modes):
        for dept in depts:
            if modes[dept] in ("upheld", "silent"):
                continue
            self.w.do(iid, "onsite_report", ONSITE, dept)
            if modes[dept] in ("wait_late", "wait_escalate"):
                self.waiting.append((modes[dept], iid, dept))
                continue
            self.finish(iid, dept, extension=modes[dept] == "extension")

    def whistle_round(self, iid, depts, level="常规哨", modes=None):
        modes = modes or {d: "ok" for d in depts}
        self.w.whistle(iid, depts[0], depts[1:], level)
        if level == "疑难哨":
            self.w.do(iid, "leader_approve", {"leader_decision": "批准", "leader_opinion": "同意"})
        self.sign_and_review(iid, depts, modes)
        self.handle(iid, depts, modes)
        upheld = [d for d in depts if modes[d] == "upheld"]
        if upheld and not any(m in ("silent", "wait_late", "wait_escalate") for m in modes.values()):
            used = set(self.cases[iid]["used"])
            replacement = next(d for d in DEPARTMENTS if d not in used)
            self.cases[iid]["used"].append(replacement)
            self.w.whistle(iid, depts[0] if depts[0] not in upheld else replacement, [replacement], level)
            if level == "疑难哨":
                self.w.do(iid, "leader_approve", {"leader_decision": "批准", "leader_opinion": "同意"})
            self.sign_and_review(iid, [replacement], {replacement: "ok"})
            self.handle(iid, [replacement], {replacement: "ok"})

    def follow_up(self, iid, allow_reopen=True):
        case = self.cases[iid]
        roll = self.rng.random()
        satisfaction = "满意" if roll < 0.7 else "基本满意" if roll < 0.9 else "不满意"
        resolved = self.rng.choice(["已解决"] * 8 + ["部分解决", "未解决"])
        if satisfaction == "不满意" and not allow_reopen:
            satisfaction = "基本满意"
        self.w.follow_up(iid, resolved, satisfaction)
        case["resolved"], case["satisfaction"] = resolved, satisfaction
        if satisfaction == "不满意":  # reopened once
            if case["handled_by"] == "社区":
                self.w.do(iid, "community_handle", {"community_outcome": "已处置", **FOUR})
            else:
                lead = case["used"][0]
                self.whistle_round(iid, [lead])
            self.follow_up(iid, allow_reopen=False)

    def new_case(self, index: int, day: date, early: bool) -> None:
        planned = datetime.combine(day, time(9, 0), CST).astimezone(timezone.utc) + timedelta(minutes=3 * index)
        if self.w.clock.now() < planned:
            self.w.clock.set(planned)
        grid = self.rng.choice(self.grids)
        street = "/".join(grid.split("/")[:2])
        roll = self.rng.random()
        urgent = self.rng.random() < 0.15
        common = {"grid": grid, "urgency": "紧急" if urgent else "一般"}
        if roll < 0.04:
            inst = self.w.start(region=grid, emergency="火情", **common)
            self.cases[inst.id] = {"street": street, "record": False}
            self.w.do(inst.id, "divert", {"diverted_to": "119"})
            return
        if roll < 0.08:
            inst = self.w.start(region=grid, case_type="咨询", **common)
            self.cases[inst.id] = {"street": street, "record": False}
            self.w.do(inst.id, "answer_directly", {"answer_text": "已电话解答政策", "answer_channel": "电话"})
            return
        community = roll < 0.35
        l1, l2 = ("物业管理", "楼道堆物") if community else self.rng.choice(CATEGORIES)
        inst = self.w.start(region=grid, category_l1=l1, category_l2=l2, **common)
        iid = inst.id
        case = self.cases[iid] = {"street": street, "record": True, "handled_by": "社区" if community else "吹哨",
                                  "ratings": [], "handled_depts": set(), "used": []}
        if community:
            if self.rng.random() < 0.85:
                self.w.do(iid, "community_handle", {"community_outcome": "已处置", **FOUR})
                self.follow_up(iid)
                return
            self.w.do(iid, "community_handle", {"community_outcome": "上报街道", "escalation_reason": "需执法部门处置"})
            case["handled_by"] = "吹哨"
        special = None
        if early and not urgent and self.rng.random() < 0.3:
            special = self.rng.choice(["wait_late", "wait_escalate", "silent"])
        if special:
            dept = self.rng.choice(DEPARTMENTS)
            case["used"] = [dept]
            self.whistle_round(iid, [dept], "常规哨", {dept: special})
            if special == "silent":
                self.waiting.append(("silent", iid, dept))
            return
        depts = self.rng.sample(DEPARTMENTS, self.rng.choice([1, 1, 2, 2, 3]))
        case["used"] = list(depts)
        level = self.rng.choice(["常规哨"] * 7 + ["重点哨"] * 2 + ["疑难哨"])
        modes = {}
        for i, dept in enumerate(depts):
            r = self.rng.random()
            modes[dept] = ("late" if r < 0.15 else "upheld" if r < 0.2 and i > 0 else "overruled" if r < 0.25
                           else "extension" if r < 0.3 else "ok")
        self.whistle_round(iid, depts, level, modes)
        self.follow_up(iid)

    def month_end(self) -> None:
        self.w.clock.set(datetime(2025, 3, 31, 14, 0, tzinfo=timezone.utc))  # 22:00 China time
        for group, iid, dept in self.waiting:
            if group == "wait_late":
                self.finish(iid, dept, on_time=False)
                self.follow_up(iid, allow_reopen=False)
        self.w.engine.fire_due_timers()
        for group, iid, dept in self.waiting:
            if group == "wait_escalate":
                self.w.do(iid, "district_supervise", {"supervise_instruction": "限期办结", "supervise_days": 3})
                self.entry(iid, dept)["escalations"] += 1
                self.finish(iid, dept, on_time=False)
            elif group == "silent":
                self.w.do(iid, "onsite_report", ONSITE, dept)
                self.finish(iid, dept, on_time=True)
            else:
                continue
            self.follow_up(iid, allow_reopen=False)


def expected_departments(month: Month, config: ReportConfig) -> dict[str, dict]:
    out = {}
    for dept in sorted({d["dept"] for d in month.dispatches}):
        ds = [d for d in month.dispatches if d["dept"] == dept]
        n = len(ds)
        upheld = sum(d["verdict"] == "同意退单" for d in ds)
        handled = sum(d["handled"] for d in ds)
        cases = [c for c in month.cases.values() if c.get("record") and dept in c["handled_depts"]]
        response = r4(sum(d["responded"] for d in ds) / n)
        resolution = r4(sum(RES[c["resolved"]] for c in cases) / len(cases)) if cases else None
        satisfaction = r4(sum(SAT[c["satisfaction"]] for c in cases) / len(cases)) if cases else None
        ratings = [r for c in month.cases.values() if c.get("record") for r in c["ratings"] if r[0] == dept]
        out[dept] = {
            "dispatched": n,
            "response_rate": response,
            "on_time_sign_rate": r4(sum(d["signed_on_time"] for d in ds) / n),
            "returned": sum(d["returned"] for d in ds),
            "returns_upheld": upheld,
            "returns_overruled": sum(d["verdict"] == "驳回退单" for d in ds),
            "handled": handled,
            "closure_rate": r4(handled / (n - upheld)),
            "on_time_closure_rate": r4(sum(d["handled_on_time"] for d in ds) / handled),
            "escalations": sum(d["escalations"] for d in ds),
            "extension_requests": sum(d["extensions"] for d in ds),
            "resolution_rate": resolution,
            "satisfaction_rate": satisfaction,
            "composite": r4(0.1 * response + 0.5 * resolution + 0.4 * satisfaction) if cases else None,
            "street_rating": round(sum(r[1] for r in ratings) / len(ratings), 2) if ratings else None,
            "community_rating": round(sum(r[2] for r in ratings) / len(ratings), 2) if ratings else None,
        }
    return out


@pytest.fixture(scope="module")
def month(tmp_path_factory, whistle_world_factory):
    world = whistle_world_factory(tmp_path_factory.mktemp("month"), cache_size=64, region="990101")
    m = Month(world)
    days = [date(2025, 3, d) for d in range(1, 32) if is_workday(date(2025, 3, d))]
    for i in range(300):
        day = days[i * len(days) // 300]
        m.new_case(i % 15, day, early=day <= date(2025, 3, 7))
    m.month_end()
    return m


def test_month_is_fully_driven(month):
    assert len(month.cases) == 300
    page = month.w.engine.instances(month.w.admin, process_key="whistle_dispatch", status="running")
    assert page.total == 0
    assert {g for g, _, _ in month.waiting} == {"wait_late", "wait_escalate", "silent"}
    kinds = {n["kind"] for n in month.w.outbox.items}
    assert {"催签", "催办"} <= kinds


def test_department_report_matches_ledger(month):
    config = weights_in_force(month.w.engine, "部门考核")
    rows = {r["department"]: r for r in department_report(month.w.engine, month="2025-03", config=config)}
    expected = expected_departments(month, config)
    assert set(rows) == set(expected)
    for dept, figures in expected.items():
        for key, value in figures.items():
            assert rows[dept][key] == value, (dept, key, rows[dept][key], value)
    totals = {k: sum(r[k] for r in rows.values()) for k in ("returns_upheld", "returns_overruled", "escalations")}
    assert all(totals.values()), totals  # the month exercised every kind of event


def test_an_explicit_config_overrides_the_weights_table(month):
    strict = replace(weights_in_force(month.w.engine, "部门考核"),
                     satisfaction_weights={"满意": 1.0, "基本满意": 0.0, "不满意": 0.0},
                     composite_weights={"response": 0.2, "resolution": 0.4, "satisfaction": 0.4})
    default = {r["department"]: r for r in department_report(month.w.engine, month="2025-03")}
    rows = department_report(month.w.engine, month="2025-03", config=strict)
    for row in rows:
        cases = [c for c in month.cases.values() if c.get("record") and row["department"] in c["handled_depts"]]
        assert row["satisfaction_rate"] == r4(sum(c["satisfaction"] == "满意" for c in cases) / len(cases))
        assert row["satisfaction_rate"] <= default[row["department"]]["satisfaction_rate"]


def test_street_report_matches_ledger(month):
    rows = {r["street"]: r for r in street_report(month.w.engine, month="2025-03")}
    for street in ("990101/001", "990101/002"):
        cases = {i: c for i, c in month.cases.items() if c["street"] == street}
        ds = [d for d in month.dispatches if d["street"] == street]
        recorded = [c for c in cases.values() if c.get("record")]
        row = rows[street]
        assert row["cases"] == len(cases) and row["closed"] == len(cases) and row["case_closure_rate"] == 1.0
        assert row["community_cases"] == sum(c["handled_by"] == "社区" for c in recorded)
        assert row["whistle_cases"] == sum(c["handled_by"] == "吹哨" for c in recorded)
        assert row["dispatched"] == len(ds)
        assert row["response_rate"] == r4(sum(d["responded"] for d in ds) / len(ds))
        assert row["satisfaction_rate"] == r4(sum(SAT[c["satisfaction"]] for c in recorded) / len(recorded))
        assert row["resolution_rate"] == r4(sum(RES[c["resolved"]] for c in recorded) / len(recorded))
        assert row["escalations"] == sum(d["escalations"] for d in ds)
    assert street_report(month.w.engine, month="2025-04") == []


def test_annual_view_ranks_departments(month):
    rows = annual_ratings(month.w.engine, year=2025)
    expected = expected_departments(month, weights_in_force(month.w.engine, "年度评价"))
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    for row in rows:
        exp = expected[row["department"]]
        assert row["street_rating"] == exp["street_rating"] and row["community_rating"] == exp["community_rating"]
        assert row["score"] == round(0.5 * exp["street_rating"] + 0.5 * exp["community_rating"], 2)


def test_reports_are_registered_and_export_csv(month):
    registered = {r.name: r for hook in month.w.engine.pm.hook.gongzhi_register_reports() for r in hook}
    whistle = {name for name in registered if name.startswith("whistle-")}
    assert whistle == {"whistle-departments", "whistle-streets", "whistle-annual"}
    rows = registered["whistle-departments"].run(month.w.engine, SYSTEM, month="2025-03")
    assert {r["department_name"] for r in rows} >= {"城管执法局", "市场监管局"}
    text = registered["whistle-departments"].to_csv(rows)
    # People open the export: Chinese headings, names instead of codes, rates as percentages.
    header, *lines = text.splitlines()
    assert header.startswith("部门,派单,响应,响应率,按时签收,按时签收率") and "response_rate" not in header
    assert len(lines) == len(rows)
    rate = header.split(",").index("响应率")
    assert all(line.split(",")[rate].endswith("%") or not line.split(",")[rate] for line in lines)
    assert "chengguan" not in text and "城管执法局" in text
    assert registered["whistle-annual"].run(month.w.engine, SYSTEM, year=2025)[0]["rank"] == 1
    streets = registered["whistle-streets"].run(month.w.engine, SYSTEM, month="2025-03")
    assert {r["street"]: r["street_name"] for r in streets} == {"990101/001": "东湖街道", "990101/002": "西山街道"}


def test_department_report_is_scoped_to_the_actors_street(month):
    from gongzhi import Actor, NotAllowed

    engine = month.w.engine
    [report] = [r for hook in engine.pm.hook.gongzhi_register_reports() for r in hook if r.name == "whistle-departments"]
    east = Actor.of("s-east", "东湖街道", ["street"], "990101/001")
    district = Actor.of("d", "区督查室", ["district"], "990101")
    mine = report.run(engine, east, month="2025-03")
    assert mine == report.run(engine, SYSTEM, month="2025-03", street="990101/001")  # what an admin asks for that street
    assert mine != report.run(engine, district, month="2025-03")  # the district sees both streets
    with pytest.raises(NotAllowed):
        report.run(engine, east, month="2025-03", street="990101/002")
    [streets] = [r for hook in engine.pm.hook.gongzhi_register_reports() for r in hook if r.name == "whistle-streets"]
    with pytest.raises(NotAllowed):
        streets.run(engine, east, month="2025-03")  # not scoped: admins only


def test_department_report_exports_one_sheet_with_chinese_headings(month):
    import io

    from openpyxl import load_workbook

    registered = {r.name: r for hook in month.w.engine.pm.hook.gongzhi_register_reports() for r in hook}
    report = registered["whistle-departments"]
    rows = report.run(month.w.engine, SYSTEM, month="2025-03")
    sheet = load_workbook(io.BytesIO(report.to_xlsx(rows))).active
    header = [c.value for c in sheet[1]]
    assert header[:6] == ["部门", "派单", "响应", "响应率", "按时签收", "按时签收率"] and "response_rate" not in header
    assert sheet.max_row == 1 + len(rows)
    rate = header.index("响应率") + 1
    for r, row in enumerate(rows, start=2):
        assert sheet.cell(row=r, column=1).value == row["department_name"]  # names, not codes
        cell = sheet.cell(row=r, column=rate)
        if row["response_rate"] is None:
            assert cell.value is None
        else:  # a number the sheet can sum, shown as a person writes it (100%, 87.5%)
            assert cell.value == row["response_rate"]
            assert cell.number_format == ("0%" if round(row["response_rate"] * 100, 1) % 1 == 0 else "0.0%")


def test_the_monthly_department_assessment_downloads_as_a_workbook_and_a_pdf(month):
    """Issue 20 item 5: the 考核办's files hold the API's numbers; a street officer's has no district sheet."""
    import io

    from openpyxl import load_workbook
    from pypdf import PdfReader

    from gongzhi.api import create_app
    from gongzhi.security.tokens import mint

    engine = month.w.engine
    client = create_app(engine=engine).test_client()

    def get(actor, fmt=""):  # type: ignore[no-untyped-def]
        token = mint(engine.config.secret_key, actor.id, actor.name, actor.groups, actor.region)
        return client.get(f"/api/v1/reports/whistle-departments?month=2025-03{fmt}",
                          headers={"Authorization": f"Bearer {token}"})

    admin = Actor.of("admin", "管理员", ["admin"])
    rows = get(admin).get_json()["data"]
    book = load_workbook(io.BytesIO(get(admin, "&format=xlsx").get_data()))
    assert book.sheetnames == ["吹哨报到·部门考核", "街道"]
    sheet = book["吹哨报到·部门考核"]
    assert sheet["A2"].value.startswith("统计期：2025年3月　区域：全区")
    header = [c.value for c in sheet[3]]
    rate = header.index("响应率")
    for r, row in enumerate(rows, start=4):
        cells = [c.value for c in sheet[r]]
        assert cells[0] == row["department_name"] and cells[rate] == row["response_rate"]
    assert book["街道"]["A1"].value == "吹哨报到·街道统计"
    pdf = PdfReader(io.BytesIO(get(admin, "&format=pdf").get_data()))
    lines = [line.strip() for page in pdf.pages for line in page.extract_text().splitlines()]
    for row in rows:
        assert row["department_name"] in lines
    east = Actor.of("s-east", "东湖街道", ["street"], "990101/001")
    mine = load_workbook(io.BytesIO(get(east, "&format=xlsx").get_data()))
    assert mine.sheetnames == ["吹哨报到·部门考核"]  # the street statistics are the district's
    assert "区域：东湖街道" in mine.active["A2"].value
