"""ISO 8601 durations, date-times and repeating intervals: parsed strictly, computed in O(1).

SpiffWorkflow's own parser accepts ``"P"`` and negative or malformed values and
adds months one by one, so ``P99999999Y`` keeps a worker busy for minutes. Here
a duration is checked by a regular expression, every number is at most
``MAX_DIGITS`` digits long, and adding one to a moment costs the same for one
month as for a million. What the values may *be* (how long, how often) is the
caller's business: see ``gongzhi.spiff.timers`` and ``gongzhi.limits``.

Month arithmetic follows SpiffWorkflow's, so due times stay what they were:
``n`` months after a moment are the lengths of the ``n`` calendar months from
the moment's own month on (31 January + ``P1M`` is 3 March in a common year),
and a fraction of a month is that fraction of the month reached.
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import NamedTuple

from SpiffWorkflow.bpmn.specs.event_definitions.timer import LOCALTZ

__all__ = ["Duration", "Recurrence", "ISOFormatError", "ValueTooLarge", "parse_duration", "parse_datetime",
           "parse_recurrence", "MAX_DIGITS"]

MAX_DIGITS = 12  # longer numbers in a duration or a repetition count are refused as too large

_NUMBER = r"(\d+(?:[.,]\d+)?)"
_DURATION = re.compile(
    rf"P(?!$)(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
    rf"(?:T(?=\d)(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?"
)
_UNITS = ("years", "months", "weeks", "days", "hours", "minutes", "seconds")
# Rough lengths, used only to compare magnitudes before computing exactly.
_APPROX_SECONDS = {"years": 366 * 86400, "months": 31 * 86400, "weeks": 7 * 86400, "days": 86400,
                   "hours": 3600, "minutes": 60, "seconds": 1}


class ISOFormatError(ValueError):
    """Text that is not the ISO 8601 value it should be; ``reason`` says why, in Chinese."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ValueTooLarge(ISOFormatError):
    """A well-formed value whose numbers are too large to compute with; ``kind`` is
    ``"duration"`` or ``"repetitions"``."""

    def __init__(self, reason: str, kind: str = "duration") -> None:
        super().__init__(reason)
        self.kind = kind


@dataclass(frozen=True)
class Duration:
    """An ISO 8601 duration (``PnYnMnWnDTnHnMnS``); only the last component may have a fraction."""

    years: float = 0
    months: float = 0
    weeks: float = 0
    days: float = 0
    hours: float = 0
    minutes: float = 0
    seconds: float = 0

    def __str__(self) -> str:
        def num(value: float) -> str:
            return str(int(value)) if float(value).is_integer() else repr(float(value))

        head = "".join(f"{num(getattr(self, u))}{u[0].upper()}" for u in _UNITS[:4] if getattr(self, u))
        tail = "".join(f"{num(getattr(self, u))}{u[0].upper()}" for u in _UNITS[4:] if getattr(self, u))
        text = "P" + head + ("T" + tail if tail else "")
        return text if text != "P" else "PT0S"

    def upper_seconds(self) -> float:
        """An upper bound of the length in seconds (every year a leap year, every month 31 days)."""
        return sum(getattr(self, u) * _APPROX_SECONDS[u] for u in _UNITS)

    def after(self, start: datetime) -> datetime:
        """The moment this long after ``start``."""
        days = self._month_days(start.year, start.month, forward=True)
        try:
            return start + self._fixed(days)
        except OverflowError as exc:
            raise ValueTooLarge("时间超出可计算的范围") from exc

    def before(self, end: datetime) -> datetime:
        """The moment this long before ``end`` (months counted back from ``end``'s month)."""
        days = self._month_days(end.year, end.month, forward=False)
        try:
            return end - self._fixed(days)
        except OverflowError as exc:
            raise ValueTooLarge("时间超出可计算的范围") from exc

    def _fixed(self, month_days: float) -> timedelta:
        return timedelta(weeks=self.weeks, days=self.days + month_days, hours=self.hours, minutes=self.minutes,
                         seconds=self.seconds)

    def _month_days(self, year: int, month: int, *, forward: bool) -> float:
        total = self.years * 12 + self.months
        if not total:
            return 0
        whole = math.floor(total)
        shift = whole if forward else -whole
        y, m = divmod(month - 1 + shift, 12)
        try:
            first, reached = date(year, month, 1), date(year + y, m + 1, 1)
        except ValueError as exc:
            raise ValueTooLarge("时间超出可计算的范围") from exc
        days = abs((reached - first).days)
        return days + (total - whole) * calendar.monthrange(reached.year, reached.month)[1]


