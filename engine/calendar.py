"""Working days (工作日): the statutory calendar of mainland China, including adjusted weekends (调休).

The default calendar comes from the ``chinesecalendar`` package through the
``gongzhi_calendar`` hook; an integrator can register their own (a province's
own holidays, a test calendar). Days are counted in China Standard Time.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone
from typing import Protocol

from .hookspecs import hookimpl

__all__ = ["WorkingCalendar", "ChinaCalendar", "WeekdayCalendar", "add_working_days", "CST"]

CST = timezone(timedelta(hours=8), "Asia/Shanghai")
logger = logging.getLogger("gongzhi.calendar")


class WorkingCalendar(Protocol):
    def is_working_day(self, day: date) -> bool:
        """True when people work on ``day``."""


class WeekdayCalendar:
    """Monday to Friday, no holidays: a fallback and a test double with obvious answers."""

    name = "weekdays"

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5


class ChinaCalendar:
    """The State Council's holiday schedule as published in ``chinesecalendar``.

    Years the package does not know yet (the schedule is announced each
    November) fall back to Monday–Friday, with a warning in the log.
    """

    name = "china"

    def __init__(self) -> None:
        import chinese_calendar

        self._lib = chinese_calendar
        self._warned: set[int] = set()

    def is_working_day(self, day: date) -> bool:
        try:
            return bool(self._lib.is_workday(day))
        except NotImplementedError:
            if day.year not in self._warned:
                self._warned.add(day.year)
                logger.warning("no holiday schedule for %s yet: counting Monday to Friday", day.year)
            return day.weekday() < 5


def add_working_days(calendar: WorkingCalendar, start: datetime, days: int) -> datetime:
    """The moment ``days`` working days after ``start``, at the same local time of day.

    Counting starts on the next day, so "3 working days" from a Friday
    afternoon ends on Wednesday afternoon; a start on a holiday counts from the
    first working day after it.
    """
    if days < 0:
        raise ValueError("working days must not be negative")
    local = start.astimezone(CST)
    day = local.date()
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            remaining -= 1
    return datetime.combine(day, local.timetz()).astimezone(timezone.utc)


@hookimpl(trylast=True)
def gongzhi_calendar() -> WorkingCalendar:
    return ChinaCalendar()
