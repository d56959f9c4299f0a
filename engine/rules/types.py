"""typeRef conversion of input and output values.

Modelers write typeRefs in several spellings (``dateTime``, ``date and time``,
``feel:number``, ``xsd:string``); all are normalised to one FEEL type name.
Conversion is deliberately narrow: only lossless, unambiguous conversions
(``"42"`` → 42, ``"2026-01-01"`` → date) are made, anything else raises
:class:`ValueError` which the caller turns into a ``DecisionError`` naming the
decision and column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .values import (
    YearMonthDuration,
    number,
    parse_date,
    parse_datetime,
    parse_duration,
    parse_time,
    safe_decimal,
    type_name,
)

_ALIASES = {
    "string": "string",
    "number": "number",
    "integer": "integer",
    "int": "integer",
    "long": "integer",
    "double": "number",
    "decimal": "number",
    "float": "number",
    "boolean": "boolean",
    "date": "date",
    "datetime": "date and time",
    "date and time": "date and time",
    "time": "time",
    "duration": "duration",
    "dayTimeDuration".lower(): "duration",
    "yearMonthDuration".lower(): "duration",
    "days and time duration": "duration",
    "years and months duration": "duration",
    "any": "any",
    "context": "context",
    "list": "list",
}


def normalize_type(type_ref: str | None) -> str | None:
    """Canonical FEEL type for a typeRef, ``None`` when absent or unknown (no conversion)."""
    if not type_ref:
        return None
    name = type_ref.strip()
    if ":" in name:  # feel:number, xsd:string
        name = name.split(":", 1)[1]
    return _ALIASES.get(name.lower())


def _to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return str(value)  # codes such as 1001 given as numbers: lossless
    raise ValueError


def _to_number(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, (int, float, Decimal)):
        return number(value)
    if isinstance(value, str):
        result = safe_decimal(value)
        if result is not None:
            return result
    raise ValueError


def _to_integer(value: Any) -> Decimal:
    result = _to_number(value)
    if result != result.to_integral_value():
        raise ValueError
    return result


def _to_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError


def _to_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return parse_date(value)
    raise ValueError


def _to_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, str):
        return parse_datetime(value)
    raise ValueError


def _to_time(value: Any) -> dt.time:
    if isinstance(value, dt.time):
        return value
    if isinstance(value, str):
        return parse_time(value)
    raise ValueError


def _to_duration(value: Any) -> dt.timedelta | YearMonthDuration:
    if isinstance(value, (dt.timedelta, YearMonthDuration)):
        return value
    if isinstance(value, str):
        return parse_duration(value)
    raise ValueError


def _to_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    raise ValueError


def _to_context(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    raise ValueError


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "string": _to_string,
    "number": _to_number,
    "integer": _to_integer,
    "boolean": _to_boolean,
    "date": _to_date,
    "date and time": _to_datetime,
    "time": _to_time,
    "duration": _to_duration,
    "list": _to_list,
    "context": _to_context,
}


# Values already of these Python types need no conversion (the common case, checked first).
_EXACT: dict[str, type] = {
    "string": str,
    "number": Decimal,
    "boolean": bool,
    "date": dt.date,
    "date and time": dt.datetime,
    "time": dt.time,
    "list": list,
    "context": dict,
}


def converter(type_ref: str | None) -> Callable[[Any], Any] | None:
    """Converter for a typeRef; raises ValueError with a readable reason. ``None`` = no conversion."""
    feel_type = normalize_type(type_ref)
    convert = _CONVERTERS.get(feel_type or "")
    if convert is None:
        return None

    exact = _EXACT.get(feel_type or "")

    def checked(value: Any) -> Any:
        if value is None or type(value) is exact:  # null is a member of every FEEL type
            return value
        try:
            return convert(value)
        except ValueError as exc:
            raise ValueError(f"cannot convert {type_name(value)} {value!r} to {type_ref}") from exc

    return checked


def conforms(value: Any, type_ref: str | None) -> bool:
    """Whether a (literal) FEEL value fits a column's typeRef, for load-time checks."""
    feel_type = normalize_type(type_ref)
    if feel_type in (None, "any") or value is None:
        return True
    actual = type_name(value)
    if feel_type == "integer":
        return actual == "number" and value == value.to_integral_value()
    if feel_type == "duration":
        return actual in ("days and time duration", "years and months duration")
    return actual == feel_type