class Recurrence(NamedTuple):
    """``R[n]/...``: how often (None: unbounded), and the interval's parts as written."""

    repetitions: int | None
    start: datetime | None
    duration: Duration | None
    end: datetime | None


def parse_duration(text: str) -> Duration:
    """A strict ISO 8601 duration: ``"P"``, ``"PT"``, signs, empty or repeated parts are refused."""
    if not isinstance(text, str):
        raise ISOFormatError(f"时长必须是文本，而不是 {type(text).__name__}")
    match = _DURATION.fullmatch(text.strip().upper())
    if match is None:
        raise ISOFormatError("不是 ISO 8601 时长（例如 PT1H、P3D、P1M）")
    raw = match.groups()
    present = [i for i, value in enumerate(raw) if value is not None]
    if any("." in raw[i] or "," in raw[i] for i in present[:-1]):
        raise ISOFormatError("只有最后一项可以带小数")
    values: dict[str, float] = {}
    for i in present:
        digits = raw[i].replace(",", ".")
        if len(digits.split(".")[0]) > MAX_DIGITS:
            raise ValueTooLarge(f"数值 {digits[:20]}… 过大")
        values[_UNITS[i]] = float(digits) if "." in digits else int(digits)
    return Duration(**values)


def parse_datetime(text: str, naive: tzinfo = LOCALTZ) -> datetime:
    """An ISO 8601 date-time (or date, or week date), as an aware UTC datetime.

    A value without an offset is read in ``naive`` (default: the server's local
    time, as SpiffWorkflow reads timer values).
    """
    if not isinstance(text, str):
        raise ISOFormatError(f"时间必须是文本，而不是 {type(text).__name__}")
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ISOFormatError("不是 ISO 8601 日期时间（例如 2027-01-04T09:00:00+08:00）") from exc
    return as_utc(moment, naive)


def as_utc(moment: datetime, naive: tzinfo = LOCALTZ) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=naive)
    return moment.astimezone(timezone.utc)


def parse_recurrence(text: str) -> Recurrence:
    """``R5/PT1H``, ``R/P3M``, ``R/2027-01-04T09:00:00+08:00/P3M``, ``R3/PT1H/2027-01-04T09:00Z``,
    ``R2/<start>/<end>``."""
    if not isinstance(text, str):
        raise ISOFormatError(f"重复周期必须是文本，而不是 {type(text).__name__}")
    parts = text.strip().upper().replace("--", "/").split("/")
    head = parts[0]
    if not head.startswith("R") or len(parts) not in (2, 3):
        raise ISOFormatError("不是 ISO 8601 重复周期（例如 R5/PT1H、R/P3M、R/2027-01-04T09:00:00+08:00/P3M）")
    count = head[1:]
    if count and not count.isdigit():
        raise ISOFormatError("重复次数必须是非负整数（R 后面）")
    if len(count) > MAX_DIGITS:
        raise ValueTooLarge(f"重复次数 {count[:20]}… 过大", "repetitions")
    repetitions = int(count) if count else None
    items = [parse_duration(p) if p.startswith("P") else parse_datetime(p) for p in parts[1:]]
    durations = [i for i in items if isinstance(i, Duration)]
    if len(parts) == 2:
        if not durations:
            raise ISOFormatError("只有起点没有时长的重复周期无法计算间隔")
        return Recurrence(repetitions, None, durations[0], None)
    if len(durations) == 2:
        raise ISOFormatError("重复周期不能由两个时长组成")
    if isinstance(items[0], datetime):
        if isinstance(items[1], datetime):
            return Recurrence(repetitions, items[0], None, items[1])
        return Recurrence(repetitions, items[0], items[1], None)
    return Recurrence(repetitions, None, items[0], items[1])  # type: ignore[arg-type]
