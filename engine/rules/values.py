"""FEEL value model: numbers, temporals, durations, ranges, functions, plus conversions.

FEEL numbers are decimal (IEEE 754 decimal128), so ``0.1 + 0.2 = 0.3`` must
hold; internally every number is a :class:`decimal.Decimal` and only turns into
``int``/``float`` when a result leaves the engine. Days-and-time durations are
:class:`datetime.timedelta`; years-and-months durations, which Python lacks,
are :class:`YearMonthDuration`. Lists are ``list``, contexts ``dict`` (string
keys, in entry order), ranges :class:`Range`, functions :class:`Callable`
objects from :mod:`functions`. Caller-supplied data enters through
:func:`to_feel` once, at the boundary; inside the engine every value is a FEEL value.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Context, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# decimal128 precision, as the FEEL spec prescribes.
FEEL_CONTEXT = Context(prec=34)


@dataclass(frozen=True, order=True, slots=True)
class YearMonthDuration:
    """A FEEL years-and-months duration (e.g. ``P1Y2M``), kept as total months."""

    months: int

    def isoformat(self) -> str:
        sign = "-" if self.months < 0 else ""
        years, months = divmod(abs(self.months), 12)
        body = (f"{years}Y" if years else "") + (f"{months}M" if months or not years else "")
        return f"{sign}P{body}"


@dataclass(frozen=True, slots=True)
class Range:
    """A FEEL range such as ``[1..10)``; an endpoint of ``None`` is unbounded (``< 10``)."""

    low: Any
    high: Any
    low_closed: bool
    high_closed: bool

    def text(self) -> str:
        if self.low is None:
            return f"{'<=' if self.high_closed else '<'} {feel_text(self.high)}"
        if self.high is None:
            return f"{'>=' if self.low_closed else '>'} {feel_text(self.low)}"
        return (
            f"{'[' if self.low_closed else '('}{feel_text(self.low)}..{feel_text(self.high)}"
            f"{']' if self.high_closed else ')'}"
        )


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
    seconds = Decimal(parts.get("s", "0"))
    delta = dt.timedelta(
        weeks=int(parts.get("w", 0)),
        days=int(parts.get("d", 0)),
        hours=int(parts.get("h", 0)),
        minutes=int(parts.get("mi", 0)),
        seconds=int(seconds),
        microseconds=int((seconds - int(seconds)) * 1_000_000),
    )
    return -delta if sign < 0 else delta


def timedelta_iso(delta: dt.timedelta) -> str:
    """ISO 8601 text for a days-time duration, the way FEEL prints it (``P1DT2H``)."""
    total_us = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    sign = "-" if total_us < 0 else ""
    total_us = abs(total_us)
    days, rest = divmod(total_us, 86_400_000_000)
    hours, rest = divmod(rest, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds = Decimal(rest) / 1_000_000
    date_part = f"{days}D" if days else ""
    secs = format(seconds.normalize(), "f") if seconds else ""
    time_part = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{secs}S" if secs else "")
    if not date_part and not time_part:
        return "PT0S"
    return f"{sign}P{date_part}" + (f"T{time_part}" if time_part else "")


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_RE = re.compile(r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?([zZ]|[+-]\d{2}:\d{2}(:\d{2})?|@[A-Za-z_][\w/+-]*)?$")


def parse_date(text: str) -> dt.date:
    text = text.strip()
    if not _DATE_RE.match(text):
        raise ValueError(f"not a FEEL date (YYYY-MM-DD): {text!r}")
    return dt.date.fromisoformat(text)


def _zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _fraction(text: str) -> str:
    """Python wants 0, 3 or 6 fraction digits; FEEL allows any number (nanoseconds are cut)."""
    return re.sub(r"\.(\d+)", lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)


def parse_time(text: str) -> dt.time:
    text = text.strip()
    if not _TIME_RE.match(text):
        raise ValueError(f"not a FEEL time (hh:mm:ss): {text!r}")
    zone = None
    if "@" in text:
        text, zone_name = text.split("@", 1)
        zone = _zone(zone_name)
    value = dt.time.fromisoformat(_fraction(text).replace("z", "+00:00").replace("Z", "+00:00"))
    return value.replace(tzinfo=zone) if zone is not None else value


def parse_datetime(text: str) -> dt.datetime:
    text = text.strip()
    if "T" not in text:  # FEEL: date and time("2026-01-01") is midnight of that day
        return dt.datetime.combine(parse_date(text), dt.time())
    day, _, clock = text.partition("T")
    return dt.datetime.combine(parse_date(day), parse_time(clock))


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
    """Bring a caller-supplied Python value into the FEEL value space, deeply."""
    t = type(value)
    if value is None or t is bool or t is str or t is Decimal:
        return value
    if t is int:
        return Decimal(value)
    if t is float:
        if value != value or value in (float("inf"), float("-inf")):
            return None  # FEEL has no NaN/infinity
        return Decimal(repr(value))
    if t is list or t is tuple:
        return [to_feel(v) for v in value]
    if t is dict:
        return {str(k): to_feel(v) for k, v in value.items()}
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return Decimal(int(value))
    return value


def to_feel_inputs(inputs: Any) -> dict[str, Any]:
    """The evaluation context for caller inputs: a fresh dict of FEEL values."""
    out: dict[str, Any] = {}
    for key, value in inputs.items():
        t = type(value)
        out[key] = value if (t is str or t is Decimal or t is bool or value is None) else to_feel(value)
    return out


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
    """JSON-ready form: temporals and durations become ISO 8601 strings, ranges and functions text."""
    value = to_python(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return temporal_text(value)
    if isinstance(value, dt.timedelta):
        return timedelta_iso(value)
    if isinstance(value, YearMonthDuration):
        return value.isoformat()
    if isinstance(value, Range):
        return value.text()
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if callable(value):
        return feel_text(value)
    return value


def temporal_text(value: dt.date | dt.time) -> str:
    """ISO text of a date, time or date and time; IANA zones are written ``@Zone``."""
    zone = getattr(value, "tzinfo", None)
    if isinstance(zone, ZoneInfo):
        return value.replace(tzinfo=None).isoformat() + "@" + zone.key  # type: ignore[call-arg]
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


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
    if isinstance(value, dt.timedelta):
        return "days and time duration"
    if isinstance(value, YearMonthDuration):
        return "years and months duration"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "context"
    if isinstance(value, Range):
        return "range"
    if callable(value):
        return "function"
    return type(value).__name__


def feel_text(value: Any) -> str:
    """A value written as FEEL would print it (``string()`` of a list, explanations)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (dt.date, dt.time)):
        return temporal_text(value)
    if isinstance(value, dt.timedelta):
        return timedelta_iso(value)
    if isinstance(value, YearMonthDuration):
        return value.isoformat()
    if isinstance(value, Range):
        return value.text()
    if isinstance(value, list):
        return "[" + ", ".join(feel_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {feel_text(v)}" for k, v in value.items()) + "}"
    if callable(value):
        return f"function {getattr(value, 'name', '') or ''}".strip()
    return str(value)


def decimal_text(value: Decimal) -> str:
    """Plain notation without exponent or trailing zeros (``1.50`` → ``1.5``)."""
    normal = value.normalize(FEEL_CONTEXT)
    if normal.adjusted() > FEEL_CONTEXT.prec * 4:
        return str(normal)  # never print a thousand-digit integer; keep the exponent
    return format(normal, "f")


def safe_decimal(text: str) -> Decimal | None:
    """Decimal from text, or None when it is not a number."""
    try:
        result = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None
