"""Working days (工作日): the statutory calendar of mainland China, including adjusted weekends (调休).

The default calendar comes from the ``chinesecalendar`` package through the
``gongzhi_calendar`` hook; an integrator can register their own (a province's
own holidays, a test calendar). Days are counted in China Standard Time.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta, timezone
from typing import Protocol, Sequence

from .hooks.specs import hookimpl

__all__ = ["WorkingCalendar", "ChinaCalendar", "WeekdayCalendar", "add_working_days", "working_days_before",
           "add_working_hours", "parse_working_hours", "WORKING_HOURS", "CST"]

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


def working_days_before(calendar: WorkingCalendar, end: datetime, days: int) -> datetime:
    """The moment ``days`` working days before ``end``, at the same local time of day: the mirror of
    ``add_working_days`` (a margin kept before an outside deadline, e.g. one working day for review)."""
    if days < 0:
        raise ValueError("working days must not be negative")
    local = end.astimezone(CST)
    day = local.date()
    remaining = days
    while remaining:
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            remaining -= 1
    return datetime.combine(day, local.timetz()).astimezone(timezone.utc)


# Office hours on a working day (China time): a local default, configurable (``working_hours``).
WORKING_HOURS: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30)))


def parse_working_hours(text: str) -> tuple[tuple[time, time], ...]:
    """``"08:30-12:00,13:30-17:30"`` as periods; raises ValueError (in Chinese) for bad or overlapping ones."""
    periods = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        try:
            begin, end = (time.fromisoformat(t.strip()) for t in part.split("-"))
        except ValueError as exc:
            raise ValueError(f"工作时间“{part}”格式不对，应写作 08:30-12:00") from exc
        if begin >= end or (periods and begin < periods[-1][1]):
            raise ValueError(f"工作时间“{part}”无效：每段须先早后晚，且各段按时间先后不重叠")
        periods.append((begin, end))
    if not periods:
        raise ValueError("工作时间不能为空")
    return tuple(periods)


def add_working_hours(calendar: WorkingCalendar, start: datetime, hours: float,
                      periods: Sequence[tuple[time, time]] = WORKING_HOURS) -> datetime:
    """The moment ``hours`` of office time after ``start``: only the ``periods`` of working days count,
    so one hour asked at 17:00 on a Friday ends at 09:00 on the next working day."""
    if hours < 0:
        raise ValueError("working hours must not be negative")
    remaining = timedelta(hours=hours)
    local = start.astimezone(CST)
    day = local.date()
    for _ in range(3660):  # ten years of days: a bound, not a limit anyone reaches
        if calendar.is_working_day(day):
            for begin, end in periods:
                opens = datetime.combine(day, begin, CST)
                closes = datetime.combine(day, end, CST)
                if closes <= local:
                    continue
                opens = max(opens, local)
                if opens + remaining <= closes:
                    return (opens + remaining).astimezone(timezone.utc)
                remaining -= closes - opens
        day += timedelta(days=1)
        local = datetime.combine(day, time(0), CST)
    raise ValueError("working hours reach beyond ten years")


@hookimpl(trylast=True)
def gongzhi_calendar() -> WorkingCalendar:
    return ChinaCalendar()
