"""The red/black-list story told by ``gongzhi demo`` (物业服务质量红黑榜).

Two quarterly reviews of the seven compounds of the bundled 青禾区 roster. The
street, the survey agency, the housing bureau's inspectors and the community
fill in each compound's four forms; the rules score and grade them; the street
and the bureau review the draft (in the second quarter the bureau sends it back
once); the lists are published after the notice period. 安居物业 is black-listed
at 翠苑二区 in both quarters: its objection in the second is not upheld, and the
rules start its expulsion — the owners' committee confirms, a state-owned
company takes over, the handover is supervised, the newcomer's probation
begins. The reviews read the real whistle cases: the cooking-fumes case of the
whistle story counts for 翠苑一区, and complaints about 翠苑二区 filed between
the reviews count against it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from gongzhi import SYSTEM, Actor, Demo, DemoResult, Engine, MovableClock
from gongzhi.calendar import CST

from .periods import parse_period
from .roster import Roster

__all__ = ["demos", "forms"]

DISTRICT = "990101"
GROUPS = {"housing_bureau": "区住建局房管科", "street": "东湖街道物业办", "community": "社区党委",
          "survey_agency": "第三方测评机构", "owners_committee": "翠苑二区业委会"}
INPUT_TASKS = ("rate_governance", "enter_survey", "rate_inspection", "rate_stakeholders")
NEWCOMER, NEWCOMER_NAME = "91990101MA0099", "城投国有物业服务有限公司"
# What each compound's forms aim at, per review (high: red list, low/veto: black list, mid: not listed).
PLAN = {
    "C01": ("high", "high"), "C02": ("low", "low"), "C03": ("mid", "high"), "C04": ("mid", "mid"),
    "C05": ("mid", "mid"), "C06": ("veto", "mid"), "C07": ("mid", "mid"),
}
# Complaints about 翠苑二区 filed between the two reviews: (address, closed?).
COMPLAINTS = (("翠苑二区 3 号楼", False), ("翠苑二区 6 号楼", True), ("翠苑二区 9 号楼", False))
INTAKE = {"channel": "12345热线", "category_l1": "物业管理", "category_l2": "小区环境", "category_l3": "垃圾清运不及时",
          "case_type": "投诉", "description": "小区垃圾多日未清运，气味很大", "reporter_name": "李四",
          "reporter_mobile": "13900139000", "urgency": "一般", "emergency": "无"}


def forms(name: str, profile: str, nudge: int) -> dict[str, dict[str, Any]]:
    """The four forms of one compound, deterministic: ``nudge`` (−3…3) varies compounds of the same profile."""
    base = {"high": 93, "low": 60}.get(profile, 82) + nudge
    comment = {"high": "电梯、消防隐患按期整改，获区级表扬", "low": "垃圾清运不及时，消防通道堆物",
               "veto": "被媒体曝光侵占公共绿地"}.get(profile, "日常管理基本到位")
    return {
        "rate_governance": {"governance_comment": f"{name}：{comment}", "governance_score": base,
                            "hazards_fixed": 2 if profile == "high" else 0,
                            "praise": "区级表扬" if profile == "high" else "无",
                            "veto_items": ["媒体曝光"] if profile == "veto" else []},
        "enter_survey": {"survey_agency_name": "青禾民意调查中心", "survey_input": "直接录入得分",
                         "survey_score": {"high": 97, "low": 57}.get(profile, 83) + nudge},
        "rate_inspection": {"inspection_ratings": [{"department": "住建局", "score": base + 1},
                                                   {"department": "消防", "score": base - 1}]},
        "rate_stakeholders": {"has_owners_committee": True, "owners_committee_score": base - 2,
                              "party_org_score": base, "residents_committee_score": base + 2},
    }


class _Story:
    def __init__(self, engine: Engine, clock: MovableClock) -> None:
        self.engine, self.clock = engine, clock
        self.admin = Actor.of("demo", "演示管理员", ["admin"])
        self.names = {c.code: c.name for c in Roster.load().compounds.values()}  # the bundled roster the plan is for
        # Ids read like names: processes started by a service task record the starter's id only.
        self.people = {g: Actor.of(name, name, [g], DISTRICT) for g, name in GROUPS.items()}

    # --- time and tasks ---------------------------------------------------------------
    def at(self, when: datetime) -> None:
        """Move the clock forward to ``when`` (never back) and let the worker catch up."""
        if when > self.clock.now():
            self.clock.set(when)
        self.engine.fire_due_timers()
        self.engine.run_due_jobs()

    def later(self, **delta: float) -> None:
        self.at(self.clock.now() + timedelta(**delta))

    def actor(self, task: Any) -> Actor:
        group = task.candidate_groups[0]
        return self.people.get(group) or Actor.of(f"{group}-demo", group, [group], DISTRICT)

    def open_tasks(self, iid: str) -> list[Any]:
        return self.engine.tasks(self.admin, instance_id=iid, per_page=200).items

    def do(self, iid: str, element: str, data: dict[str, Any], minutes: int = 60) -> Any:
        self.later(minutes=minutes)
        open_tasks = self.open_tasks(iid)
        found = [t for t in open_tasks if t.element_id == element]
        if len(found) != 1:
            raise RuntimeError(f"demo: expected one open {element}, open: {sorted(t.element_id for t in open_tasks)}")
        return self.engine.complete(found[0].id, self.actor(found[0]), data)

    def today(self, days: int = 0) -> str:
        return (self.clock.now().astimezone(CST).date() + timedelta(days=days)).isoformat()

    # --- the story ----------------------------------------------------------------------
    def complaint(self, address: str, closed: bool) -> None:
        grid = "990101/001/001/02"  # 翠苑二区
        iid = self.engine.start("whistle_dispatch", self.people["community"], {**INTAKE, "address": address, "grid": grid},
                                region=grid).id
        if closed:
            self.do(iid, "community_handle", {
                "community_outcome": "已处置", "accepted_at": self.clock.now().astimezone(CST).isoformat(timespec="seconds"),
                "contacted": "物业项目经理", "measures": "督促物业当日清运并加密频次", "resolve_by": self.today(1)})
            self.do(iid, "resident_followup", {"followup_resolved": "已解决", "followup_satisfaction": "基本满意"},
                    minutes=60 * 24)

    def review(self, period: str, second: bool) -> str:
        engine = self.engine
        iid = engine.start("property_review", self.people["housing_bureau"], {"period": period, "review_cycle": "季度"},
                           business_key=f"property_review:{period}", region=DISTRICT).id
        engine.run_due_jobs()  # 确定参评企业与小区, 汇总吹哨投诉数据 (asynchronous)
        codes = sorted(PLAN)
        while True:  # one compound after another, its four forms together (a returned draft would repeat them)
            waiting = [(engine.task(t.id, self.admin).data["entry"]["compound"], INPUT_TASKS.index(t.element_id), t)
                       for t in self.open_tasks(iid) if t.element_id in INPUT_TASKS]
            if not waiting:
                break
            for compound, _, task in sorted(waiting, key=lambda w: w[:2]):
                if task.element_id == INPUT_TASKS[0]:
                    self.later(hours=1)
                filled = forms(self.names[compound], PLAN[compound][second], codes.index(compound) - 3)
                engine.complete(task.id, self.actor(task), filled[task.element_id])
        self.do(iid, "street_review", {"street_verdict": "通过", "street_opinion": "各小区评分已核实"}, minutes=60 * 24)
        if second:
            self.do(iid, "bureau_review", {"bureau_verdict": "退回街道", "bureau_opinion": "请街道复核黑榜小区的现场记录"},
                    minutes=60 * 24)
            self.do(iid, "street_review", {"street_verdict": "通过", "street_opinion": "已复核翠苑二区现场记录"},
                    minutes=60 * 24)
        self.do(iid, "bureau_review", {"bureau_verdict": "通过", "bureau_opinion": "同意公示"}, minutes=60 * 24)
        self.later(days=10)  # 公示期
        objections = [{"compound": "C02", "company": "91990101MA0002", "objector": "安居物业管理有限公司",
                       "reason": "认为居民满意度样本偏少", "verdict": "不予采纳", "reply": "样本量符合测评规范"}] if second else []
        self.do(iid, "review_objections", {"objections": objections})
        self.later(minutes=5)  # 后果流程异步启动
        return iid

    def expel(self) -> str:
        started = self.engine.instances(self.admin, process_key="property_expulsion", per_page=10).items
        if len(started) != 1:
            raise RuntimeError(f"demo: expected one expulsion after the second black listing, found {len(started)}")
        iid = started[0].id
        self.do(iid, "committee_ack", {"committee_meeting_date": self.today(5), "selection_method": "国有物业托底接管",
                                       "committee_opinion": "业主大会同意由国有物业托底接管"}, minutes=60 * 24 * 5)
        self.do(iid, "select_replacement", {"new_company": NEWCOMER, "new_company_name": NEWCOMER_NAME,
                                            "contract_from": self.today(7)}, minutes=60 * 24 * 2)
        self.do(iid, "handover", {"handover_date": self.today(7), "handover_note": "物业用房、档案、维修资金账目已移交"},
                minutes=60 * 24 * 7)
        self.later(minutes=5)  # 启动试用期考评
        return iid

    def run(self) -> DemoResult:
        first, second = "2026Q4", "2027Q1"
        self.at(datetime(2027, 1, 4, 9, 0, tzinfo=CST))  # the first working day after 2026Q4
        self.review(first, second=False)
        for n, (address, closed) in enumerate(COMPLAINTS):
            self.at(datetime(2027, 2, 1 + 7 * n, 10, 0, tzinfo=CST))
            self.complaint(address, closed)
        self.at(datetime(2027, 4, 1, 9, 0, tzinfo=CST))
        review = self.review(second, second=True)
        expulsion = self.expel()
        return DemoResult([review, expulsion], [self._lists(first), self._lists(second)])

    def _lists(self, period: str) -> tuple[str, list[dict[str, Any]]]:
        registered = {r.name: r for found in self.engine.pm.hook.gongzhi_register_reports() for r in found or ()}
        report = registered["property-lists"]
        rows = [{heading: row[key] for key, heading in HEADINGS.items()} for row in report.run(self.engine, SYSTEM, period=period)]
        return f"{report.title}（{parse_period(period).label}）", rows


HEADINGS = {"list": "榜单", "rank": "名次", "compound_name": "小区", "company_name": "物业企业", "score": "综合得分",
            "band": "等级", "stars": "星级", "reason": "理由", "action": "后果", "priority_purchase": "政府购买服务优先"}


def demos() -> list[Demo]:
    return [Demo("property", "物业服务质量红黑榜：两个季度考评，翠苑二区连续两期黑榜，原物业被清退",
                 lambda e, c: _Story(e, c).run(), order=30)]

