"""FEEL types: ``instance of``, typed parameters and item definitions, with the spec's coercion.

A :class:`FeelType` answers ``conforms(value)``. Types come from FEEL type
syntax (``list<number>``, ``context<name: string>``), from typeRefs
(``number``, ``feel:string``, ``dateTime``) and from item definitions
(structures, collections, ``allowedValues``/``typeConstraint``), which
:mod:`dmn` turns into named types. :func:`coerce` implements DMN 1.5's
conversions where a value meets a declared type: a singleton list becomes its
element, an element meets a list type as a singleton list, and anything else
that does not conform becomes ``null`` with a warning for the explanation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from .feel import TypeSpec
from .values import Range, YearMonthDuration, feel_text


class FeelType:
    name: str = "Any"

    def conforms(self, value: Any, strict: bool = False) -> bool:
        """Whether ``value`` is of this type; null conforms to every type unless ``strict``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<FEEL type {self.name}>"


class SimpleType(FeelType):
    def __init__(self, name: str, check: Callable[[Any], bool]) -> None:
        self.name, self._check = name, check

    def conforms(self, value: Any, strict: bool = False) -> bool:
        if value is None:
            return not strict or self.name in ("Null", "Any")
        return self._check(value)


class ListType(FeelType):
    def __init__(self, element: FeelType, name: str | None = None) -> None:
        self.element, self.name = element, name or f"list<{element.name}>"

    def conforms(self, value: Any, strict: bool = False) -> bool:
        if value is None:
            return not strict
        return type(value) is list and all(self.element.conforms(v) for v in value)


class ContextType(FeelType):
    def __init__(self, fields: Mapping[str, FeelType], name: str | None = None) -> None:
        self.fields = dict(fields)
        self.name = name or "context<" + ", ".join(f"{k}: {t.name}" for k, t in self.fields.items()) + ">"

    def conforms(self, value: Any, strict: bool = False) -> bool:
        if value is None:
            return not strict
        if type(value) is not dict:
            return False
        if strict and any(k not in value for k in self.fields):
            return False
        return all(t.conforms(value.get(k)) for k, t in self.fields.items())


class RangeType(FeelType):
    def __init__(self, element: FeelType) -> None:
        self.element, self.name = element, f"range<{element.name}>"

    def conforms(self, value: Any, strict: bool = False) -> bool:
        if value is None:
            return not strict
        return isinstance(value, Range) and all(
            e is None or self.element.conforms(e, strict=True) for e in (value.low, value.high)
        )


class FunctionType(FeelType):
    def __init__(self, params: list[FeelType], result: FeelType) -> None:
        self.params, self.result = params, result
        self.name = f"function<{', '.join(p.name for p in params)}>->{result.name}"

    def conforms(self, value: Any, strict: bool = False) -> bool:
        if value is None:
            return not strict
        return callable(value) and hasattr(value, "params")


class ConstrainedType(FeelType):
    """An item definition: a base type narrowed by allowed values (unary tests)."""

    def __init__(self, name: str, base: FeelType, allowed: Callable[[Any], bool] | None, allowed_text: str = "") -> None:
        self.name, self.base, self.allowed, self.allowed_text = name, base, allowed, allowed_text

    def conforms(self, value: Any, strict: bool = False) -> bool:
        if value is None:
            return not strict
        return self.base.conforms(value, strict) and (self.allowed is None or self.allowed(value))


def _is_number(v: Any) -> bool:
    return type(v) is Decimal


ANY = SimpleType("Any", lambda v: True)
NULL = SimpleType("Null", lambda v: v is None)
NUMBER = SimpleType("number", _is_number)
STRING = SimpleType("string", lambda v: type(v) is str)
BOOLEAN = SimpleType("boolean", lambda v: type(v) is bool)
DATE = SimpleType("date", lambda v: type(v) is dt.date)
TIME = SimpleType("time", lambda v: type(v) is dt.time)
DATE_TIME = SimpleType("date and time", lambda v: type(v) is dt.datetime)
DAYS_TIME = SimpleType("days and time duration", lambda v: type(v) is dt.timedelta)
YEARS_MONTHS = SimpleType("years and months duration", lambda v: type(v) is YearMonthDuration)
DURATION = SimpleType("duration", lambda v: type(v) in (dt.timedelta, YearMonthDuration))
CONTEXT = SimpleType("context", lambda v: type(v) is dict)
LIST = SimpleType("list", lambda v: type(v) is list)
RANGE = SimpleType("range", lambda v: isinstance(v, Range))
FUNCTION = SimpleType("function", lambda v: callable(v) and hasattr(v, "params"))

BUILTIN: dict[str, FeelType] = {
    "any": ANY,
    "null": NULL,
    "number": NUMBER,
    "integer": NUMBER,
    "int": NUMBER,
    "long": NUMBER,
    "double": NUMBER,
    "decimal": NUMBER,
    "float": NUMBER,
    "string": STRING,
    "boolean": BOOLEAN,
    "date": DATE,
    "time": TIME,
    "date and time": DATE_TIME,
    "datetime": DATE_TIME,
    "days and time duration": DAYS_TIME,
    "daytimeduration": DAYS_TIME,
    "years and months duration": YEARS_MONTHS,
    "yearmonthduration": YEARS_MONTHS,
    "duration": DURATION,
    "context": CONTEXT,
    "list": LIST,
    "range": RANGE,
    "function": FUNCTION,
}


def builtin_type(name: str) -> FeelType | None:
    """A built-in type by any of its spellings (``feel:number``, ``xsd:dateTime``, ``Any``)."""
    plain = name.strip()
    if ":" in plain and not plain.startswith("context<"):
        plain = plain.split(":", 1)[1]
    return BUILTIN.get(" ".join(plain.split()).lower())


def resolve(spec: TypeSpec, named: Mapping[str, FeelType]) -> FeelType | None:
    """The type a :class:`TypeSpec` names, or None when unknown."""
    if spec.name in ("list", "range") and spec.args:
        inner = resolve(spec.args[0], named) or ANY
        return ListType(inner) if spec.name == "list" else RangeType(inner)
    if spec.name == "context" and spec.args:
        return ContextType({k: resolve(t, named) or ANY for k, t in spec.args})
    if spec.name == "function" and spec.args:
        types = [resolve(t, named) or ANY for t in spec.args]
        return FunctionType(types[:-1], types[-1])
    if spec.name in named:
        return named[spec.name]
    return builtin_type(spec.name)


def coerce(value: Any, ftype: FeelType | None) -> tuple[Any, str | None]:
    """``value`` converted to ``ftype`` as DMN 1.5 prescribes; (null, warning) when it does not conform."""
    if ftype is None or value is None or ftype is ANY or ftype.conforms(value):
        return value, None
    if not isinstance(ftype, ListType) and type(value) is list and len(value) == 1 and ftype.conforms(value[0]):
        return value[0], None
    if isinstance(ftype, ListType) and ftype.element.conforms(value):
        return [value], None
    shown = feel_text(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return None, f"值 {shown} 不符合类型 {ftype.name}，按 DMN 规范视为 null (value does not conform to {ftype.name})"
