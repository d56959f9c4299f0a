"""FEEL operator semantics: arithmetic, comparison, equality and three-valued logic.

Every operator returns ``None`` (FEEL ``null``) for operands of the wrong or
mismatched type instead of raising, as FEEL prescribes; a table cell then
simply does not match. Temporal arithmetic follows DMN 1.5 §10.3.2.3: dates,
times and dates-and-times combine with days-and-time durations, dates and
dates-and-times with years-and-months durations; a date meeting a date and time
is taken as midnight (UTC when the other side has a zone).
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal, DecimalException
from typing import Any

from .limits import current_run
from .values import FEEL_CONTEXT, Range, YearMonthDuration

_DTD, _YMD, _DATE, _DT, _TIME = dt.timedelta, YearMonthDuration, dt.date, dt.datetime, dt.time
_ORDERED = (Decimal, str, _DATE, _DT, _TIME, _DTD, _YMD)


def add_months(day: dt.date, months: int) -> dt.date:
    """Shift a date/datetime by whole months, clamping to the month's last day."""
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return day.replace(year=year, month=month + 1, day=min(day.day, last))


def _time_shift(t: dt.time, delta: dt.timedelta) -> dt.time:
    """A time moved by a duration, wrapping around midnight; the zone is kept."""
    anchor = dt.datetime.combine(dt.date(2000, 1, 1), t.replace(tzinfo=None)) + delta
    return anchor.time().replace(tzinfo=t.tzinfo)


def _as_datetime(day: dt.date, other: dt.datetime) -> dt.datetime:
    """A date meeting a date and time: midnight, in UTC when the other value has a zone."""
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC if other.tzinfo is not None else None)


