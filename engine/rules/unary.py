"""FEEL unary tests: the cells of a decision table's input columns, and the right of ``in``.

Supported forms: ``-`` or empty (any), ``< 5`` / ``<= x`` / ``> y`` / ``>= z``,
ranges ``[a..b]`` ``(a..b]`` ``]a..b[``, comma-separated alternatives
(``"a","b"``), ``not(...)``, ``null``, and any expression: a list result means
membership, a range result containment, anything else equality with the input.
An expression that mentions ``?`` is evaluated with ``?`` bound to the input
and must be true.

Each test compiles to ``test(value, ctx) -> bool | None`` (FEEL three-valued);
a cell matches only when the result is exactly ``True``. Constant endpoints of
plain types get specialised closures: the decision-table hot path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from . import ops
from .compile import EMPTY_ENV, Compiled, Env, compile_node
from .feel import FeelSyntaxError, Literal, Name, Parser, RangeLit, UTCompare, UTExpr, UTNot, names_in
from .functions import BUILTIN_NAMES
from .values import Range

Test = Callable[[Any, dict[str, Any]], "bool | None"]

# Types whose built-in comparison matches FEEL exactly and never raises.
_FAST_TYPES = (Decimal, str, dt.date, bool)
_COMPARISONS = {"<": ops.lt, "<=": ops.le, ">": ops.gt, ">=": ops.ge}


class UnaryTests:
    """A compiled input-entry cell."""

    __slots__ = ("text", "test", "is_any", "literals", "names", "uses_input")

    def __init__(self, text: str, test: Test | None, literals: list[Any], names: set[str], uses_input: bool) -> None:
        self.text = text
        self.test = test  # None means "any": the cell always matches
        self.is_any = test is None
        self.literals = literals  # constant endpoints, for load-time type checks and value lists
        self.names = names
        self.uses_input = uses_input

    def matches(self, value: Any, ctx: dict[str, Any]) -> bool:
        return self.test is None or self.test(value, ctx) is True


def parse_unary_tests(text: str | None, env: Env | None = None) -> UnaryTests:
    """Parse and compile one cell; raises :class:`FeelError` with an English reason."""
    source = (text or "").strip()
    if source in ("", "-"):
        return UnaryTests(source, None, [], set(), False)
    env = env or EMPTY_ENV
    parser = Parser(source, env.parser_names(), BUILTIN_NAMES)
    try:
        tests = parser.unary_tests()
        parser.expect_end()
    except RecursionError as exc:
        raise FeelSyntaxError("expression nested too deeply", 1, 1) from exc
    builder = _Builder(env)
    test = builder.alternatives(tests) if tests is not None else None
    return UnaryTests(source, test, builder.literals, builder.names, builder.uses_input)


def compile_tests(tests: Iterable[Any], env: Env) -> Test:
    """The test for the right side of ``in``."""
    return _Builder(env).alternatives(tuple(tests))


class _Builder:
    def __init__(self, env: Env) -> None:
        self.env = env
        self.literals: list[Any] = []
        self.names: set[str] = set()
        self.uses_input = False

    def alternatives(self, tests: tuple[Any, ...]) -> Test:
        compiled = [self.test(t) for t in tests]
        if len(compiled) == 1:
            return compiled[0]
        return lambda v, ctx: _any_of(compiled, v, ctx)

    def test(self, node: Any) -> Test:
        if isinstance(node, UTNot):
            inner = self.alternatives(node.tests)
            return lambda v, ctx: _negate(inner(v, ctx))
        if isinstance(node, UTCompare):
            return self._comparison(node.op, self._compile(node.endpoint))
        expr = node.expr if isinstance(node, UTExpr) else node
        if isinstance(expr, RangeLit):
            return self._interval(expr)
        if isinstance(expr, Literal) and expr.value is None:
            return lambda v, ctx: v is None
        return self._equality(expr)

    def _compile(self, node: Any) -> Compiled:
        compiled = compile_node(node, self.env)
        self.names |= names_in(node)
        if compiled.const:
            self.literals.append(compiled.value)
        return compiled

    def _comparison(self, op: str, endpoint: Compiled) -> Test:
        compare = _COMPARISONS[op]
        if endpoint.const:
            c = endpoint.value
            if type(c) in _FAST_TYPES and type(c) is not bool:
                return _fast_comparison(op, c)
            return lambda v, ctx: compare(v, c)
        ef = endpoint.fn
        return lambda v, ctx: compare(v, ef(ctx))

    def _interval(self, node: RangeLit) -> Test:
        if node.low is None or node.high is None:  # "< 10" written as a range value
            op = ("<=" if node.high_closed else "<") if node.low is None else (">=" if node.low_closed else ">")
            return self._comparison(op, self._compile(node.high if node.low is None else node.low))
        low, high = self._compile(node.low), self._compile(node.high)
        if low.const and high.const and type(low.value) is type(high.value) and type(low.value) in _FAST_TYPES:
            return _fast_interval(low.value, high.value, node.low_closed, node.high_closed)
        above = ops.le if node.low_closed else ops.lt
        below = ops.le if node.high_closed else ops.lt
        lf, hf = low.fn, high.fn
        return lambda v, ctx: ops.logical_and(above(lf(ctx), v), below(v, hf(ctx)))

    def _equality(self, node: Any) -> Test:
        if "?" in _qmark_names(node):
            self.uses_input = True
            self.names |= names_in(node)
            fn = compile_node(node, self.env.bind("?")).fn

            def with_input(v: Any, ctx: dict[str, Any]) -> bool | None:
                ctx["?"] = v  # ctx is the evaluator's private per-call dict
                result = fn(ctx)
                return result if isinstance(result, bool) else None

            return with_input
        compiled = self._compile(node)
        if compiled.const and not isinstance(compiled.value, (list, dict, Range)):
            c, t = compiled.value, type(compiled.value)
            return lambda v, ctx: (v == c) if type(v) is t else (False if v is None else None)
        fn = compiled.fn
        return lambda v, ctx: _equals_or_member(v, fn(ctx))


def _fast_comparison(op: str, c: Any) -> Test:
    t = type(c)
    if op == "<":
        return lambda v, ctx: (v < c) if type(v) is t else None
    if op == "<=":
        return lambda v, ctx: (v <= c) if type(v) is t else None
    if op == ">":
        return lambda v, ctx: (v > c) if type(v) is t else None
    return lambda v, ctx: (v >= c) if type(v) is t else None


def _fast_interval(lo: Any, hi: Any, low_closed: bool, high_closed: bool) -> Test:
    """Interval with constant endpoints of one plain type: a chained comparison."""
    t = type(lo)
    if t is bool:
        return lambda v, ctx: None  # booleans are not ordered in FEEL
    if low_closed and high_closed:
        return lambda v, ctx: (lo <= v <= hi) if type(v) is t else None
    if low_closed:
        return lambda v, ctx: (lo <= v < hi) if type(v) is t else None
    if high_closed:
        return lambda v, ctx: (lo < v <= hi) if type(v) is t else None
    return lambda v, ctx: (lo < v < hi) if type(v) is t else None


def _equals_or_member(value: Any, expected: Any) -> bool | None:
    if isinstance(expected, list):  # each item is a test of its own: a value to equal or a range to lie in
        if any((ops.in_range(value, item) if isinstance(item, Range) else ops.eq(value, item)) is True
               for item in expected):  # fmt: skip
            return True
        return ops.eq(value, expected) if isinstance(value, list) else False
    if isinstance(expected, Range):
        return ops.in_range(value, expected)
    return ops.eq(value, expected)


def _any_of(tests: list[Test], v: Any, ctx: dict[str, Any]) -> bool | None:
    result: bool | None = False
    for test in tests:
        outcome = test(v, ctx)
        if outcome is True:
            return True
        if outcome is None:
            result = None
    return result


def _negate(result: bool | None) -> bool | None:
    return None if result is None else not result


def _qmark_names(node: Any) -> set[str]:
    """Every Name in the tree, ``?`` included."""
    found: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Name):
            found.add(n.name)
        elif isinstance(n, (tuple, list)):
            stack.extend(n)
        elif hasattr(n, "__slots__"):
            for slot in n.__slots__:
                child = getattr(n, slot)
                if not isinstance(child, (str, bool, int, Decimal)) and child is not None:
                    stack.append(child)
    return found
