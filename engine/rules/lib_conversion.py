"""Conversion functions (DMN 1.5 §10.3.4.1): date, time, date and time, number, string, durations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from .feel import FeelEvalError
from .functions import builtin
from .limits import current_run
from .values import (
    Range,
    YearMonthDuration,
    feel_text,
    parse_date,
    parse_datetime,
    parse_duration,
    parse_time,
    safe_decimal,
    temporal_text,
    timedelta_iso,
    type_name,
)


def require(value: Any, expected: type | tuple[type, ...], what: str) -> Any:
    """``value`` if it has the FEEL type a function needs, else FeelEvalError (→ null)."""
    if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
        name = _FEEL_NAMES.get(expected, getattr(expected, "__name__", "another type"))  # type: ignore[arg-type]
        raise FeelEvalError(f"{what}() expects a {name}, got {type_name(value)}")
    return value


_FEEL_NAMES = {Decimal: "number", str: "string", bool: "boolean", list: "list", dict: "context", dt.date: "date",
               dt.time: "time", dt.timedelta: "days and time duration", Range: "range"}  # fmt: skip


def integer(value: Any, what: str) -> int:
    number = require(value, Decimal, what)
    if number != number.to_integral_value():
        raise FeelEvalError(f"{what} expects an integer, got {number}")
    return int(number)


def parsing(parse: Any, label: str, text: Any) -> Any:
    require(text, str, label)
    try:
        return parse(text)
    except ValueError as exc:
        raise FeelEvalError(f"{label}({text!r}): {exc}") from exc


@builtin("date", ("from",), ("year", "month", "day"))
def date(*args: Any) -> dt.date:
    if len(args) == 3:
        try:
            return dt.date(*(integer(a, "date") for a in args))
        except ValueError as exc:
            raise FeelEvalError(f"date{tuple(args)}: {exc}") from exc
    value = args[0]
    if type(value) is dt.datetime:
        return value.date()
    if type(value) is dt.date:
        return value
    return parsing(parse_date, "date", value)


@builtin("date and time", ("from",), ("date", "time"))
def date_and_time(*args: Any) -> dt.datetime:
    if len(args) == 2:
        day, time = args
        require(day, dt.date, "date and time")
        if type(time) is not dt.time:
            raise FeelEvalError("date and time(date, time) expects a time")
        return dt.datetime.combine(day if type(day) is dt.date else day.date(), time)
    value = args[0]
    if type(value) is dt.datetime:
        return value
    if type(value) is dt.date:
        return dt.datetime.combine(value, dt.time())
    return parsing(parse_datetime, "date and time", value)


@builtin("time", ("from",), ("hour", "minute", "second", "offset?"))
def time(*args: Any) -> dt.time:
    if len(args) >= 3:
        hour, minute = integer(args[0], "time"), integer(args[1], "time")
        second = require(args[2], Decimal, "time")
        offset = args[3] if len(args) > 3 else None
        zone = None
        if offset is not None:
            require(offset, dt.timedelta, "time")
            zone = dt.timezone(offset)
        micro = int((second - int(second)) * 1_000_000)
        try:
            return dt.time(hour, minute, int(second), micro, tzinfo=zone)
        except ValueError as exc:
            raise FeelEvalError(f"time{tuple(args)}: {exc}") from exc
    if len(args) != 1:
        raise FeelEvalError("time() takes a string, a date and time, or hour, minute, second[, offset]")
    value = args[0]
    if type(value) is dt.datetime:
        return value.timetz()
    if type(value) is dt.date:
        return dt.time(tzinfo=dt.UTC)
    if type(value) is dt.time:
        return value
    return parsing(parse_time, "time", value)


@builtin("number", ("from", "grouping separator?", "decimal separator?"))
def number(text: Any, grouping: Any = None, decimal: Any = None) -> Decimal:
    require(text, str, "number")
    if grouping not in (None, " ", ",", ".") or decimal not in (None, ",", ".") or (
        grouping is not None and grouping == decimal
    ):
        raise FeelEvalError("number(): grouping separator must be ' ', ',' or '.', decimal ',' or '.'")
    if grouping is not None:
        text = text.replace(grouping, "")
    if decimal is not None:
        text = text.replace(decimal, ".")
    result = safe_decimal(text) if text.strip() == text and "_" not in text else None
    if result is None:
        raise FeelEvalError(f"number({text!r}): not a number")
    return result


def string_of(value: Any) -> str | None:
    """FEEL ``string(from)``: strings as they are, everything else as FEEL prints it."""
    if value is None:
        return None
    if type(value) is str:
        return value
    if isinstance(value, (dt.date, dt.time)):
        return temporal_text(value)
    if isinstance(value, dt.timedelta):
        return timedelta_iso(value)
    if isinstance(value, YearMonthDuration):
        return value.isoformat()
    if isinstance(value, Range):
        return value.text()
    return current_run().check_string(feel_text(value))


builtin("string", ("from",))(string_of)


@builtin("duration", ("from",))
def duration(text: Any) -> Any:
    if type(text) in (dt.timedelta, YearMonthDuration):
        return text
    return parsing(parse_duration, "duration", text)


@builtin("years and months duration", ("from", "to"))
def years_and_months(start: Any, end: Any) -> YearMonthDuration:
    require(start, dt.date, "years and months duration")
    require(end, dt.date, "years and months duration")
    months = (end.year - start.year) * 12 + end.month - start.month
    a = (start.day, *(start.timetuple()[3:6] if type(start) is dt.datetime else (0, 0, 0)))
    b = (end.day, *(end.timetuple()[3:6] if type(end) is dt.datetime else (0, 0, 0)))
    if months > 0 and b < a:
        months -= 1
    elif months < 0 and b > a:
        months += 1
    return YearMonthDuration(months)


@builtin("not", ("negand",))
def negation(value: Any) -> bool | None:
    """Boolean ``not`` (§10.3.4.2): null for anything that is not a boolean."""
    return (not value) if type(value) is bool else None
