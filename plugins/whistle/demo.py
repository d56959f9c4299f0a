"""The whistle-dispatch story told by ``gongzhi demo``.

A resident reports cooking fumes through WeChat; the street blows the whistle
to 生态环境 (lead) and 市场监管 (co-handling); 市场监管 returns the order, the
street overrules the return; both report and handle; the street and the
community rate them; the resident is satisfied. Then the month's figures.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gongzhi import SYSTEM, Actor, Demo, DemoResult, Engine, MovableClock
from gongzhi.calendar import CST
from gongzhi.humanize import percent

from .reports import HEADINGS, RATIOS

GRID = "990101/001/001/01"
INTAKE = {
    "channel": "微信", "category_l1": "生态环境", "category_l2": "餐饮油烟", "category_l3": "油烟直排",
    "case_type": "投诉", "description": "楼下餐馆油烟直排，熏得窗户都不敢开", "address": "翠苑路 1 号",
    "grid": GRID, "reporter_name": "王秀英", "reporter_mobile": "13800138000", "urgency": "一般", "emergency": "无",
}


def _people() -> dict[str, Actor]:
    return {
        "resident": Actor.of("res-wang", "居民王秀英", ["resident"], GRID),
        "street": Actor.of("street1", "东湖街道吹哨中心", ["street"], "990101/001"),
        "community": Actor.of("comm1", "翠苑社区主任", ["community"], "990101/001/001"),
        "grid": Actor.of("grid1", "网格员小李", ["grid"], "990101/001/001"),
        "dept_huanjing": Actor.of("hj1", "生态环境分局 刘科长", ["dept_huanjing"], "990101"),
        "dept_shichang": Actor.of("sc1", "市场监管局 陈所长", ["dept_shichang"], "990101"),
        "admin": Actor.of("demo", "演示管理员", ["admin"]),
    }


class _Story:
    def __init__(self, engine: Engine, clock: MovableClock) -> None:
        self.engine, self.clock, self.people = engine, clock, _people()

    def now(self) -> str:
        return self.clock.now().astimezone(CST).isoformat(timespec="seconds")

    def do(self, iid: str, element: str, data: dict[str, Any], group: str | None = None, minutes: int = 25) -> None:
        self.clock.advance(timedelta(minutes=minutes))
        self.engine.fire_due_timers()  # deadlines that passed meanwhile fire first, as the worker would
        tasks = self.engine.tasks(self.people["admin"], instance_id=iid, per_page=100).items
        task = next(t for t in tasks if t.element_id == element and (group is None or group in t.candidate_groups))
        self.engine.complete(task.id, self.people[group or task.candidate_groups[0]], data)

    def handle(self, iid: str, group: str) -> None:
        self.do(iid, "onsite_report", {"arrived_at": self.now(), "onsite_staff": "执法人员两名",
                                       "onsite_situation": "现场核实，情况属实"}, group, minutes=120)
        self.do(iid, "handle_feedback", {
            "handle_outcome": "办结反馈", "accepted_at": self.now(), "contacted": "反映人及餐馆业主",
            "measures": "责令加装油烟净化器并复查", "resolve_by": (self.clock.now() + timedelta(days=7)).date().isoformat(),
            "handle_result": "已解决"}, group, minutes=60 * 24)

    def rate(self, iid: str) -> None:
        self.do(iid, "street_rate", {"street_resolved": True, "street_cooperation": 5, "street_score": 5}, "street")
        self.do(iid, "community_rate", {"community_score": 5}, "community")

    def run(self) -> DemoResult:
        iid = self.engine.start("whistle_dispatch", self.people["resident"], INTAKE, region=GRID).id
        self.do(iid, "blow_whistle", {"whistle_level": "常规哨", "lead_department": "huanjing",
                                      "co_departments": ["shichang"], "whistle_reason": "油烟扰民，需环保与市场监管联合处置"},
                "street", minutes=40)
        self.do(iid, "sign_in", {"sign_decision": "签收"}, "dept_huanjing", minutes=15)
        self.do(iid, "sign_in", {"sign_decision": "退单", "return_reason": "油烟排放不属市场监管职责"}, "dept_shichang",
                minutes=10)
        self.do(iid, "review_return", {"return_verdict": "驳回退单", "review_opinion": "餐馆证照核查属市场监管职责，须协办"},
                "street")
        self.handle(iid, "dept_huanjing")
        self.rate(iid)
        self.handle(iid, "dept_shichang")
        self.rate(iid)
        self.do(iid, "resident_followup", {"followup_resolved": "已解决", "followup_satisfaction": "满意"},
                minutes=60 * 24)
        return DemoResult([iid], self._figures())

    def _figures(self) -> list[tuple[str, list[dict[str, Any]]]]:
        month = self.clock.now().strftime("%Y-%m")
        registered = {r.name: r for found in self.engine.pm.hook.gongzhi_register_reports() for r in found or ()}
        figures = []
        for name, first in (("whistle-departments", "department_name"), ("whistle-streets", "street_name")):
            if name in registered:
                rows = registered[name].run(self.engine, SYSTEM, month=month)
                shown = [{HEADINGS[first]: r[first], **{HEADINGS[k]: percent(r[k]) if k in RATIOS else r[k]
                                                        for k in FIGURES}} for r in rows]
                local = self.clock.now().astimezone(CST)
                figures.append((f"{registered[name].title}（{local.year}年{local.month}月）", shown))
        return figures


FIGURES = ("response_rate", "on_time_sign_rate", "closure_rate", "on_time_closure_rate", "resolution_rate",
           "satisfaction_rate", "composite", "returned", "escalations")


class _Waiting(_Story):
    """Two fresh reports left waiting, so a console opened on the demo data has work to show:
    one for the street to blow the whistle, one for a department to sign for."""

    def run(self) -> DemoResult:
        first = self.engine.start("whistle_dispatch", self.people["resident"], {
            **INTAKE, "category_l2": "噪声扰民", "category_l3": "夜间施工", "description": "工地夜里十一点还在打桩"},
            region=GRID).id
        second = self.engine.start("whistle_dispatch", self.people["resident"], {
            **INTAKE, "category_l2": "餐饮油烟", "description": "商业街烧烤店油烟大"}, region=GRID).id
        self.do(second, "blow_whistle", {"whistle_level": "常规哨", "lead_department": "huanjing", "co_departments": [],
                                         "whistle_reason": "油烟扰民，请生态环境分局报到"}, "street", minutes=30)
        return DemoResult([first, second])


def demos() -> list[Demo]:
    return [
        Demo("whistle", "吹哨报到：居民反映油烟扰民，街道吹哨，两个部门报到", lambda e, c: _Story(e, c).run(), order=10),
        Demo("whistle-waiting", "吹哨报到：两件新反映，等待街道吹哨和部门签收", lambda e, c: _Waiting(e, c).run(), order=90),
    ]
