"""Date and time functions (DMN 1.5 §10.3.4.6, §10.3.4.7 ``is``) and ``now``/``today``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from . import ops
from .functions import builtin
from .lib_conversion import require
from .limits import current_run

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # fmt: skip


@builtin("day of year", ("date",))
def day_of_year(day: Any) -> Decimal:
    return Decimal(require(day, dt.date, "day of year").timetuple().tm_yday)


@builtin("day of week", ("date",))
def day_of_week(day: Any) -> str:
    return _DAYS[require(day, dt.date, "day of week").weekday()]


@builtin("month of year", ("date",))
def month_of_year(day: Any) -> str:
    return _MONTHS[require(day, dt.date, "month of year").month - 1]


@builtin("week of year", ("date",))
def week_of_year(day: Any) -> Decimal:
    return Decimal(require(day, dt.date, "week of year").isocalendar()[1])


@builtin("now", pure=False)
def now() -> dt.datetime:
    fixed = current_run().now
    return fixed if fixed is not None else dt.datetime.now().astimezone()


@builtin("today", pure=False)
def today() -> dt.date:
    return now().date()


@builtin("is", ("value1", "value2"))
def same(a: Any, b: Any) -> bool:
    """Same type and value; for temporals also the same offset or zone (``@"10:00Z"`` is not ``@"11:00+01:00"``)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (dt.time, dt.datetime)) and str(a.tzinfo) != str(b.tzinfo):
        return False
    return ops.eq(a, b) is True
