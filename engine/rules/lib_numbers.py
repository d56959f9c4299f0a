"""Numeric functions (DMN 1.5 §10.3.4.5); results are decimal128, bad arguments give null."""

from __future__ import annotations

import datetime as dt
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
)
from typing import Any

from .feel import FeelEvalError
from .functions import builtin
from .lib_conversion import integer, require
from .values import FEEL_CONTEXT, YearMonthDuration

_SCALE = range(-6111, 6177)  # decimal128's exponent range, as the spec bounds scale


def _round(value: Any, scale: Any, mode: str, label: str) -> Decimal:
    require(value, Decimal, label)
    places = integer(scale, label)
    if places not in _SCALE:
        raise FeelEvalError(f"{label}(): scale {places} out of range")
    result = value.quantize(Decimal(1).scaleb(-places), rounding=mode, context=FEEL_CONTEXT)
    return result + 0 if result == 0 else result  # no negative zero


def _rounding(name: str, mode: str, default_scale: bool) -> None:
    def fn(n: Any, scale: Any = Decimal(0)) -> Decimal:
        return _round(n, scale, mode, name)

    builtin(name, ("n", "scale?") if default_scale else ("n", "scale"))(fn)


_rounding("decimal", ROUND_HALF_EVEN, False)
_rounding("floor", ROUND_FLOOR, True)
_rounding("ceiling", ROUND_CEILING, True)
_rounding("round up", ROUND_UP, True)
_rounding("round down", ROUND_DOWN, True)
_rounding("round half up", ROUND_HALF_UP, True)
_rounding("round half down", ROUND_HALF_DOWN, True)


@builtin("abs", ("n",))
def absolute(n: Any) -> Any:
    if type(n) is dt.timedelta:
        return abs(n)
    if type(n) is YearMonthDuration:
        return YearMonthDuration(abs(n.months))
    return abs(require(n, Decimal, "abs"))


@builtin("modulo", ("dividend", "divisor"))
def modulo(dividend: Any, divisor: Any) -> Decimal:
    a, b = require(dividend, Decimal, "modulo"), require(divisor, Decimal, "modulo")
    if b == 0:
        raise FeelEvalError("modulo(): division by zero")
    quotient = FEEL_CONTEXT.divide(a, b).to_integral_value(rounding=ROUND_FLOOR)
    return FEEL_CONTEXT.subtract(a, FEEL_CONTEXT.multiply(b, quotient))


@builtin("sqrt", ("number",))
def sqrt(n: Any) -> Decimal:
    value = require(n, Decimal, "sqrt")
    if value < 0:
        raise FeelEvalError("sqrt(): negative number")
    return FEEL_CONTEXT.sqrt(value)


@builtin("log", ("number",))
def log(n: Any) -> Decimal:
    value = require(n, Decimal, "log")
    if value <= 0:
        raise FeelEvalError("log(): number must be positive")
    return FEEL_CONTEXT.ln(value)


@builtin("exp", ("number",))
def exp(n: Any) -> Decimal:
    return FEEL_CONTEXT.exp(require(n, Decimal, "exp"))


@builtin("odd", ("number",))
def odd(n: Any) -> bool:
    return integer(n, "odd") % 2 == 1


@builtin("even", ("number",))
def even(n: Any) -> bool:
    return integer(n, "even") % 2 == 0
