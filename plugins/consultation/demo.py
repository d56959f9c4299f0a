"""The community-council story told by ``gongzhi demo`` (社区党群议事会).

Residents propose charging points for e-bikes in their compound (小区); the
三会 table proposes a council and the party committee accepts the topic and
confirms the council. The first meeting fails its quorum and is called
again; the second passes a resolution; during publicity a resident objects, the
objection is upheld and the council votes a second time; a second objection is
answered and rejected; publicity runs its course; the property company carries
the plan out, the supervision committee sends it back once, then the residents
rate it. Meanwhile the table proposes a council for a second topic (a disused
garage turned into a bicycle park); the party committee makes it a hearing, which
hears an expert and, before it may vote, the fire brigade. A third topic is
declined at review. Then the consultation figures.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from gongzhi import Actor, Demo, DemoResult, Engine, MovableClock
from gongzhi.calendar import CST, add_working_days
from gongzhi.humanize import NONE, percent

from .reports import TIERS, VENUES

COMMUNITY = "990101/001/001"
GRID = "990101/001/001/01"
COUNCIL = {
    "title": "翠苑一区加装电动自行车充电桩", "description": "全小区电动自行车充电难，楼道飞线充电有火灾隐患",
    "source": "小提案", "proposer": "王秀英", "phone": "13800138000", "location": "翠苑一区", "grid": GRID,
    "scope": "小区", "households": 300, "cost_estimate": 20000, "difficulty": "中", "authority": "社区",
    "community": "翠苑社区",
}
INVITEES = (("社区党组织", "陈红"), ("居民委员会", "刘敏"), ("居民代表", "张国强"), ("居民代表", "王秀英"),
            ("业主委员会", "孙立"), ("物业服务企业", "周经理"), ("驻区单位", "吴园长"), ("社会组织", "郑队长"),
            ("居民代表", "李大爷"))
HEARING = {
    "title": "翠苑一区地下车库改建为非机动车库", "description": "地面车棚不够用，建议把闲置的地下车库改为非机动车库",
    "source": "小提案", "proposer": "张国强", "phone": "13700137000", "location": "翠苑一区地下车库", "grid": GRID,
    "scope": "小区", "households": 420, "cost_estimate": 80000, "difficulty": "中", "authority": "社区",
    "community": "翠苑社区",
}
HEARING_INVITEES = (("社区党组织", "陈红"), ("居民委员会", "刘敏"), ("居民代表", "张国强"), ("业主委员会", "孙立"),
                    ("物业服务企业", "周经理"), ("街道职能部门", "街道城建科"), ("专家", "陈工"), ("人大代表和政协委员", "黄代表"),
                    ("社会组织", "郑队长"))
EXPERT = {"who": "陈工", "body": "区建筑设计院", "kind": "专家", "stance": "有条件赞成", "opinion": "须先做结构检测，再定改建方案"}
FIRE = {"who": "刘科长", "body": "区消防救援大队", "kind": "职能部门", "stance": "有条件赞成", "opinion": "须加装喷淋和排烟设施"}
DECLINED = {
    "title": "翠苑一区车位重新分配", "description": "希望社区出面重新分配小区地面车位", "source": "微心愿",
    "proposer": "赵建国", "phone": "13900139000", "location": "翠苑一区地面停车场", "grid": GRID,
    "scope": "小区", "households": 40, "cost_estimate": 0, "difficulty": "低", "authority": "居委会或物业",
    "community": "翠苑社区",
}


def _people() -> dict[str, Actor]:
    return {
        "party": Actor.of("party-cy", "翠苑社区党委书记", ["party_org"], COMMUNITY),
        "resident": Actor.of("res-wang", "居民王秀英", ["resident"], GRID),
        "objector": Actor.of("res-li", "居民李大爷", ["resident"], GRID),
        "neighbour": Actor.of("res-zhao", "居民赵先生", ["resident"], GRID),
        "supervisor": Actor.of("sup-cy", "居务监督委员会主任", ["supervisor"], COMMUNITY),
        "property": Actor.of("prop-cy", "翠苑物业经理", ["property_co"], COMMUNITY),
        "admin": Actor.of("demo", "演示管理员", ["admin"]),
    }


class _Story:
    def __init__(self, engine: Engine, clock: MovableClock) -> None:
        self.engine, self.clock, self.people = engine, clock, _people()

    # --- moving through the stages ------------------------------------------------
    def at(self, when: datetime) -> None:
        """Move the clock forward to ``when`` (never back) and fire what is due, as the worker would."""
        if when > self.clock.now():
            self.clock.set(when)
        self.engine.fire_due_timers()

    def on(self, hour: int, minute: int = 0, after: datetime | None = None) -> datetime:
        """The first moment at ``hour:minute`` Beijing time after ``after`` (default: now)."""
        after = (after or self.clock.now()).astimezone(CST)
        moment = after.replace(hour=hour, minute=minute, second=0, microsecond=0)
        return moment if moment > after else moment + timedelta(days=1)

    def working_days(self, days: int) -> datetime:
        return add_working_days(self.engine.calendar, self.clock.now(), days)

    def variables(self, iid: str) -> dict[str, Any]:
        return self.engine.instance(iid, self.people["admin"]).variables

    def do(self, iid: str, element: str, who: str, data: dict[str, Any], when: datetime | None = None) -> Any:
        self.at(when or self.clock.now() + timedelta(minutes=30))
        open_tasks = self.engine.instance(iid, self.people["admin"]).open_tasks
        found = [t for t in open_tasks if t.element_id == element]
        if len(found) != 1:
            raise RuntimeError(f"demo: expected one open {element}, open: {sorted(t.element_id for t in open_tasks)}")
        return self.engine.complete(found[0].id, self.people[who], data)

    def meeting(self, iid: str, present: int, votes: tuple[int, int, int] | None = None, resolution: str = "") -> None:
        """Publish the notice, wait out the notice period, hold the evening meeting: sign in and (with a quorum) vote."""
        invitees = [{"participant_type": kind, "name": name} for kind, name in INVITEES]
        self.do(iid, "prepare_notice", "party", {"meeting_place": "翠苑社区党群服务中心议事厅", "invitees": invitees})
        notice_ends = self.working_days(self.variables(iid)["notice_days"])
        self.do(iid, "sign_in", "party", {"present": present}, when=self.on(19, 0, after=notice_ends))
        if votes:
            self.do(iid, "minutes_vote", "party", {
                "minutes": f"实到 {present} 人，赞成 {votes[0]}、反对 {votes[1]}、弃权 {votes[2]}", "resolution_text": resolution,
                "votes_for": votes[0], "votes_against": votes[1], "votes_abstain": votes[2]},
                when=self.clock.now() + timedelta(minutes=90))

    def object(self, iid: str, who: str, objector: str, reason: str, answer: str, upheld: bool) -> None:
        """A resident objects during publicity (a message to the topic); the party committee reviews it that afternoon."""
        self.at(self.on(10))
        self.engine.send_message("consultation_objection", self.people[who], {"objector": objector, "reason": reason},
                                 instance_id=iid)
        self.do(iid, "review_objection", "party", {"upheld": upheld, "response": answer}, when=self.on(15))

    def propose_hearing(self) -> str:
        """A second topic the table proposes for the council; the party committee makes it a hearing, with a reason."""
        hid = self.engine.start("consultation_community", self.people["resident"], HEARING, region=GRID).id
        self.do(hid, "review_topic", "party", {"review_decision": "受理"})
        self.do(hid, "confirm_tier", "party", {"tier_decision": "改为其他会议形式", "confirmed_tier_name": "重大事项论证会",
                                               "tier_change_reason": "涉及地下室结构安全和消防要求，须请专家和职能部门论证"})
        invitees = [{"participant_type": kind, "name": name} for kind, name in HEARING_INVITEES]
        self.do(hid, "prepare_notice", "party", {"meeting_place": "翠苑社区党群服务中心议事厅", "invitees": invitees})
        return hid

    def hold_hearing(self, hid: str) -> None:
        """The hearing: the expert is heard first, the vote waits for the fire brigade's opinion, then two thirds agree."""
        self.do(hid, "sign_in", "party", {"present": 8}, when=self.on(19, 0))
        conclusion = {"hearing_conclusion": "可行，提交表决", "conclusion_reason": "按专家和消防意见完善方案后可行"}
        self.do(hid, "gather_opinions", "party", {"opinions": [EXPERT], **conclusion})
        self.do(hid, "gather_opinions", "party", {"opinions": [EXPERT, FIRE], **conclusion})
        self.do(hid, "minutes_vote", "party", {
            "minutes": "听取专家和消防部门意见后表决", "resolution_text": "结构检测合格后改建非机动车库，同步加装喷淋和排烟设施",
            "votes_for": 7, "votes_against": 1, "votes_abstain": 0})

    # --- the story ----------------------------------------------------------------------
    def run(self) -> DemoResult:
        self.at(self.on(10, after=self.clock.now() + timedelta(hours=12)))
        iid = self.engine.start("consultation_community", self.people["resident"], COUNCIL, region=GRID).id
        self.do(iid, "review_topic", "party", {"review_decision": "受理"}, when=self.on(9, 30))
        self.do(iid, "confirm_tier", "party", {"tier_decision": "同意建议的会议形式"})
        hearing = self.propose_hearing()

        self.meeting(iid, present=5)  # 5 of 9: below two thirds, called again
        self.meeting(iid, present=7, votes=(5, 1, 1), resolution="在 3 处车棚加装 40 个充电桩")
        self.object(iid, "objector", "李大爷", "车棚紧邻幼儿园，位置需要重新论证", "异议成立：重新选址后再次表决", upheld=True)
        self.meeting(iid, present=8, votes=(6, 2, 0), resolution="在 2 处远离幼儿园的车棚加装 40 个充电桩")
        publicity_ends = self.working_days(self.variables(iid)["publicity_days"])
        self.object(iid, "neighbour", "赵先生", "希望多装几个充电桩", "数量已按需求测算，维持原方案", upheld=False)
        self.hold_hearing(hearing)
        self.at(publicity_ends)

        self.do(iid, "plan", "party", {"impl_tasks": [{"title": "采购安装充电桩", "owner": "翠苑物业",
                                                       "owner_group": "property_co", "deadline_days": 10}]},
                when=self.on(9, 30))
        self.do(iid, "carry_out", "property", {"impl_result": "已在 2 处车棚安装 40 个充电桩并通电"},
                when=self.on(16, after=self.clock.now() + timedelta(days=6)))
        self.do(iid, "supervise", "supervisor", {"supervision_passed": False, "supervision_opinion": "车棚缺少消防器材"},
                when=self.on(10))
        self.do(iid, "rectify", "party", {"rectification": "已在车棚配置灭火器和烟感报警"}, when=self.on(15))
        self.do(iid, "supervise", "supervisor", {"supervision_passed": True, "supervision_opinion": "已落实到位"},
                when=self.on(10))
        self.do(iid, "satisfaction_survey", "resident", {"satisfaction": 5}, when=self.on(20))

        other = self.engine.start("consultation_community", self.people["resident"], DECLINED, region=GRID).id
        self.do(other, "review_topic", "party", {"review_decision": "不予受理",
                                                 "review_reason": "车位分配属业主大会决定事项，不属社区协商范围"},
                when=self.on(9, 30))
        return DemoResult([iid, hearing], self._figures())

    def _figures(self) -> list[tuple[str, list[dict[str, Any]]]]:
        registered = {r.name: r for found in self.engine.pm.hook.gongzhi_register_reports() for r in found or ()}
        admin = self.people["admin"]
        params = {"variant": "consultation_community"}
        figures = []
        if "consultation_topics" in registered:
            topics = registered["consultation_topics"].run(self.engine, admin, **params)
            rows = [{"协商形式": VENUES.get(r["variant"], r["variant"]), "三会分类": TIERS.get(r["tier"], r["tier"] or NONE),
                     "议题状态": r["status"], "议题数": r["count"]} for r in topics["rows"]]
            figures.append((registered["consultation_topics"].title, rows))
        summary: dict[str, Any] = {}
        for name, keys in SUMMARY:
            if name in registered:
                found = registered[name].run(self.engine, admin, **params)
                summary.update({heading: percent(found[key]) if key.endswith("_rate") else
                                (NONE if found[key] is None else found[key]) for key, heading in keys})
        if summary:
            figures.append(("议题办理、实施与满意度", [summary]))
        return figures


SUMMARY = (
    ("consultation_resolution", (("resolved", "形成协商意见（件）"), ("median_days", "办理时长中位数（天）"))),
    ("consultation_implementation", (("tasks", "实施任务"), ("on_time", "按期完成"), ("on_time_rate", "实施按时率"))),
    ("consultation_satisfaction", (("responses", "满意度评议"), ("average", "平均分"), ("satisfied_rate", "满意率"))),
)


def demos() -> list[Demo]:
    return [Demo("consultation", "请你来商量：社区党群议事会议定加装充电桩（流会、表决、异议成立再表决、实施监督）",
                 lambda e, c: _Story(e, c).run(), order=20)]
