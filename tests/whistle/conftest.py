"""Fixtures for the whistle-dispatch tests: an engine on SQLite with a movable clock and actors."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from gongzhi import Actor, Engine, MovableClock, bpmn_package_path
from gongzhi.plugins.whistle import Outbox, WhistlePlugin

# Monday 2025-03-03 09:00 China time: a plain working week ahead.
START = datetime(2025, 3, 3, 1, 0, tzinfo=timezone.utc)
GRID = "990101/001/001/01"
DEPARTMENTS = ["chengguan", "shichang", "gongan", "xiaofang", "zhujian", "huanjing", "shuiwu", "gongdian"]

INTAKE: dict[str, Any] = {
    "channel": "12345热线",
    "category_l1": "生态环境",
    "category_l2": "餐饮油烟",
    "category_l3": "油烟直排",
    "case_type": "投诉",
    "description": "楼下餐馆油烟直排，影响居民生活",
    "address": "翠苑路 1 号",
    "grid": GRID,
    "reporter_name": "张三",
    "reporter_mobile": "13800138000",
    "urgency": "一般",
    "emergency": "无",
}

FOUR = {"accepted_at": "2025-03-03T10:00:00+08:00", "contacted": "反映人张三及餐馆业主",
        "measures": "责令安装油烟净化设施并复查", "resolve_by": "2025-03-20"}
STREET_RATING = {"street_resolved": True,
                 "street_cooperation": 5, "street_score": 5}


class World:
    """The engine plus one actor per group, and shortcuts to find and complete tasks."""

    def __init__(self, engine: Engine, clock: MovableClock, outbox: Outbox, region: str | None = None) -> None:
        self.engine, self.clock, self.outbox = engine, clock, outbox
        self.step: timedelta | None = None  # move the clock before each command, as a real one would
        self.admin = Actor.of("admin", "管理员", ["admin"])
        street, community = region or "990101/001", region or "990101/001/001"
        self.actors = {
            "grid": Actor.of("grid1", "网格员小李", ["grid"], community),
            "community": Actor.of("comm1", "社区主任", ["community"], community),
            "street": Actor.of("street1", "街道吹哨中心", ["street"], street),
            "street_leader": Actor.of("leader1", "街道主任", ["street_leader"], street),
            "district": Actor.of("district1", "区督查室", ["district"], "990101"),
            **{f"dept_{d}": Actor.of(f"{d}1", f"{d} 科员", [f"dept_{d}"], "990101") for d in DEPARTMENTS},
        }

    def start(self, business_key: str | None = None, region: str = GRID, **changes: Any):
        variables = {**INTAKE, **changes}
        return self.engine.start("whistle_dispatch", self.admin, variables, business_key=business_key,
                                 region=region)

    def open_tasks(self, instance_id: str):
        return self.engine.tasks(self.admin, instance_id=instance_id, per_page=200).items

    def find(self, instance_id: str, element_id: str, dept: str | None = None):
        found = [t for t in self.open_tasks(instance_id) if t.element_id == element_id
                 and (dept is None or t.candidate_groups == [f"dept_{dept}"])]
        assert len(found) == 1, (element_id, dept, [(t.element_id, t.candidate_groups) for t in self.open_tasks(instance_id)])
        return found[0]

    def actor_for(self, task) -> Actor:
        return self.actors[task.candidate_groups[0]]

    def do(self, instance_id: str, element_id: str, data: dict[str, Any] | None = None, dept: str | None = None):
        task = self.find(instance_id, element_id, dept)
        if self.step:
            self.clock.advance(self.step)
        return self.engine.complete(task.id, self.actor_for(task), data or {})

    def advance(self, **delta: float) -> int:
        self.clock.advance(**delta)
        return self.engine.fire_due_timers()

    # --- whole steps -------------------------------------------------------------

    def whistle(self, iid: str, lead: str, co: list[str], level: str = "常规哨"):
        return self.do(iid, "blow_whistle", {"whistle_level": level, "lead_department": lead,
                                             "co_departments": co, "whistle_reason": "需部门报到处置"})

    def handle(self, iid: str, dept: str, result: str = "已解决", sign: bool = True):
        if sign:
            self.do(iid, "sign_in", {"sign_decision": "签收"}, dept)
        self.do(iid, "onsite_report", {"arrived_at": "2025-03-03T15:00:00+08:00", "onsite_staff": "执法队员两名",
                                       "onsite_situation": "现场核实属实"}, dept)
        self.feedback(iid, dept, result)

    def feedback(self, iid: str, dept: str, result: str = "已解决"):
        self.do(iid, "handle_feedback", {"handle_outcome": "办结反馈", **FOUR, "handle_result": result}, dept)

    def rate(self, iid: str, street_score: int = 5, community_score: int = 5, **changes: Any):
        """Rate the one department whose ratings are open."""
        self.do(iid, "street_rate", {**STREET_RATING, "street_score": street_score, **changes})
        return self.do(iid, "community_rate", {"community_score": community_score})

    def follow_up(self, iid: str, resolved: str = "已解决", satisfaction: str = "满意"):
        return self.do(iid, "resident_followup", {"followup_resolved": resolved, "followup_satisfaction": satisfaction})

    def variables(self, iid: str) -> dict[str, Any]:
        return self.engine.instance(iid, self.admin).variables


def make_world(tmp_path, cache_size: int = 0, region: str | None = None) -> World:
    """An engine with the whistle definitions deployed; ``region`` widens every actor's scope."""
    clock = MovableClock(START)
    outbox = Outbox()
    engine = Engine(
        {"database_url": f"sqlite:///{tmp_path}/db.sqlite3", "cache_size": cache_size, "disable_plugins": ["whistle"]},
        clock=clock,
        plugins=[WhistlePlugin(notifier=outbox)],
    )
    engine.upgrade_db()
    engine.deploy([bpmn_package_path() / "whistle"])
    return World(engine, clock, outbox, region)


@pytest.fixture
def world(tmp_path) -> World:
    return make_world(tmp_path)


@pytest.fixture(scope="session")
def whistle_world_factory():
    """``make_world`` for module-scoped fixtures (test modules cannot import conftest in importlib mode)."""
    return make_world
