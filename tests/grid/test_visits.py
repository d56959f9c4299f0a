"""Grid visits (走访): monthly rounds from the DMN, a task per grid member, findings as whistle cases, coverage."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

import pytest

from gongzhi import SYSTEM, Actor, Engine, FormValidationError, InvalidInput, MovableClock, NotAllowed, ServiceTaskError, bpmn_package_path
from gongzhi.calendar import CST
from gongzhi.grid import of as grid_of
from gongzhi.plugins.grid import Register, visit_plan

GRID = "990101/001/001/01"  # 翠苑一网格: five micro-grids, 微网格员 G0004–G0007, 专职网格员 G0002
COMMUNITY = Actor.of("c-1", "翠苑社区工作人员", ["community"], "990101/001/001")
STREET = Actor.of("s-1", "东湖街道", ["street"], "990101/001")
OTHER_STREET = Actor.of("s-2", "西山街道", ["street"], "990101/002")


def member(person: str, region: str = GRID) -> Actor:
    return Actor.of(person, "网格员", [f"grid_member_{person}", "grid"], region)


@pytest.fixture
def grid(make_engine: Callable[..., Engine], clock: MovableClock) -> Engine:
    clock.set(datetime(2026, 11, 2, 9, 0, tzinfo=CST))  # a Monday
    engine = make_engine()
    engine.deploy([bpmn_package_path() / "grid", bpmn_package_path() / "whistle"])
    return engine


def start_round(engine: Engine, clock: MovableClock) -> Any:
    schedule = engine.start("grid_visit_schedule", COMMUNITY, {"grid": GRID}, region="990101/001/001")
    clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=CST))  # a month later: the first round
    assert engine.fire_due_timers() == 1
    engine.run_due_jobs()
    return schedule


def report(engine: Engine, name: str) -> Any:
    return next(r for found in engine.pm.hook.gongzhi_register_reports() for r in found if r.name == name)


def run(engine: Engine, name: str, actor: Actor, **params: Any) -> Any:
    return report(engine, name).run(engine, actor, **params)


def visits(engine: Engine, actor: Actor) -> list[Any]:
    return [t for t in engine.tasks(actor).items if t.process_key == "grid_visit"]


def test_the_round_is_decided_by_the_dmn_and_audited(grid: Engine) -> None:
    schedule = grid.start("grid_visit_schedule", COMMUNITY, {"grid": GRID}, region="990101/001/001")
    rules = grid.instance(schedule.id, COMMUNITY).variables["round_rules"]
    assert rules == {"cycle": "每月", "cover": "居民户,商户", "roles": "微网格员,专职网格员,兼职网格员,网格长", "visit_days": 20}
    [decision] = [e for e in grid.history(schedule.id, SYSTEM) if e["action"] == "decision"]
    assert decision["decision_id"] == "visit_round" and decision["matched_rules"] == ["DecisionRule_general"]
    shops = grid.start("grid_visit_schedule", COMMUNITY, {"grid": "990101/001/001/03"}, region="990101/001/001")
    assert grid.instance(shops.id, COMMUNITY).variables["round_rules"]["cover"] == "商户"


def test_a_monthly_round_gives_each_member_their_own_households(grid: Engine, clock: MovableClock) -> None:
    start_round(grid, clock)
    [task] = visits(grid, member("G0004"))  # 微网格员 of the first micro-grid
    view = grid.task(task.id, member("G0004"))
    assert "翠苑路12号1单元101" in view.instructions and "李秀英" in view.instructions  # needed: shown unmasked
    assert "翠苑路14号" not in view.instructions  # the second micro-grid is someone else's
    [fourth] = visits(grid, member("G0006"))  # two micro-grids: both households
    assert grid.instance(fourth.instance_id, SYSTEM).variables["targets"][0]["id"] in ("H0301", "H0401")
    assert len(grid.instance(fourth.instance_id, SYSTEM).variables["targets"]) == 2
    [shop] = visits(grid, member("G0002"))  # 专职网格员: the shop outside the micro-grids
    assert [t["id"] for t in grid.instance(shop.instance_id, SYSTEM).variables["targets"]] == ["S0101"]
    assert visits(grid, member("G0005", "990101/001/001/01")) and not visits(grid, member("G0009"))  # 网格法律: no round
    due = task.due_at.astimezone(CST)
    assert due.date() == datetime(2026, 12, 30).date()  # 20 working days


def test_a_reader_without_pii_sees_households_masked(grid: Engine, clock: MovableClock) -> None:
    start_round(grid, clock)
    [task] = visits(grid, member("G0004"))
    targets = grid.instance(task.instance_id, COMMUNITY).variables["targets"]
    assert "李秀英" not in str(targets) and "13800002101" not in str(targets)
    assert targets[0]["id"] == "H0101"


def test_a_finding_becomes_a_whistle_case_in_one_step(grid: Engine, clock: MovableClock) -> None:
    start_round(grid, clock)
    g4 = member("G0004")
    [task] = visits(grid, g4)
    grid.complete(task.id, g4, {"target": "H0101", "found": True, "description": "楼道堆放杂物，堵塞消防通道",
                                "category": "治安消防"})
    grid.run_due_jobs()
    visit = grid.instance(task.instance_id, SYSTEM)
    [opened] = visit.variables["cases"]
    case = grid.instance(opened["case_id"], SYSTEM)
    assert case.process_key == "whistle_dispatch" and case.status == "running"
    v = case.variables
    assert (v["channel"], v["grid"], v["address"], v["category_l1"]) == ("网格员上报", GRID, "翠苑路12号1单元101", "治安消防")
    assert v["description"] == "楼道堆放杂物，堵塞消防通道" and v["reporter_mobile"] == "13900001004"
    [again] = visits(grid, g4)  # one household left
    done = grid.complete(again.id, g4, {"target": "H0102", "found": False})
    assert done.status == "completed" and len(done.variables["visited"]) == 2


def test_a_target_not_on_the_list_is_refused_and_nothing_is_written(grid: Engine, clock: MovableClock) -> None:
    start_round(grid, clock)
    g4 = member("G0004")
    [task] = visits(grid, g4)
    with pytest.raises(ServiceTaskError) as exc:
        grid.complete(task.id, g4, {"target": "H0201", "found": False})  # the second micro-grid's
    assert "走访对象 H0201 不在本次走访名单中" in str(exc.value) and isinstance(exc.value.__cause__, InvalidInput)
    assert [t.id for t in visits(grid, g4)] == [task.id]
    assert grid.instance(task.instance_id, SYSTEM).variables["visited"] == []
    with pytest.raises(NotAllowed):
        grid.complete(task.id, member("G0005"), {"target": "H0101", "found": False})  # not their task


def test_unknown_grid_and_members_of_other_grids_are_clear_errors(grid: Engine) -> None:
    with pytest.raises(FormValidationError) as exc:  # the start form refuses it: a field error, no case
        grid.start("grid_visit_schedule", COMMUNITY, {"grid": "990101/001/001/09"}, region="990101/001/001")
    assert "网格编码“990101/001/001/09”不在网格目录中" in str(exc.value) and exc.value.errors[0]["field"] == "grid"
    assert grid.instances(SYSTEM, process_key="grid_visit_schedule").items == []
    directory = grid_of(grid)
    with pytest.raises(InvalidInput, match="G0011"):
        visit_plan(directory, Register.load(), GRID, "居民户", "微网格员", members=["G0011"])  # 湖畔社区's
    with pytest.raises(InvalidInput, match="G0011"):
        run(grid, "grid-visits", SYSTEM, grid=GRID, member="G0011")


def test_coverage_per_member_and_per_grid_is_a_region_scoped_report(grid: Engine, clock: MovableClock) -> None:
    start_round(grid, clock)
    g4 = member("G0004")
    [task] = visits(grid, g4)
    grid.complete(task.id, g4, {"target": "H0101", "found": False})
    rows = {r["member"]: r for r in run(grid, "grid-visits", STREET, grid=GRID)}
    assert set(rows) == {"G0002", "G0004", "G0005", "G0006", "G0007"}
    assert (rows["G0004"]["targets"], rows["G0004"]["visited"], rows["G0004"]["coverage"]) == (2, 1, 0.5)
    [total] = run(grid, "grid-visit-grids", STREET)
    assert (total["grid_name"], total["members"], total["targets"], total["visited"]) == ("翠苑一网格", 5, 8, 1)
    assert total["coverage"] == 0.125
    assert run(grid, "grid-visits", OTHER_STREET) == []
    csv = report(grid, "grid-visit-grids").to_csv(run(grid, "grid-visit-grids", STREET))
    assert csv.splitlines()[0] == "走访轮次开始,网格,网格员人数,应走访,已走访,发现问题,立案,走访覆盖率"
    assert "翠苑一网格" in csv and "12.5%" in csv



def test_the_schedule_has_no_stop_task_and_stops_on_the_communitys_message(grid: Engine, clock: MovableClock) -> None:
    schedule = start_round(grid, clock)
    assert grid.instance(schedule.id, COMMUNITY).open_tasks == []  # no "办理即停止" to-do
    rounds = len(grid.instances(SYSTEM, process_key="grid_visit").items)
    assert rounds > 0
    with pytest.raises(NotAllowed):  # the street reads the schedule, but stopping it is the community's action
        grid.correlate("grid_visit_schedule_stop", STREET, {"stop_reason": "街道不同意"}, instance_id=schedule.id)
    stopped = grid.correlate("grid_visit_schedule_stop", COMMUNITY, {"stop_reason": "网格调整，重新排程"},
                             instance_id=schedule.id)
    assert stopped.status == "completed" and stopped.variables["stop"] == {"stop_reason": "网格调整，重新排程"}
    clock.set(datetime(2027, 1, 4, 9, 0, tzinfo=CST))  # the next month: no round any more
    assert grid.fire_due_timers() == 0
    grid.run_due_jobs()
    assert len(grid.instances(SYSTEM, process_key="grid_visit").items) == rounds
