"""Review periods (考评期次): ``2026Q3`` for a quarter (the default), ``2026H1`` for a half-year.

A period covers whole days in China time; its bounds are returned in UTC,
``[begin, end)``, the way the engine stores instance times.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timezone

from gongzhi.calendar import CST

__all__ = ["Period", "parse_period", "period_label", "period_ending_before", "CYCLES"]

_PATTERN = re.compile(r"^(\d{4})(Q[1-4]|H[12])$")
CYCLES = {"季度": "Q", "半年度": "H"}


class Period:
    """One review period; ``str(period)`` is its code."""

    def __init__(self, year: int, kind: str, number: int) -> None:
        self.year, self.kind, self.number = year, kind, number

    @property
    def months(self) -> int:
        return 3 if self.kind == "Q" else 6

    @property
    def first_day(self) -> date:
        return date(self.year, (self.number - 1) * self.months + 1, 1)

    @property
    def day_after(self) -> date:
        month = self.number * self.months + 1
        return date(self.year + (month > 12), (month - 1) % 12 + 1, 1)

    def bounds(self) -> tuple[datetime, datetime]:
        """[begin, end) in UTC."""
        return (datetime.combine(self.first_day, time(), CST).astimezone(timezone.utc),
                datetime.combine(self.day_after, time(), CST).astimezone(timezone.utc))

    def previous(self) -> "Period":
        if self.number > 1:
            return Period(self.year, self.kind, self.number - 1)
        return Period(self.year - 1, self.kind, 4 if self.kind == "Q" else 2)

    def __str__(self) -> str:
        return f"{self.year}{self.kind}{self.number}"

    @property
    def label(self) -> str:
        """How people name the period: 2026年第一季度, 2026年上半年."""
        if self.kind == "Q":
            return f"{self.year}年第{'一二三四'[self.number - 1]}季度"
        return f"{self.year}年{'上下'[self.number - 1]}半年"

    def __repr__(self) -> str:
        return f"Period({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Period) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


def parse_period(code: str | Period) -> Period:
    if isinstance(code, Period):
        return code
    match = _PATTERN.match(str(code or "").strip().upper())
    if not match:
        raise ValueError(f"考评期次 '{code}' 格式不对：季度写作 2026Q3，半年度写作 2026H1")
    return Period(int(match.group(1)), match.group(2)[0], int(match.group(2)[1]))


def period_label(code: str) -> str | None:
    """The label of a period code (for ``gongzhi.humanize.name_of``); None when ``code`` is no period."""
    try:
        return parse_period(code).label
    except ValueError:
        return None


def period_ending_before(moment: datetime, cycle: str = "季度") -> Period:
    """The last whole period (quarter or half-year, by ``cycle``) that ended at or before ``moment``."""
    kind = CYCLES.get(cycle, cycle)
    if kind not in ("Q", "H"):
        raise ValueError(f"考评周期 '{cycle}' 不支持：{'、'.join(CYCLES)}")
    day = moment.astimezone(CST).date()
    months = 3 if kind == "Q" else 6
    current = Period(day.year, kind, (day.month - 1) // months + 1)
    return current.previous()
