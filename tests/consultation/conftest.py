"""Consultation fixtures: an engine with the bundled consultation definitions, the people, and a driver.

The whistle-dispatch process (``bpmn/whistle``) is written concurrently by
another engineer and its forms may change, so these tests deploy a stand-in
child process with the same key ``whistle_dispatch`` from
``fixtures/whistle_standin`` (one 部门办理 task for the group ``department``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import pytest

from gongzhi import Actor, Engine, MovableClock, bpmn_package_path
from gongzhi.calendar import CST, add_working_days
from gongzhi.plugins.consultation import ConsultationPlugin

HERE = Path(__file__).parent
REGION = "110105/001"

PARTY = Actor.of("party-1", "社区书记", ["party_org"], REGION)
GRID = Actor.of("grid-1", "网格员小李", ["grid_worker"], REGION)
RESIDENT = Actor.of("res-1", "居民王大妈", ["resident"], REGION)
SUPERVISOR = Actor.of("sup-1", "居务监督委员会主任", ["supervisor"], REGION)
PROPERTY = Actor.of("prop-1", "物业经理", ["property_co"], REGION)
DEPARTMENT = Actor.of("dept-1", "城管执法队", ["department"], REGION)
ADMIN = Actor.of("admin", "管理员", ["admin"], "")

TOPIC: dict[str, Any] = {
    "title": "楼道堆物清理", "description": "3 号楼楼道堆放杂物，影响通行和消防安全", "source": "微心愿",
    "proposer": "王大妈", "phone": "13812341234", "location": "幸福里小区 3 号楼", "grid": "110105/001/003/01",
    "scope": "楼栋", "households": 12, "cost_estimate": 0, "difficulty": "低", "authority": "居委会或物业",
}
OPINIONS = [
    {"who": "陈工", "body": "区规划设计院", "kind": "专家", "stance": "赞成", "opinion": "道路拓宽方案技术上可行"},
    {"who": "刘科长", "body": "区交通局", "kind": "职能部门", "stance": "有条件赞成", "opinion": "须同步设置错峰通行标识"},
]
EXTRA = {
    "consultation_courtyard": {"courtyard": "幸福里小区"},
    "consultation_community": {"community": "幸福里社区"},
    "consultation_enterprise": {"sub_type": "政企协商", "enterprises": ["青禾食品厂"], "department": "区市场监管局"},
}


def local(*args: int) -> datetime:
    """A moment in Beijing time."""
    return datetime(*args, tzinfo=CST)


class Driver:
    """Moves consultations through their stages with the runtime API, as the people involved would."""

    party, grid, resident, supervisor, property, department, admin = (
        PARTY, GRID, RESIDENT, SUPERVISOR, PROPERTY, DEPARTMENT, ADMIN)
    topic = TOPIC
    local = staticmethod(local)

    def __init__(self, engine: Engine, clock: MovableClock) -> None:
        self.engine, self.clock = engine, clock

    # --- looking ----------------------------------------------------------------
    def variables(self, instance_id: str) -> dict[str, Any]:
        return self.engine.instance(instance_id, ADMIN).variables

    def status(self, instance_id: str) -> str:
        return self.engine.instance(instance_id, ADMIN).status

    def open_elements(self, instance_id: str) -> list[str]:
        return sorted(t.element_id for t in self.engine.instance(instance_id, ADMIN).open_tasks)

    def task(self, instance_id: str, element_id: str) -> Any:
        found = [t for t in self.engine.instance(instance_id, ADMIN).open_tasks if t.element_id == element_id]
        assert len(found) == 1, f"expected one open {element_id}, open: {self.open_elements(instance_id)}"
        return found[0]

    def do(self, instance_id: str, element_id: str, actor: Actor, data: dict[str, Any]) -> Any:
        return self.engine.complete(self.task(instance_id, element_id).id, actor, data)

    def at(self, when: datetime) -> int:
        """Move the clock to ``when`` and fire what is due; returns how many timers fired."""
        self.clock.set(when)
        return self.engine.fire_due_timers()

    def working_days_from(self, start: datetime, days: int) -> datetime:
        return add_working_days(self.engine.calendar, start, days)

    # --- stages -----------------------------------------------------------------
    def start(self, variant: str, actor: Actor = RESIDENT, **overrides: Any) -> str:
        variables = {**TOPIC, **EXTRA[variant], **overrides}
        return self.engine.start(variant, actor, {k: v for k, v in variables.items() if v is not None}).id

    def review(self, instance_id: str, decision: str = "受理", **data: Any) -> Any:
        """Review the topic; an accepted topic's proposed meeting form is then confirmed as it stands."""
        done = self.do(instance_id, "review_topic", PARTY, {"review_decision": decision, **data})
        return self.confirm_tier(instance_id) if decision == "受理" else done

    def confirm_tier(self, instance_id: str, change_to: str | None = None, reason: str | None = None) -> Any:
        """The party organisation confirms the proposed meeting form, or changes it to ``change_to`` for ``reason``."""
        data = ({"tier_decision": "改为其他会议形式", "confirmed_tier_name": change_to, "tier_change_reason": reason}
                if change_to else {"tier_decision": "同意建议的会议形式"})
        return self.do(instance_id, "confirm_tier", PARTY, data)

    def notice(self, instance_id: str, invited: int, place: str = "社区议事厅") -> datetime:
        """Publish the notice inviting ``invited`` people of the topic's participant types; returns when the meeting may be held."""
        types = self.variables(instance_id)["participant_types"]
        invitees = [{"participant_type": types[i % len(types)], "name": f"参会人{i + 1}"} for i in range(invited)]
        self.do(instance_id, "prepare_notice", PARTY, {"meeting_place": place, "invitees": invitees})
        notice_days = self.variables(instance_id)["notice_days"]
        return self.working_days_from(self.clock.now(), notice_days)

    def hold_meeting(self, instance_id: str, host: Actor, present: int, votes: tuple[int, int, int] | None = None,
                     resolution: str = "物业三日内清理楼道，居民自行搬离个人物品") -> Any:
        self.do(instance_id, "sign_in", host, {"present": present})
        if votes is None:
            return None
        if "gather_opinions" in self.open_elements(instance_id):  # a hearing hears experts and departments first
            self.give_opinions(instance_id, host)
        votes_for, against, abstain = votes
        return self.do(instance_id, "minutes_vote", host, {
            "minutes": "与会人员充分发表意见", "resolution_text": resolution,
            "votes_for": votes_for, "votes_against": against, "votes_abstain": abstain})

    def give_opinions(self, instance_id: str, host: Actor, opinions: list[dict[str, Any]] | None = None,
                      conclusion: str = "可行，提交表决") -> Any:
        """Record the opinions heard at a hearing (by default one expert's and one department's) and its conclusion."""
        return self.do(instance_id, "gather_opinions", host, {
            "opinions": OPINIONS if opinions is None else opinions, "hearing_conclusion": conclusion,
            "conclusion_reason": "专家和部门意见均认为方案可行" if conclusion.startswith("可行") else "部门认为方案不可行"})

    def object(self, instance_id: str, objector: str = "李大爷", reason: str = "清理方案未考虑老人搬运困难") -> Any:
        return self.engine.send_message("consultation_objection", RESIDENT, {"objector": objector, "reason": reason},
                                        instance_id=instance_id)

    def plan(self, instance_id: str, tasks: list[dict[str, Any]]) -> Any:
        return self.do(instance_id, "plan", PARTY, {"impl_tasks": tasks})

    def supervise_and_rate(self, instance_id: str, rating: int) -> Any:
        self.do(instance_id, "supervise", SUPERVISOR, {"supervision_passed": True, "supervision_opinion": "已落实到位"})
        return self.do(instance_id, "satisfaction_survey", RESIDENT, {"satisfaction": rating})


@pytest.fixture
def consult(make_engine: Callable[..., Engine], clock: MovableClock) -> Driver:
    engine = make_engine(plugins=[ConsultationPlugin()], disable_plugins=["consultation"])  # not twice once the entry point exists
    engine.deploy([bpmn_package_path() / "consultation", HERE / "fixtures" / "whistle_standin"])
    return Driver(engine, clock)
