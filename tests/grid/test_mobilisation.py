"""Mobilisation (入户组织动员): a task per 微网格员, a 3-hour deadline from the DMN, coverage while it runs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable

import pytest

from gongzhi import SYSTEM, Actor, Engine, FormValidationError, InvalidInput, MovableClock, Outbox, ServiceTaskError, bpmn_package_path
from gongzhi.calendar import CST
from gongzhi.plugins.grid import GridPlugin

COMMUNITY = Actor.of("c-1", "翠苑社区工作人员", ["community"], "990101/001/001")
STREET = Actor.of("s-1", "东湖街道", ["street"], "990101/001")
OTHER_STREET = Actor.of("s-2", "西山街道", ["street"], "990101/002")
START = datetime(2026, 11, 2, 9, 0, tzinfo=CST)
ORDER = {"community": "990101/001/001", "subject": "寒潮来临，通知独居老人做好防寒", "urgency": "一般"}


def member(person: str) -> Actor:
    return Actor.of(person, "微网格员", [f"grid_member_{person}", "grid"], "990101/001/001/01")


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
def grid(make_engine: Callable[..., Engine], clock: MovableClock, outbox: Outbox) -> Engine:
    clock.set(START)
    engine = make_engine(plugins=[GridPlugin(notifier=outbox)], disable_plugins=["grid"])
    engine.deploy([bpmn_package_path() / "grid"])
    return engine


def report(engine: Engine, **params: Any) -> list[dict[str, Any]]:
    found = next(r for rs in engine.pm.hook.gongzhi_register_reports() for r in rs if r.name == "grid-mobilisation")
    return found.run(engine, params.pop("actor", STREET), **params)


def mobilise(engine: Engine) -> Any:
    case = engine.start("grid_mobilisation", COMMUNITY, ORDER, region="990101/001/001")
    engine.run_due_jobs()
    return case


def task_of(engine: Engine, person: str) -> list[Any]:
    return [t for t in engine.tasks(member(person)).items if t.process_key == "grid_mobilisation_micro"]


def test_each_micro_grid_worker_gets_a_task_due_in_three_hours(grid: Engine) -> None:
    case = mobilise(grid)
    rules = grid.instance(case.id, COMMUNITY).variables["rules"]
    assert rules == {"deadline_hours": 3, "remind_minutes_before": 30}
    [task] = task_of(grid, "G0004")
    assert task.due_at.astimezone(CST) == START + timedelta(hours=3)
    assert "寒潮来临" in grid.task(task.id, member("G0004")).instructions
    assert len(task_of(grid, "G0006")) == 2  # 冯志强 holds two micro-grids: a task for each
    rows = report(grid, mobilisation=case.id)
    assert [r["micro_grid_name"] for r in rows] == [f"翠苑一网格第{n}微网格" for n in "一二三四五"]
    assert {(r["reached"], r["status"]) for r in rows} == {(0, "待确认")}


def test_the_street_sees_coverage_rise_while_it_runs(grid: Engine) -> None:
    case = mobilise(grid)
    [task] = task_of(grid, "G0004")
    grid.complete(task.id, member("G0004"), {"reached_count": 80, "reached": ["H0101", "H0102"]})
    [row, *rest] = report(grid, mobilisation=case.id)
    assert (row["households"], row["reached"], row["coverage"], row["status"]) == (84, 80, round(80 / 84, 4), "已确认")
    assert all(r["reached"] == 0 for r in rest)
    assert report(grid, mobilisation=case.id, actor=OTHER_STREET) == []  # another street sees none of it
    detail = grid.instance(task.instance_id, STREET).variables
    assert "李秀英" not in str(detail) and "翠苑路12号1单元101" not in str(detail)  # the register is masked


def test_households_from_another_micro_grid_or_too_many_are_refused(grid: Engine) -> None:
    mobilise(grid)
    [task] = task_of(grid, "G0004")
    with pytest.raises(ServiceTaskError) as exc:
        grid.complete(task.id, member("G0004"), {"reached_count": 1, "reached": ["H0201"]})
    assert "住户 H0201 不在本微网格的名册中" in str(exc.value) and isinstance(exc.value.__cause__, InvalidInput)
    with pytest.raises(ServiceTaskError, match="超过本微网格的 84 户"):
        grid.complete(task.id, member("G0004"), {"reached_count": 85})
    assert task_of(grid, "G0004")[0].id == task.id  # nothing was written


def test_the_deadline_reminds_then_closes_open_tasks(grid: Engine, clock: MovableClock, outbox: Outbox) -> None:
    case = mobilise(grid)
    [done] = task_of(grid, "G0005")
    grid.complete(done.id, member("G0005"), {"reached_count": 86})
    clock.set(START + timedelta(hours=2, minutes=30))
    assert grid.fire_due_timers() == 4  # the four still open are reminded
    reminders = [n for n in outbox.items if n["kind"] == "催办"]
    assert len(reminders) == 4 and "还有 30 分钟到期" in reminders[0]["text"]
    assert len(task_of(grid, "G0004")) == 1  # still open after the reminder
    clock.set(START + timedelta(hours=3))
    assert grid.fire_due_timers() == 4
    assert task_of(grid, "G0004") == []
    rows = {r["micro_grid_name"]: r for r in report(grid, mobilisation=case.id)}
    assert rows["翠苑一网格第二微网格"]["status"] == "已确认"
    assert rows["翠苑一网格第一微网格"]["status"] == "逾期未确认"
    assert sum(1 for n in outbox.items if n["kind"] == "逾期" and n["to"] == "community") == 4


def test_an_unknown_community_or_one_without_micro_grids_is_a_clear_error(grid: Engine) -> None:
    # The start form refuses them as field errors: the process never sees a community it cannot use.
    with pytest.raises(FormValidationError, match="社区编码“990101/001/009”不在网格目录中") as unknown:
        grid.start("grid_mobilisation", COMMUNITY, {**ORDER, "community": "990101/001/009"}, region="990101/001/001")
    assert unknown.value.errors[0]["field"] == "community"
    with pytest.raises(FormValidationError, match="没有划分微网格"):
        grid.start("grid_mobilisation", SYSTEM, {**ORDER, "community": "990101/002/001"}, region="990101/002/001")
    assert grid.instances(SYSTEM, process_key="grid_mobilisation").items == []

