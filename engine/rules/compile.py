"""Compile a FEEL AST into Python closures, folding constants at load time.

A cell such as ``>= date("2026-01-01")`` is parsed and folded once, when the
model loads; evaluating it is then a closure call and one comparison. A
built-in whose arguments are all constants runs at compile time, so an invalid
literal (``date("2026-13-01")``) is reported at load rather than silently
yielding ``null`` on every evaluation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal, DecimalException
from typing import Any

from . import ops
from .builtins import BUILTINS, IMPURE
from .feel import Binary, Call, FeelError, FeelEvalError, If, ListLit, Literal, Name, Negate, Path, parse_expression
from .values import YearMonthDuration, to_feel

Evaluator = Callable[[Mapping[str, Any]], Any]

_RUNTIME_ERRORS = (FeelEvalError, DecimalException, ValueError, TypeError, OverflowError)


class Compiled:
    """A compiled expression: ``fn(context)``, plus its value when it is constant."""

    __slots__ = ("fn", "const", "value", "node")

    def __init__(self, fn: Evaluator, node: Any, const: bool = False, value: Any = None) -> None:
        self.fn, self.node, self.const, self.value = fn, node, const, value


def constant(value: Any, node: Any) -> Compiled:
    return Compiled(lambda ctx: value, node, const=True, value=value)


def compile_text(text: str) -> Compiled:
    """Parse and compile a FEEL expression; raises :class:`FeelError`."""
    return compile_node(parse_expression(text))


def compile_node(node: Any) -> Compiled:
    handler = _HANDLERS.get(type(node))
    if handler is None:
        raise FeelError(f"{type(node).__name__} is not allowed in an expression")
    return handler(node)


def _literal(node: Literal) -> Compiled:
    return constant(node.value, node)


def _name(node: Name) -> Compiled:
    key = node.name

    def lookup(ctx: Mapping[str, Any]) -> Any:
        return to_feel(ctx.get(key))

    return Compiled(lookup, node)


# Properties of temporal values reachable with a path, e.g. ``birthday.year``.
_PROPERTIES: dict[type, dict[str, Callable[[Any], Any]]] = {
    dt.date: {
        "year": lambda v: v.year,
        "month": lambda v: v.month,
        "day": lambda v: v.day,
        "weekday": lambda v: v.isoweekday(),
    },
    dt.time: {"hour": lambda v: v.hour, "minute": lambda v: v.minute, "second": lambda v: v.second},
    dt.timedelta: {
        "days": lambda v: v.days,
        "hours": lambda v: v.seconds // 3600,
        "minutes": lambda v: v.seconds // 60 % 60,
        "seconds": lambda v: v.seconds % 60,
    },
    YearMonthDuration: {"years": lambda v: int(v.months / 12), "months": lambda v: v.months - int(v.months / 12) * 12},
}
_PROPERTIES[dt.datetime] = {**_PROPERTIES[dt.date], **_PROPERTIES[dt.time]}


def get_path(value: Any, attr: str) -> Any:
    """FEEL path step: context entry, temporal property, or the step mapped over a list."""
    if isinstance(value, Mapping):
        return to_feel(value.get(attr))
    if isinstance(value, list):
        return [get_path(item, attr) for item in value]
    getter = _PROPERTIES.get(type(value), {}).get(attr)
    return None if getter is None else Decimal(getter(value))


def _path(node: Path) -> Compiled:
    base = compile_node(node.base)
    attr = node.attr
    if base.const:
        return constant(get_path(base.value, attr), node)
    base_fn = base.fn
    return Compiled(lambda ctx: get_path(base_fn(ctx), attr), node)


def _negate(node: Negate) -> Compiled:
    operand = compile_node(node.operand)
    if operand.const:
        return constant(ops.negate(operand.value), node)
    fn = operand.fn
    return Compiled(lambda ctx: ops.negate(fn(ctx)), node)


def _binary(node: Binary) -> Compiled:
    left, right = compile_node(node.left), compile_node(node.right)
    if node.op in ("and", "or"):
        return _logical(node, left, right)
    op = ops.BINARY[node.op]
    if left.const and right.const:
        try:
            return constant(op(left.value, right.value), node)
        except DecimalException as exc:
            raise FeelError(f"number out of range: {exc!r}") from exc
    lf, rf = left.fn, right.fn

    def evaluate(ctx: Mapping[str, Any]) -> Any:
        try:
            return op(lf(ctx), rf(ctx))
        except DecimalException:  # overflow beyond decimal128: FEEL null
            return None

    return Compiled(evaluate, node)


def _logical(node: Binary, left: Compiled, right: Compiled) -> Compiled:
    combine = ops.logical_and if node.op == "and" else ops.logical_or
    short = node.op == "or"  # the value that decides on its own: False for and, True for or
    if left.const and right.const:
        return constant(combine(_bool(left.value), _bool(right.value)), node)
    lf, rf = left.fn, right.fn

    def evaluate(ctx: Mapping[str, Any]) -> bool | None:
        first = lf(ctx)
        if first is short:
            return short
        return combine(_bool(first), _bool(rf(ctx)))

    return Compiled(evaluate, node)


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _if(node: If) -> Compiled:
    cond, then, orelse = compile_node(node.cond), compile_node(node.then), compile_node(node.orelse)
    if cond.const:
        return then if cond.value is True else orelse
    cf, tf, ef = cond.fn, then.fn, orelse.fn
    return Compiled(lambda ctx: tf(ctx) if cf(ctx) is True else ef(ctx), node)


def _call(node: Call) -> Compiled:
    entry = BUILTINS.get(node.name)
    if entry is None:
        known = ", ".join(sorted(n for n in BUILTINS if n != "@"))
        raise FeelError(f"unknown function '{node.name}' (supported: {known})")
    fn, min_args, max_args = entry
    if len(node.args) < min_args or (max_args is not None and len(node.args) > max_args):
        raise FeelError(f"function '{node.name}' called with {len(node.args)} argument(s)")
    args = [compile_node(a) for a in node.args]
    if node.name not in IMPURE and all(a.const for a in args):
        try:  # fold: bad constant arguments are a load-time error, not a silent null
            return constant(fn(*(a.value for a in args)), node)
        except _RUNTIME_ERRORS as exc:
            raise FeelError(str(exc) or f"invalid arguments to '{node.name}'") from exc
    arg_fns = [a.fn for a in args]

    def call(ctx: Mapping[str, Any]) -> Any:
        try:
            return fn(*(f(ctx) for f in arg_fns))
        except _RUNTIME_ERRORS:
            return None  # FEEL: a failing function yields null

    return Compiled(call, node)


def _list(node: ListLit) -> Compiled:
    items = [compile_node(i) for i in node.items]
    if all(i.const for i in items):
        return constant([i.value for i in items], node)
    fns = [i.fn for i in items]
    return Compiled(lambda ctx: [f(ctx) for f in fns], node)


_HANDLERS: dict[type, Callable[[Any], Compiled]] = {
    Literal: _literal,
    Name: _name,
    Path: _path,
    Negate: _negate,
    Binary: _binary,
    If: _if,
    Call: _call,
    ListLit: _list,
}
