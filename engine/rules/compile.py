"""Compile a FEEL AST into Python closures, folding constants at load time.

A cell such as ``>= date("2026-01-01")`` is parsed and folded once, when the
model loads; evaluating it is then a closure call and one comparison. A
built-in whose arguments are all constants runs at compile time, so an invalid
literal (``date("2026-13-01")``) is reported at load rather than silently
yielding ``null`` on every evaluation. Nothing is parsed at evaluation time.

Names are looked up in the evaluation context (a dict, or a :class:`Frame`
chain for contexts, iterations and calls). A call resolves at compile time:
a name bound in the expression or by the model (BKMs, decision services,
imports) is called dynamically, a built-in directly; any other name is an
unknown function, reported with the closest names.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, DecimalException
from typing import Any

from ..errors import LimitExceeded
from . import ops
from .feel import (
    AtLiteral,
    Between,
    Binary,
    Call,
    ContextLit,
    FeelError,
    Filter,
    For,
    FuncDef,
    If,
    In,
    InstanceOf,
    ListLit,
    Literal,
    Name,
    Negate,
    Path,
    Quantified,
    RangeLit,
    normalize_name,
    parse_expression,
)
from .feeltypes import FeelType, resolve
from .functions import BUILTIN_NAMES, BUILTINS, IMPURE, RUNTIME_ERRORS, Frame, UserFunction, invoke
from .values import Range, YearMonthDuration, parse_temporal

Evaluator = Callable[[Mapping[str, Any]], Any]



class UnknownFunction(FeelError):
    """A call of a name that is neither bound, nor a model function, nor a built-in; ``close`` are likely fixes."""

    def __init__(self, name: str, close: list[str]) -> None:
        hint = f"; did you mean: {', '.join(close)}" if close else ""
        super().__init__(f"unknown function '{name}'{hint}")
        self.name, self.close = name, close


class Compiled:
    """A compiled expression: ``fn(context)``, plus its value when it is constant."""

    __slots__ = ("fn", "const", "value", "node")

    def __init__(self, fn: Evaluator, node: Any, const: bool = False, value: Any = None) -> None:
        self.fn, self.node, self.const, self.value = fn, node, const, value


@dataclass(frozen=True)
class Env:
    """What the compiler knows: names bound around the expression, model functions, named types."""

    locals: frozenset[str] = frozenset()
    functions: frozenset[str] = frozenset()  # BKMs, decision services, imports: callable by name
    types: Mapping[str, FeelType] = field(default_factory=dict)
    known: frozenset[str] = frozenset()  # every other name in scope (inputs, decisions), for the parser

    def bind(self, *names: str) -> Env:
        return Env(self.locals | {normalize_name(n) for n in names}, self.functions, self.types, self.known)

    def parser_names(self) -> frozenset[str]:
        return self.locals | self.functions | self.known | frozenset(self.types)


EMPTY_ENV = Env()


def constant(value: Any, node: Any) -> Compiled:
    return Compiled(lambda ctx: value, node, const=True, value=value)


def compile_text(text: str, env: Env | None = None) -> Compiled:
    """Parse and compile a FEEL expression; raises :class:`FeelError`."""
    env = env or EMPTY_ENV
    return compile_node(parse_expression(text, env.parser_names()), env)


def compile_node(node: Any, env: Env | None = None) -> Compiled:
    handler = _HANDLERS.get(type(node))
    if handler is None:
        raise FeelError(f"{type(node).__name__} is not allowed in an expression")
    return handler(node, env or EMPTY_ENV)


def _literal(node: Literal, env: Env) -> Compiled:
    return constant(node.value, node)


def _at_literal(node: AtLiteral, env: Env) -> Compiled:
    try:
        return constant(parse_temporal(node.text), node)
    except ValueError as exc:
        raise FeelError(f'@"{node.text}": {exc}') from exc


def lookup_global(key: str) -> Any:
    """A name no scope defines: a built-in function as a value, else null."""
    return BUILTINS.get(key)


def _name(node: Name, env: Env) -> Compiled:
    key = normalize_name(node.name)

    def lookup(ctx: Mapping[str, Any]) -> Any:
        try:
            return ctx[key]
        except KeyError:
            return lookup_global(key)

    return Compiled(lookup, node)


def _path(node: Path, env: Env) -> Compiled:
    from .paths import get_path

    base = compile_node(node.base, env)
    attr = normalize_name(node.attr)
    if base.const:
        return constant(get_path(base.value, attr), node)
    base_fn = base.fn
    return Compiled(lambda ctx: get_path(base_fn(ctx), attr), node)


def _negate(node: Negate, env: Env) -> Compiled:
    operand = compile_node(node.operand, env)
    if operand.const:
        return constant(ops.negate(operand.value), node)
    fn = operand.fn
    return Compiled(lambda ctx: ops.negate(fn(ctx)), node)


def _binary(node: Binary, env: Env) -> Compiled:
    left, right = compile_node(node.left, env), compile_node(node.right, env)
    if node.op in ("and", "or"):
        return _logical(node, left, right)
    op = ops.BINARY[node.op]
    if left.const and right.const:
        try:
            return constant(op(left.value, right.value), node)
        except DecimalException as exc:
            raise FeelError(f"number out of range: {exc!r}") from exc
        except LimitExceeded:
            pass  # too big to fold: leave it to evaluation, which reports the limit
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
        return constant(combine(as_bool(left.value), as_bool(right.value)), node)
    lf, rf = left.fn, right.fn

    def evaluate(ctx: Mapping[str, Any]) -> bool | None:
        first = lf(ctx)
        if first is short:
            return short
        return combine(as_bool(first), as_bool(rf(ctx)))

    return Compiled(evaluate, node)


def as_bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _between(node: Between, env: Env) -> Compiled:
    value, low, high = (compile_node(n, env).fn for n in (node.value, node.low, node.high))

    def between(ctx: Mapping[str, Any]) -> bool | None:
        v = value(ctx)
        return ops.logical_and(ops.ge(v, low(ctx)), ops.le(v, high(ctx)))

    return Compiled(between, node)


def _in(node: In, env: Env) -> Compiled:
    from .unary import compile_tests

    value = compile_node(node.value, env).fn
    test = compile_tests(node.tests, env)
    return Compiled(lambda ctx: test(value(ctx), Frame(ctx)), node)  # a Frame: '?' must not leak into ctx


def _instance_of(node: InstanceOf, env: Env) -> Compiled:
    ftype = resolve(node.type, env.types)
    if ftype is None:
        raise FeelError(f"unknown type '{node.type.name}' after 'instance of'")
    value = compile_node(node.value, env).fn
    return Compiled(lambda ctx: ftype.conforms(value(ctx), strict=True), node)


def _if(node: If, env: Env) -> Compiled:
    cond, then, orelse = compile_node(node.cond, env), compile_node(node.then, env), compile_node(node.orelse, env)
    if cond.const:
        return then if cond.value is True else orelse
    cf, tf, ef = cond.fn, then.fn, orelse.fn
    return Compiled(lambda ctx: tf(ctx) if cf(ctx) is True else ef(ctx), node)


# --- calls, lists, contexts, ranges, functions -----------------------------------


def _call(node: Call, env: Env) -> Compiled:
    name = normalize_name(node.name) if node.name else None
    args = [compile_node(a, env) for a in node.args]
    named = [(normalize_name(k), compile_node(v, env)) for k, v in node.named or ()]
    if name is not None and name not in env.locals and name not in env.functions and name in BUILTINS:
        return _builtin_call(node, name, args, named)
    if name is not None and name not in env.locals and name not in env.functions and name not in env.known:
        close = difflib.get_close_matches(name, sorted(BUILTIN_NAMES | env.functions | env.locals), n=4, cutoff=0.5)
        raise UnknownFunction(name, close)
    callee = compile_node(node.callee, env).fn
    arg_fns = [a.fn for a in args]
    if named:
        named_fns = [(k, v.fn) for k, v in named]
        return Compiled(lambda ctx: invoke(callee(ctx), [], {k: f(ctx) for k, f in named_fns}), node)
    return Compiled(lambda ctx: invoke(callee(ctx), [f(ctx) for f in arg_fns]), node)


def _builtin_call(node: Call, name: str, args: list[Compiled], named: list[tuple[str, Compiled]]) -> Compiled:
    builtin = BUILTINS[name]
    fn = builtin.fn
    if named:
        names = {k for k, _ in named}
        if builtin.positional({k: None for k in names}) is None:
            raise FeelError(f"function '{name}' has no parameters named {', '.join(sorted(names))}")
        order = [k for k in _signature_order(builtin, names)]
        by_name = dict(named)
        args = [by_name[k] if k in by_name else constant(None, None) for k in order]
    elif not builtin.accepts(len(args)):
        raise FeelError(f"function '{name}' called with {len(args)} argument(s)")
    if builtin.pure and all(a.const for a in args):
        try:  # fold: bad constant arguments are a load-time error, not a silent null
            return constant(fn(*(a.value for a in args)), node)
        except RUNTIME_ERRORS as exc:
            raise FeelError(str(exc) or f"invalid arguments to '{name}'") from exc
        except LimitExceeded:
            pass
    arg_fns = [a.fn for a in args]

    def call(ctx: Mapping[str, Any]) -> Any:
        try:
            return fn(*[f(ctx) for f in arg_fns])
        except RUNTIME_ERRORS:
            return None  # FEEL: a failing function yields null

    return Compiled(call, node)


def _signature_order(builtin: Any, names: set[str]) -> list[str]:
    for sig in builtin.signatures:
        if names <= set(sig.names) and all(n in names for n in sig.names[: sig.required]):
            order = list(sig.names)
            while order and order[-1] not in names:
                order.pop()
            return order
    return sorted(names)


def _list(node: ListLit, env: Env) -> Compiled:
    items = [compile_node(i, env) for i in node.items]
    if all(i.const for i in items):
        return constant([i.value for i in items], node)
    fns = [i.fn for i in items]
    return Compiled(lambda ctx: [f(ctx) for f in fns], node)


def _context(node: ContextLit, env: Env) -> Compiled:
    entries = []
    inner = env
    for key, value in node.entries:
        inner = inner.bind(key)  # bound for its own value too: a function entry may call itself
        entries.append((normalize_name(key), compile_node(value, inner)))
    if all(c.const for _, c in entries):
        return constant({k: c.value for k, c in entries}, node)
    fns = [(k, c.fn) for k, c in entries]

    def build(ctx: Mapping[str, Any]) -> dict[str, Any]:
        frame = Frame(ctx)
        for key, fn in fns:
            frame[key] = fn(frame)
        return dict(frame)

    return Compiled(build, node)


def make_range(low: Any, high: Any, low_closed: bool, high_closed: bool) -> Range | None:
    """A range value; null when the endpoints are of different or unordered types."""
    if low is not None and high is not None:
        if type(low) is not type(high) or type(low) not in (Decimal, str, dt.date, dt.datetime, dt.time,
                                                            dt.timedelta, YearMonthDuration):
            return None
    elif low is None and high is None:
        return None
    return Range(low, high, low_closed, high_closed)


def _range(node: RangeLit, env: Env) -> Compiled:
    low = compile_node(node.low, env) if node.low is not None else constant(None, None)
    high = compile_node(node.high, env) if node.high is not None else constant(None, None)
    lc, hc = node.low_closed, node.high_closed
    if low.const and high.const:
        return constant(make_range(low.value, high.value, lc, hc), node)
    lf, hf = low.fn, high.fn
    return Compiled(lambda ctx: make_range(lf(ctx), hf(ctx), lc, hc), node)


def _function(node: FuncDef, env: Env) -> Compiled:
    if node.external:
        raise FeelError("external functions (Java, PMML) are not supported; write the function in FEEL")
    params = tuple(normalize_name(p) for p, _ in node.params)
    types = tuple(resolve(t, env.types) if t is not None else None for _, t in node.params)
    body = compile_node(node.body, env.bind(*params)).fn
    return Compiled(lambda ctx: UserFunction("", params, body, ctx, types), node)


from .loops import compile_filter, compile_for, compile_quantified  # noqa: E402  (loops imports this module)

_HANDLERS: dict[type, Callable[[Any, Env], Compiled]] = {
    Literal: _literal,
    AtLiteral: _at_literal,
    Name: _name,
    Path: _path,
    Negate: _negate,
    Binary: _binary,
    Between: _between,
    In: _in,
    InstanceOf: _instance_of,
    If: _if,
    For: compile_for,
    Quantified: compile_quantified,
    Filter: compile_filter,
    Call: _call,
    ListLit: _list,
    ContextLit: _context,
    RangeLit: _range,
    FuncDef: _function,
}

__all__ = ["Compiled", "Env", "EMPTY_ENV", "IMPURE", "compile_node", "compile_text", "constant"]