def add(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is Decimal and tb is Decimal:
        return FEEL_CONTEXT.add(a, b)
    if ta is str and tb is str:
        return current_run().check_string(a + b)
    try:
        if ta is tb and ta is _DTD:
            return a + b
        if ta is tb and ta is _YMD:
            return YearMonthDuration(a.months + b.months)
        if ta in (_DTD, _YMD) and tb in (_DATE, _DT, _TIME):
            return add(b, a)
        if ta is _DATE or ta is _DT:
            if tb is _DTD:
                return a + b if ta is _DT else (dt.datetime.combine(a, dt.time()) + b).date()
            if tb is _YMD:
                return add_months(a, b.months)
        if ta is _TIME and tb is _DTD:
            return _time_shift(a, b)
    except (OverflowError, ValueError):  # beyond year 9999
        return None
    return None


def sub(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is Decimal and tb is Decimal:
        return FEEL_CONTEXT.subtract(a, b)
    try:
        if ta is tb and ta in (_DATE, _DT, _DTD):
            return a - b
        if ta is _DATE and tb is _DT:
            return _as_datetime(a, b) - b
        if ta is _DT and tb is _DATE:
            return a - _as_datetime(b, a)
        if ta is tb is _YMD:
            return YearMonthDuration(a.months - b.months)
        if ta is tb is _TIME:
            if (a.utcoffset() is None) != (b.utcoffset() is None):
                return None
            day = dt.date(2000, 1, 1)
            return dt.datetime.combine(day, a) - dt.datetime.combine(day, b)
        if ta in (_DATE, _DT, _TIME) and tb in (_DTD, _YMD):
            return add(a, negate(b)) if ta is not _TIME or tb is _DTD else None
    except (TypeError, OverflowError, ValueError):  # naive minus aware, beyond year 9999
        return None
    return None


def mul(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is Decimal and tb is Decimal:
        return FEEL_CONTEXT.multiply(a, b)
    if ta is Decimal and tb in (_DTD, _YMD):
        return mul(b, a)
    try:
        if tb is Decimal and ta is _DTD:
            return dt.timedelta(microseconds=int(FEEL_CONTEXT.multiply(_micros(a), b)))
        if tb is Decimal and ta is _YMD:
            return YearMonthDuration(int(FEEL_CONTEXT.multiply(Decimal(a.months), b)))
    except (OverflowError, DecimalException):
        return None
    return None


def div(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    try:
        if ta is Decimal and tb is Decimal:
            return None if b == 0 else FEEL_CONTEXT.divide(a, b)
        if ta is _DTD and tb is Decimal:
            return None if b == 0 else dt.timedelta(microseconds=int(FEEL_CONTEXT.divide(_micros(a), b)))
        if ta is _YMD and tb is Decimal:
            return None if b == 0 else YearMonthDuration(int(FEEL_CONTEXT.divide(Decimal(a.months), b)))
        if ta is tb is _DTD:
            return None if not b else FEEL_CONTEXT.divide(_micros(a), _micros(b))
        if ta is tb is _YMD:
            return None if not b.months else FEEL_CONTEXT.divide(Decimal(a.months), Decimal(b.months))
    except (DecimalException, OverflowError):
        return None
    return None


def _micros(delta: dt.timedelta) -> Decimal:
    return Decimal((delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds)


def seconds(delta: dt.timedelta) -> Decimal:
    return _micros(delta) / 1_000_000


def power(a: Any, b: Any) -> Any:
    if type(a) is Decimal and type(b) is Decimal:
        try:
            return FEEL_CONTEXT.power(a, b)
        except DecimalException:
            return None
    return None


def negate(a: Any) -> Any:
    if type(a) is Decimal:
        return -a
    if type(a) is dt.timedelta:
        return -a
    if type(a) is YearMonthDuration:
        return YearMonthDuration(-a.months)
    return None


def eq(a: Any, b: Any) -> bool | None:
    """FEEL ``=``: null equals only null; values of different types give null; lists and contexts deeply."""
    if a is None or b is None:
        return a is None and b is None
    ta, tb = type(a), type(b)
    if ta is not tb:
        return None
    if ta is list:
        if len(a) != len(b):
            return False
        return _all_equal(zip(a, b, strict=True))
    if ta is dict:
        if a.keys() != b.keys():
            return False
        return _all_equal((a[k], b[k]) for k in a)
    if ta is Range:
        return _all_equal(((a.low, b.low), (a.high, b.high))) and (
            a.low_closed == b.low_closed and a.high_closed == b.high_closed
        )
    if ta is _TIME or ta is _DT:
        if (a.utcoffset() is None) != (b.utcoffset() is None):
            return False
    try:
        return a == b
    except TypeError:
        return None


def _all_equal(pairs: Any) -> bool | None:
    result: bool | None = True
    for x, y in pairs:
        same = eq(x, y)
        if same is False:
            return False
        if same is None:
            result = None
    return result


def ne(a: Any, b: Any) -> bool | None:
    result = eq(a, b)
    return None if result is None else not result


def _ordered(a: Any, b: Any) -> bool:
    """Whether ``<`` is defined between the two values."""
    ta = type(a)
    return ta is type(b) and ta in _ORDERED


def lt(a: Any, b: Any) -> bool | None:
    if not _ordered(a, b):
        return None
    try:
        return a < b
    except TypeError:  # naive vs aware
        return None


def le(a: Any, b: Any) -> bool | None:
    if not _ordered(a, b):
        return None
    try:
        return a <= b
    except TypeError:
        return None


def gt(a: Any, b: Any) -> bool | None:
    return lt(b, a)


def ge(a: Any, b: Any) -> bool | None:
    return le(b, a)


def logical_and(a: Any, b: Any) -> bool | None:
    if a is False or b is False:
        return False
    if a is True and b is True:
        return True
    return None


def logical_or(a: Any, b: Any) -> bool | None:
    if a is True or b is True:
        return True
    if a is False and b is False:
        return False
    return None


def in_range(value: Any, r: Range) -> bool | None:
    """Whether ``value`` lies in range ``r`` (three-valued)."""
    if value is None:
        return None
    low = True if r.low is None else (le if r.low_closed else lt)(r.low, value)
    if low is not True:
        return low
    return True if r.high is None else (le if r.high_closed else lt)(value, r.high)


BINARY = {
    "+": add,
    "-": sub,
    "*": mul,
    "/": div,
    "**": power,
    "=": eq,
    "!=": ne,
    "<": lt,
    "<=": le,
    ">": gt,
    ">=": ge,
}
