"""Working hours in the calendar (issue 17, item 3): only office hours of working days count."""

from __future__ import annotations

from datetime import datetime, time, timezone

import pytest

from gongzhi.calendar import CST, WeekdayCalendar, add_working_hours, parse_working_hours

CAL = WeekdayCalendar()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=CST)  # 2026-12-04 is a Friday


@pytest.mark.parametrize(("start", "hours", "end"), [
    (at(2, 9), 1, at(2, 10)),                # inside the morning
    (at(2, 11, 30), 1, at(2, 14)),           # over the lunch break
    (at(2, 20), 1, at(3, 9, 30)),            # asked at night: counts from 08:30 next morning
    (at(4, 17), 1, at(7, 9)),                # Friday 17:00: half an hour left, the rest on Monday
    (at(5, 10), 0.5, at(7, 9)),              # Saturday: nothing counts until Monday
    (at(2, 8, 30), 7.5, at(2, 17, 30)),      # a whole office day (3.5 + 4 hours) ends at closing time
])
def test_working_hours_skip_nights_breaks_and_weekends(start: datetime, hours: float, end: datetime) -> None:
    assert add_working_hours(CAL, start, hours) == end.astimezone(timezone.utc)


def test_office_hours_are_configurable() -> None:
    periods = parse_working_hours("09:00-12:00, 14:00-18:00")
    assert periods == ((time(9), time(12)), (time(14), time(18)))
    assert add_working_hours(CAL, at(2, 11, 30), 1, periods) == at(2, 14, 30).astimezone(timezone.utc)


@pytest.mark.parametrize("text", ["", "9点-12点", "12:00-09:00", "08:30-12:00,11:00-17:30"])
def test_bad_office_hours_are_refused_in_chinese(text: str) -> None:
    with pytest.raises(ValueError, match="工作时间"):
        parse_working_hours(text)


def test_negative_hours_are_refused() -> None:
    with pytest.raises(ValueError):
        add_working_hours(CAL, at(2, 9), -1)


def test_expressions_count_office_hours_from_the_engine_clock(make_engine, clock) -> None:
    """``add_working_hours(n)`` in a BPMN expression, beside ``add_working_days``, with configured periods."""
    from gongzhi import ConfigurationError

    clock.set(at(4, 17))  # Friday 17:00 in Beijing
    engine = make_engine(working_hours="08:30-12:00,13:30-17:30")
    due = engine.script_engine.environment.evaluate("add_working_hours(1)", {})
    assert datetime.fromisoformat(due) == at(7, 9).astimezone(timezone.utc)  # Monday 09:00
    late = make_engine(working_hours="09:00-12:00,14:00-18:00")
    assert datetime.fromisoformat(late.script_engine.environment.evaluate("add_working_hours(1)", {})) == \
        at(4, 18).astimezone(timezone.utc)  # an office open until 18:00 has the hour left today
    with pytest.raises(ConfigurationError, match="WORKING_HOURS"):
        make_engine(working_hours="17:30-08:30")
