"""双报到: a visit round or a mobilisation done by a registered party member counts as a 志愿服务 when
the DMN ``grid_party_service`` says the member's grid role is a volunteer's (微网格员, 兼职网格员, 楼栋长),
not when it is staff work (专职网格员, 网格长)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

import pytest

from gongzhi import SYSTEM, Actor, Engine, MovableClock, bpmn_package_path
from gongzhi.calendar import CST
from gongzhi.plugins.grid import GridPlugin
from gongzhi.plugins.party import PartyPlugin, member_rows

COMMUNITY_PATH = "990101/001/001"  # 翠苑社区
COMMUNITY = Actor.of("c-1", "翠苑社区工作人员", ["community"], COMMUNITY_PATH)
GRID = "990101/001/001/01"  # 翠苑一网格: G0004 微网格员 of its first micro-grid, G0002 its 专职网格员


def person(member: str) -> Actor:
    return Actor.of(member, f"网格人员{member}", [f"grid_member_{member}", "grid", "party_members"], GRID)


@pytest.fixture
def grid(make_engine: Callable[..., Engine], clock: MovableClock) -> Engine:
    clock.set(datetime(2026, 11, 2, 9, 0, tzinfo=CST))  # a Monday
    engine = make_engine(plugins=[GridPlugin(), PartyPlugin()], disable_plugins=["grid", "party"])
    engine.deploy([bpmn_package_path() / "grid", bpmn_package_path() / "whistle", bpmn_package_path() / "party"])
    return engine


def register(engine: Engine, actor: Actor, phone: str = "13900001111") -> None:
    """``actor`` registers with 翠苑社区 (双报到) and the community confirms it."""
    inst = engine.start("party_registration", actor, {"registrant_type": "在职党员", "name": actor.name, "phone": phone,
                                                      "work_unit": "区税务局", "community": COMMUNITY_PATH, "year": 2026})
    [task] = engine.instance(inst.id, COMMUNITY).open_tasks
    engine.complete(task.id, COMMUNITY, {"confirmed": True})


def finish_round(engine: Engine, actor: Actor) -> Any:
    """``actor`` visits every target of their visit case in this round; the case it was."""
    while True:
        tasks = [t for t in engine.tasks(actor).items if t.process_key == "grid_visit"]
        if not tasks:
            return visit_case
        visit_case = tasks[0].instance_id
        targets = engine.instance(visit_case, SYSTEM).variables
        left = [t["id"] for t in targets["targets"] if t["id"] not in {v["target"] for v in targets["visited"]}]
        engine.complete(tasks[0].id, actor, {"target": left[0], "found": False})


def volunteer_done(engine: Engine, member: str) -> int:
    [row] = [r for r in member_rows(engine, SYSTEM, 2026) if r["member"] == member]
    return row["volunteer_done"]


def test_a_micro_grid_workers_visit_round_counts_as_a_volunteer_service(grid: Engine, clock: MovableClock) -> None:
    g4, g2 = person("G0004"), person("G0002")
    register(grid, g4)
    register(grid, g2, phone="13900002222")
    grid.start("grid_visit_schedule", COMMUNITY, {"grid": GRID}, region=COMMUNITY_PATH)
    clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=CST))  # the first monthly round
    grid.fire_due_timers()
    grid.run_due_jobs()
    micro = grid.instance(finish_round(grid, g4), SYSTEM).variables
    assert (micro["member_role"], micro["service_rule"]) == ("微网格员", "志愿服务")
    assert micro["party_service"] == {"kind": "志愿服务", "member_task": "visit", "source": "网格走访"}
    staff = grid.instance(finish_round(grid, g2), SYSTEM).variables
    assert (staff["member_role"], staff["party_service"]) == ("专职网格员", None)  # the 专职网格员's own job
    assert (volunteer_done(grid, "G0004"), volunteer_done(grid, "G0002")) == (1, 0)
    [decision] = [e for e in grid.history(visit_of(grid, "G0004"), SYSTEM)
                  if e["action"] == "decision" and e["decision_id"] == "grid_party_service"]
    assert decision["matched_rules"] == ["DecisionRule_volunteer_roles"]


def visit_of(engine: Engine, member: str) -> str:
    [case] = [c for c in engine.instances(SYSTEM, process_key="grid_visit").items
              if engine.instance(c.id, SYSTEM).variables["member"] == member]
    return case.id


def test_a_confirmed_mobilisation_counts_and_an_overdue_one_does_not(grid: Engine, clock: MovableClock) -> None:
    g4 = person("G0004")
    register(grid, g4)
    grid.start("grid_mobilisation", COMMUNITY, {"community": COMMUNITY_PATH, "subject": "寒潮来临，通知独居老人做好防寒",
                                                "urgency": "一般"}, region=COMMUNITY_PATH)
    grid.run_due_jobs()
    [task] = [t for t in grid.tasks(g4).items if t.process_key == "grid_mobilisation_micro"]
    grid.complete(task.id, g4, {"reached_count": 80})
    done = grid.instance(task.instance_id, SYSTEM).variables
    assert done["party_service"] == {"kind": "志愿服务", "member_task": "confirm", "source": "入户组织动员"}
    assert volunteer_done(grid, "G0004") == 1
    grid.start("grid_mobilisation", COMMUNITY, {"community": COMMUNITY_PATH, "subject": "台风预警，转移危房住户",
                                                "urgency": "一般"}, region=COMMUNITY_PATH)
    grid.run_due_jobs()
    clock.set(datetime(2026, 11, 2, 13, 0, tzinfo=CST))  # past the three hours: the open task is closed
    grid.fire_due_timers()
    grid.run_due_jobs()
    late = [c for c in grid.instances(SYSTEM, process_key="grid_mobilisation_micro").items if c.id != task.instance_id
            and grid.instance(c.id, SYSTEM).variables["member"] == "G0004"]
    assert [grid.instance(c.id, SYSTEM).variables["status"] for c in late] == ["逾期未确认"]
    assert volunteer_done(grid, "G0004") == 1  # an overdue micro-grid is no service
