"""FEEL path expressions ``a.b``: context entries, properties of temporals, durations and ranges.

A path over a list maps over its items (``people.name``); an unknown property is null.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from .values import Range, YearMonthDuration


def _offset(value: dt.time | dt.datetime) -> dt.timedelta | None:
    if value.tzinfo is None:
        return None
    probe = value if isinstance(value, dt.datetime) else dt.datetime.combine(dt.date(2000, 1, 1), value)
    return probe.utcoffset()


def _zone(value: dt.time | dt.datetime) -> str | None:
    return value.tzinfo.key if isinstance(value.tzinfo, ZoneInfo) else None


def _n(value: int) -> Decimal:
    return Decimal(value)


_DATE: dict[str, Callable[[Any], Any]] = {
    "year": lambda v: _n(v.year),
    "month": lambda v: _n(v.month),
    "day": lambda v: _n(v.day),
    "weekday": lambda v: _n(v.isoweekday()),
}
_TIME: dict[str, Callable[[Any], Any]] = {
    "hour": lambda v: _n(v.hour),
    "minute": lambda v: _n(v.minute),
    "second": lambda v: _n(v.second) + (Decimal(v.microsecond) / 1_000_000 if v.microsecond else 0),
    "time offset": _offset,
    "timezone": _zone,
}


def _dtd_parts(v: dt.timedelta) -> tuple[int, int, int, Decimal]:
    sign = -1 if v < dt.timedelta(0) else 1
    v = abs(v)
    return (
        sign * v.days,
        sign * (v.seconds // 3600),
        sign * (v.seconds // 60 % 60),
        sign * (Decimal(v.seconds % 60) + Decimal(v.microseconds) / 1_000_000),
    )


PROPERTIES: dict[type, dict[str, Callable[[Any], Any]]] = {
    dt.date: _DATE,
    dt.time: _TIME,
    dt.datetime: {**_DATE, **_TIME},
    dt.timedelta: {
        "days": lambda v: _n(_dtd_parts(v)[0]),
        "hours": lambda v: _n(_dtd_parts(v)[1]),
        "minutes": lambda v: _n(_dtd_parts(v)[2]),
        "seconds": lambda v: _dtd_parts(v)[3],
    },
    YearMonthDuration: {
        "years": lambda v: _n(int(v.months / 12)),
        "months": lambda v: _n(v.months - int(v.months / 12) * 12),
    },
    Range: {
        "start": lambda v: v.low,
        "end": lambda v: v.high,
        "start included": lambda v: v.low_closed if v.low is not None else False,
        "end included": lambda v: v.high_closed if v.high is not None else False,
    },
}


def get_path(value: Any, attr: str) -> Any:
    """FEEL path step: context entry, property, or the step mapped over a list."""
    t = type(value)
    if t is dict:
        return value.get(attr)
    if t is list:
        return [get_path(item, attr) for item in value]
    getter = PROPERTIES.get(t, {}).get(attr)
    return None if getter is None else getter(value)
