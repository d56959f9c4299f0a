"""FEEL operator semantics: arithmetic, comparison and three-valued logic.

Every operator returns ``None`` (FEEL ``null``) for operands of the wrong or
mismatched type instead of raising, as FEEL prescribes; a table cell then
simply does not match.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal, DecimalException
from typing import Any

from .values import FEEL_CONTEXT, YearMonthDuration

_TEMPORAL = (dt.date, dt.time, dt.timedelta, YearMonthDuration)


def add_months(day: dt.date, months: int) -> dt.date:
    """Shift a date/datetime by whole months, clamping to the month's last day."""
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return day.replace(year=year, month=month + 1, day=min(day.day, last))


def add(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is Decimal and tb is Decimal:
        return FEEL_CONTEXT.add(a, b)
    if ta is str and tb is str:
        return a + b
    if ta is tb and ta in (dt.timedelta, YearMonthDuration):
        return a + b if ta is dt.timedelta else YearMonthDuration(a.months + b.months)
    if ta in (dt.timedelta, YearMonthDuration) and tb in (dt.date, dt.datetime):
        return add(b, a)
    if ta in (dt.date, dt.datetime):
        if tb is dt.timedelta:
            return a + b
        if tb is YearMonthDuration:
            return add_months(a, b.months)
    return None


def sub(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is Decimal and tb is Decimal:
        return FEEL_CONTEXT.subtract(a, b)
    if ta is tb and ta in (dt.date, dt.datetime, dt.timedelta):
        try:
            return a - b
        except TypeError:  # naive minus aware date-time
            return None
    if ta is tb is YearMonthDuration:
        return YearMonthDuration(a.months - b.months)
    if ta in (dt.date, dt.datetime) and tb in (dt.timedelta, YearMonthDuration):
        return add(a, negate(b))
    return None


def mul(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is Decimal and tb is Decimal:
        return FEEL_CONTEXT.multiply(a, b)
    if ta is Decimal and tb in (dt.timedelta, YearMonthDuration):
        return mul(b, a)
    if tb is Decimal and ta is dt.timedelta:
        return dt.timedelta(seconds=float(FEEL_CONTEXT.multiply(Decimal(str(a.total_seconds())), b)))
    if tb is Decimal and ta is YearMonthDuration:
        return YearMonthDuration(int(FEEL_CONTEXT.multiply(Decimal(a.months), b)))
    return None


def div(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    try:
        if ta is Decimal and tb is Decimal:
            return None if b == 0 else FEEL_CONTEXT.divide(a, b)
        if ta is dt.timedelta and tb is Decimal:
            return None if b == 0 else div_seconds(a, b)
        if ta is tb is dt.timedelta:
            return None if not b else FEEL_CONTEXT.divide(_seconds(a), _seconds(b))
        if ta is tb is YearMonthDuration:
            return None if not b.months else FEEL_CONTEXT.divide(Decimal(a.months), Decimal(b.months))
    except DecimalException:
        return None
    return None


def _seconds(delta: dt.timedelta) -> Decimal:
    return Decimal(delta.days * 86400 + delta.seconds) + Decimal(delta.microseconds) / 1_000_000


def div_seconds(delta: dt.timedelta, by: Decimal) -> dt.timedelta:
    return dt.timedelta(seconds=float(FEEL_CONTEXT.divide(_seconds(delta), by)))


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
    """FEEL ``=``: null equals only null; values of different types give null."""
    if a is None or b is None:
        return a is None and b is None
    ta, tb = type(a), type(b)
    if ta is not tb:
        return None
    if ta is list:
        if len(a) != len(b):
            return False
        return all(eq(x, y) is True for x, y in zip(a, b, strict=True))
    if ta is dict:
        return a.keys() == b.keys() and all(eq(a[k], b[k]) is True for k in a)
    try:
        return a == b
    except TypeError:
        return None


def ne(a: Any, b: Any) -> bool | None:
    result = eq(a, b)
    return None if result is None else not result


def _ordered(a: Any, b: Any) -> bool:
    """Whether ``<`` is defined between the two values."""
    ta = type(a)
    return ta is type(b) and (ta is Decimal or ta is str or ta in _TEMPORAL or ta is dt.datetime)


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
