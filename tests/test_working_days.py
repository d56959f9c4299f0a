"""``working_days_before``: the mirror of ``add_working_days`` (a margin kept before an outside deadline)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from gongzhi.calendar import CST, WeekdayCalendar, add_working_days, working_days_before


class Holidays(WeekdayCalendar):
    """Monday to Friday, without the given days off."""

    def __init__(self, *off: date) -> None:
        self.off = set(off)

    def is_working_day(self, day: date) -> bool:
        return super().is_working_day(day) and day not in self.off


@pytest.mark.parametrize(("end", "days", "start"), [
    (datetime(2026, 11, 4, 18, 0, tzinfo=CST), 1, datetime(2026, 11, 3, 18, 0, tzinfo=CST)),  # Wednesday -> Tuesday
    (datetime(2026, 11, 9, 18, 0, tzinfo=CST), 1, datetime(2026, 11, 6, 18, 0, tzinfo=CST)),  # Monday -> Friday
    (datetime(2026, 11, 8, 10, 0, tzinfo=CST), 1, datetime(2026, 11, 6, 10, 0, tzinfo=CST)),  # Sunday -> Friday
    (datetime(2026, 11, 9, 0, 30, tzinfo=CST), 2, datetime(2026, 11, 5, 0, 30, tzinfo=CST)),  # the China day, not UTC's
    (datetime(2026, 11, 4, 18, 0, tzinfo=CST), 0, datetime(2026, 11, 4, 18, 0, tzinfo=CST)),
])
def test_working_days_before_counts_back_over_weekends(end: datetime, days: int, start: datetime) -> None:
    assert working_days_before(WeekdayCalendar(), end, days) == start


def test_it_skips_holidays_and_mirrors_adding() -> None:
    calendar = Holidays(date(2026, 11, 6))
    end = datetime(2026, 11, 9, 18, 0, tzinfo=CST)
    assert working_days_before(calendar, end, 1) == datetime(2026, 11, 5, 18, 0, tzinfo=CST)
    assert add_working_days(calendar, working_days_before(calendar, end, 3), 3) == end


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError):
        working_days_before(WeekdayCalendar(), datetime(2026, 11, 9, tzinfo=CST), -1)
