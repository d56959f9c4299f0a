"""FEEL value model: numbers, temporals and durations, plus conversions.

FEEL numbers are decimal (IEEE 754 decimal128), so ``0.1 + 0.2 = 0.3`` must
hold; internally every number is a :class:`decimal.Decimal` and only turns into
``int``/``float`` when a result leaves the engine. Days-and-time durations are
:class:`datetime.timedelta`; years-and-months durations, which Python lacks,
are :class:`YearMonthDuration`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Context, Decimal, InvalidOperation
from typing import Any

# decimal128 precision, as the FEEL spec prescribes.
FEEL_CONTEXT = Context(prec=34)


@dataclass(frozen=True, order=True)
class YearMonthDuration:
    """A FEEL years-and-months duration (e.g. ``P1Y2M``), kept as total months."""

    months: int

    def isoformat(self) -> str:
        sign = "-" if self.months < 0 else ""
        years, months = divmod(abs(self.months), 12)
        body = (f"{years}Y" if years else "") + (f"{months}M" if months or not years else "")
        return f"{sign}P{body}"


_DURATION_RE = re.compile(
    r"^(?P<sign>-)?P(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> dt.timedelta | YearMonthDuration:
    """Parse an ISO 8601 duration; ``P1Y2M`` is years-months, ``P3DT4H`` days-time."""
    m = _DURATION_RE.match(text.strip())
    if not m or text.strip() in ("P", "-P") or text.strip().endswith("T"):
        raise ValueError(f"not an ISO 8601 duration: {text!r}")
    parts = {k: v for k, v in m.groupdict().items() if v is not None and k != "sign"}
    sign = -1 if m.group("sign") else 1
    if parts and set(parts) <= {"y", "mo"}:
        return YearMonthDuration(sign * (int(parts.get("y", 0)) * 12 + int(parts.get("mo", 0))))
    if "y" in parts or "mo" in parts:
        raise ValueError(f"cannot mix years/months with days/time in a FEEL duration: {text!r}")
    delta = dt.timedelta(
        weeks=int(parts.get("w", 0)),
        days=int(parts.get("d", 0)),
        hours=int(parts.get("h", 0)),
        minutes=int(parts.get("mi", 0)),
        seconds=float(parts.get("s", 0)),
    )
    return -delta if sign < 0 else delta


def timedelta_iso(delta: dt.timedelta) -> str:
    """ISO 8601 text for a days-time duration, the way FEEL prints it (``P1DT2H``)."""
    total = delta.total_seconds()
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    date_part = f"{int(days)}D" if days else ""
    time_part = "".join(
        f"{int(v) if float(v).is_integer() else v}{u}" for v, u in ((hours, "H"), (minutes, "M"), (seconds, "S")) if v
    )
    if not date_part and not time_part:
        return "PT0S"
    return f"{sign}P{date_part}" + (f"T{time_part}" if time_part else "")


def parse_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text.strip())


def parse_datetime(text: str) -> dt.datetime:
    text = text.strip()
    if "T" not in text:  # FEEL: date and time("2026-01-01") is midnight of that day
        return dt.datetime.combine(parse_date(text), dt.time())
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def parse_time(text: str) -> dt.time:
    return dt.time.fromisoformat(text.strip().replace("Z", "+00:00"))


def parse_temporal(text: str) -> Any:
    """Value of a FEEL ``@"..."`` literal: date, date-time, time or duration."""
    text = text.strip()
    if text.startswith(("P", "-P")):
        return parse_duration(text)
    if "T" in text:
        return parse_datetime(text)
    if ":" in text:
        return parse_time(text)
    return parse_date(text)


def number(value: int | float | str | Decimal) -> Decimal:
    """A FEEL number from a Python number; floats go through ``repr`` so 0.1 stays 0.1."""
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def to_feel(value: Any) -> Any:
    """Bring a caller-supplied Python value into the FEEL value space (shallow for dicts)."""
    if value is None or isinstance(value, (bool, str, Decimal)):
        return value
    if isinstance(value, (int, float)):
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            return None  # FEEL has no NaN/infinity
        return number(value)
    if isinstance(value, (list, tuple)):
        return [to_feel(v) for v in value]
    return value


def to_python(value: Any) -> Any:
    """Bring a FEEL value back to plain Python: integral Decimals become ``int``."""
    if isinstance(value, Decimal):
        # adjusted() bound: never materialise a huge int such as 9E+999999 (beyond decimal128 precision)
        if value.adjusted() < FEEL_CONTEXT.prec and value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, list):
        return [to_python(v) for v in value]
    if isinstance(value, dict):
        return {k: to_python(v) for k, v in value.items()}
    return value


def to_json(value: Any) -> Any:
    """JSON-ready form: temporals and durations become ISO 8601 strings."""
    value = to_python(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return timedelta_iso(value)
    if isinstance(value, YearMonthDuration):
        return value.isoformat()
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


def type_name(value: Any) -> str:
    """FEEL type name of a value, for messages and type checks."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (Decimal, int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.datetime):
        return "date and time"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, dt.time):
        return "time"
    if isinstance(value, (dt.timedelta, YearMonthDuration)):
        return "duration"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "context"
    return type(value).__name__


def safe_decimal(text: str) -> Decimal | None:
    """Decimal from text, or None when it is not a number."""
    try:
        result = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None
