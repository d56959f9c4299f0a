"""Timers fire by the engine clock, exactly once; working days follow the statutory calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import pytest
from sqlalchemy import select

from gongzhi import Engine, MovableClock
from gongzhi.calendar import CST, ChinaCalendar, WeekdayCalendar, add_working_days
from gongzhi.store.models import Job

FIXTURES = Path(__file__).parent / "fixtures"


def jobs(engine: Engine, instance_id: str) -> list[tuple[str, str, datetime]]:
    with engine.db.read() as session:
        rows = session.scalars(select(Job).where(Job.instance_id == instance_id).order_by(Job.id))
        return [(r.element_id, r.status, r.due_at.replace(tzinfo=timezone.utc)) for r in rows]


def test_boundary_timer_fires_when_due_and_only_then(engine: Engine, clock: MovableClock, people: Any, start_vars: dict) -> None:
    inst = engine.start("approval", people.clerk, start_vars)
    assert jobs(engine, inst.id) == [("review_timeout", "pending", clock.now() + timedelta(hours=1))]
    clock.advance(minutes=59)
    assert engine.fire_due_timers() == 0
    clock.advance(minutes=1)
    assert engine.fire_due_timers() == 1
    assert engine.fire_due_timers() == 0  # exactly once
    view = engine.instance(inst.id, people.leader)
    assert [t.element_id for t in view.open_tasks] == ["escalated"]
    assert engine.task(inst.open_tasks[0].id, people.clerk).status == "cancelled"
    assert [j[1] for j in jobs(engine, inst.id)] == ["done"]
    assert [e["action"] for e in engine.history(inst.id, people.leader)] == ["start", "timer"]


def test_timer_of_a_finished_task_is_withdrawn(engine: Engine, clock: MovableClock, people: Any, start_vars: dict) -> None:
    inst = engine.start("approval", people.clerk, start_vars)
    assert [j[1] for j in jobs(engine, inst.id)] == ["pending"]
    engine.complete(inst.open_tasks[0].id, people.clerk, {"approved": False})
    assert jobs(engine, inst.id) == []  # withdrawn before it ran: no row left behind
    clock.advance(hours=2)
    assert engine.fire_due_timers() == 0
    assert engine.instance(inst.id, people.leader).status == "completed"


@pytest.fixture
def reminder(make_engine: Callable[..., Engine]) -> Engine:
    engine = make_engine()
    engine.deploy([FIXTURES / "timers"])
    return engine


def test_working_day_timer_and_cycle_reminders(reminder: Engine, clock: MovableClock, people: Any) -> None:
    # Wednesday 30 September 2026, 09:00 in Beijing: the National Day holiday starts the next day.
    clock.set(datetime(2026, 9, 30, 9, 0, tzinfo=CST))
    inst = reminder.start("reminder", people.clerk, {"notice_days": 3})
    [(element, status, due)] = jobs(reminder, inst.id)
    # 1–7 October are off; Saturday 10 October is an adjusted working day (调休).
    assert (element, status, due.astimezone(CST)) == ("notice_period", "pending", datetime(2026, 10, 10, 9, 0, tzinfo=CST))
    clock.set(datetime(2026, 10, 10, 9, 0, tzinfo=CST))
    assert reminder.fire_due_timers() == 1
    task_id = reminder.instance(inst.id, people.clerk).open_tasks[0].id
    remind = [j for j in jobs(reminder, inst.id) if j[0] == "remind"]
    assert remind == [("remind", "pending", clock.now() + timedelta(hours=1))]

    for hour in range(1, 4):
        clock.advance(hours=1)
        assert reminder.fire_due_timers() == 1, hour
        assert reminder.fire_due_timers() == 0, hour  # a cycle reschedules itself once per firing, never in a loop
    clock.advance(hours=5)
    assert reminder.fire_due_timers() == 0  # R3: three reminders, then silence
    view = reminder.instance(inst.id, people.clerk)
    assert [t.id for t in view.open_tasks] == [task_id]
    timers = [e["element_id"] for e in reminder.history(inst.id, people.clerk) if e["action"] == "timer"]
    assert timers == ["notice_period", "remind", "remind", "remind"]
    assert reminder.complete(task_id, people.clerk, {}).status == "completed"
    assert not [j for j in jobs(reminder, inst.id) if j[1] == "pending"]


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 11, 6), 1, date(2026, 11, 9)),  # Friday + 1 -> Monday
        (date(2026, 9, 30), 3, date(2026, 10, 10)),  # across National Day, ending on the adjusted Saturday
        (date(2026, 10, 3), 1, date(2026, 10, 8)),  # starting inside the holiday
        (date(2026, 11, 2), 0, date(2026, 11, 2)),
    ],
)
def test_add_working_days(start: date, days: int, expected: date) -> None:
    moment = datetime.combine(start, datetime.min.time().replace(hour=15), CST)
    assert add_working_days(ChinaCalendar(), moment, days).astimezone(CST).date() == expected


def test_weekday_calendar_ignores_holidays() -> None:
    moment = datetime(2026, 9, 30, 15, 0, tzinfo=CST)
    assert add_working_days(WeekdayCalendar(), moment, 3).astimezone(CST).date() == date(2026, 10, 5)
    with pytest.raises(ValueError):
        add_working_days(WeekdayCalendar(), moment, -1)
