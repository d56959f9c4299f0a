"""The FEEL built-in functions Gongzhi supports.

Each function takes FEEL values and raises :class:`FeelEvalError` on bad
arguments. The compiler turns that into a load-time problem when all
arguments are constants (``date("2026-13-01")``) and into ``null`` at run time,
as FEEL prescribes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any

from . import ops
from .feel import FeelEvalError
from .values import (
    FEEL_CONTEXT,
    YearMonthDuration,
    parse_date,
    parse_datetime,
    parse_duration,
    parse_temporal,
    parse_time,
    safe_decimal,
    timedelta_iso,
    type_name,
)


def _require(value: Any, expected: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
        raise FeelEvalError(f"{what} expects {getattr(expected, '__name__', 'another type')}, got {type_name(value)}")
    return value


def _parsing(parse: Callable[[str], Any], label: str) -> Callable[[Any], Any]:
    def wrapped(text: Any) -> Any:
        _require(text, str, label)
        try:
            return parse(text)
        except ValueError as exc:
            raise FeelEvalError(f"{label}({text!r}): {exc}") from exc

    return wrapped


def _date(*args: Any) -> dt.date:
    if len(args) == 3:
        try:
            return dt.date(*(int(_require(a, Decimal, "date")) for a in args))
        except ValueError as exc:
            raise FeelEvalError(f"date{tuple(int(a) for a in args)}: {exc}") from exc
    if len(args) != 1:
        raise FeelEvalError("date() takes a string, a date and time, or year, month, day")
    value = args[0]
    if isinstance(value, dt.datetime):
        return value.date()
    return _parsing(parse_date, "date")(value)


def _date_and_time(*args: Any) -> dt.datetime:
    if len(args) == 2:
        day, time = args
        _require(day, dt.date, "date and time")
        _require(time, dt.time, "date and time")
        return dt.datetime.combine(day if type(day) is dt.date else day.date(), time)
    return _parsing(parse_datetime, "date and time")(args[0])


def _string(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(FEEL_CONTEXT), "f")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return timedelta_iso(value)
    if isinstance(value, YearMonthDuration):
        return value.isoformat()
    return str(value)


def _number(text: Any) -> Decimal:
    _require(text, str, "number")
    result = safe_decimal(text)
    if result is None:
        raise FeelEvalError(f"number({text!r}): not a number")
    return result


def _items(args: tuple[Any, ...], label: str) -> list[Any]:
    """List functions accept one list argument or the items as arguments."""
    if len(args) == 1 and isinstance(args[0], list):
        return args[0]
    return list(args)


def _ordered_items(args: tuple[Any, ...], label: str) -> list[Any]:
    items = _items(args, label)
    if any(v is None for v in items) or len({type(v) for v in items}) > 1:
        raise FeelEvalError(f"{label}() needs values of one comparable type")
    return items


def _min(*args: Any) -> Any:
    items = _ordered_items(args, "min")
    return min(items) if items else None


def _max(*args: Any) -> Any:
    items = _ordered_items(args, "max")
    return max(items) if items else None


def _sum(*args: Any) -> Decimal | None:
    items = _items(args, "sum")
    if not items:
        return None
    total = Decimal(0)
    for item in items:
        total = FEEL_CONTEXT.add(total, _require(item, Decimal, "sum"))
    return total


def _mean(*args: Any) -> Decimal | None:
    items = _items(args, "mean")
    total = _sum(items)
    return None if total is None else FEEL_CONTEXT.divide(total, Decimal(len(items)))


def _count(*args: Any) -> Decimal:
    return Decimal(len(_items(args, "count")))


def _all(*args: Any) -> bool | None:
    result: bool | None = True
    for item in _items(args, "all"):
        result = ops.logical_and(result, item if isinstance(item, bool) else None)
    return result


def _any(*args: Any) -> bool | None:
    result: bool | None = False
    for item in _items(args, "any"):
        result = ops.logical_or(result, item if isinstance(item, bool) else None)
    return result


def _substring(text: Any, start: Any, length: Any = None) -> str:
    _require(text, str, "substring")
    first = int(_require(start, Decimal, "substring"))
    begin = first - 1 if first > 0 else len(text) + first  # FEEL positions are 1-based, negative from the end
    end = None if length is None else begin + int(_require(length, Decimal, "substring"))
    return text[max(begin, 0) : end]


def _round(value: Any, scale: Any, mode: str) -> Decimal:
    _require(value, Decimal, "decimal")
    exponent = Decimal(1).scaleb(-int(_require(scale, Decimal, "decimal")))
    return value.quantize(exponent, rounding=mode)


def _not(value: Any) -> bool | None:
    return (not value) if isinstance(value, bool) else None


def _str2(label: str, fn: Callable[[str, str], Any]) -> Callable[[Any, Any], Any]:
    def wrapped(a: Any, b: Any) -> Any:
        return fn(_require(a, str, label), _require(b, str, label))

    return wrapped


def _str1(label: str, fn: Callable[[str], Any]) -> Callable[[Any], Any]:
    def wrapped(a: Any) -> Any:
        return fn(_require(a, str, label))

    return wrapped


def _list_contains(items: Any, element: Any) -> bool:
    return any(ops.eq(item, element) is True for item in _require(items, list, "list contains"))


# name -> (function, min args, max args or None for varargs)
BUILTINS: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    "date": (_date, 1, 3),
    "date and time": (_date_and_time, 1, 2),
    "time": (_parsing(parse_time, "time"), 1, 1),
    "duration": (_parsing(parse_duration, "duration"), 1, 1),
    "@": (_parsing(parse_temporal, "@"), 1, 1),
    "string": (_string, 1, 1),
    "number": (_number, 1, 1),
    "min": (_min, 1, None),
    "max": (_max, 1, None),
    "sum": (_sum, 1, None),
    "mean": (_mean, 1, None),
    "count": (_count, 1, 1),
    "all": (_all, 1, None),
    "any": (_any, 1, None),
    "not": (_not, 1, 1),
    "contains": (_str2("contains", lambda s, sub: sub in s), 2, 2),
    "starts with": (_str2("starts with", str.startswith), 2, 2),
    "ends with": (_str2("ends with", str.endswith), 2, 2),
    "string length": (_str1("string length", lambda s: Decimal(len(s))), 1, 1),
    "upper case": (_str1("upper case", str.upper), 1, 1),
    "lower case": (_str1("lower case", str.lower), 1, 1),
    "substring": (_substring, 2, 3),
    "list contains": (_list_contains, 2, 2),
    "abs": (lambda n: abs(_require(n, Decimal, "abs")), 1, 1),
    "floor": (lambda n: _round(n, Decimal(0), ROUND_FLOOR), 1, 1),
    "ceiling": (lambda n: _round(n, Decimal(0), ROUND_CEILING), 1, 1),
    "decimal": (lambda n, s: _round(n, s, ROUND_HALF_EVEN), 2, 2),
}

# Functions whose result depends on more than their arguments; none today, but
# the compiler only folds calls to pure functions, so list any such here.
IMPURE: frozenset[str] = frozenset()
