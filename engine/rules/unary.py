"""FEEL unary tests: the cells of a decision table's input columns.

Supported forms: ``-`` or empty (any), ``< 5`` / ``<= x`` / ``> y`` / ``>= z``,
intervals ``[a..b]`` ``(a..b]`` ``]a..b[``, comma-separated alternatives
(``"a","b"``), ``not(...)``, ``null``, and any simple expression compared for
equality with the input (a list result means membership). An expression that
mentions ``?`` is evaluated with ``?`` bound to the input and must be true.

Each test compiles to ``test(value, ctx) -> bool | None`` (FEEL three-valued);
a cell matches only when the result is exactly ``True``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from . import ops
from .compile import Compiled, compile_node
from .feel import FeelSyntaxError, Interval, Literal, Name, Parser, names_in

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


def parse_unary_tests(text: str | None) -> UnaryTests:
    """Parse and compile one cell; raises :class:`FeelError` with an English reason."""
    source = (text or "").strip()
    if source in ("", "-"):
        return UnaryTests(source, None, [], set(), False)
    parser = Parser(source)
    builder = _Builder(parser)
    test = builder.tests()
    parser.expect_end()
    return UnaryTests(source, test, builder.literals, builder.names, builder.uses_input)


class _Builder:
    def __init__(self, parser: Parser) -> None:
        self.p = parser
        self.literals: list[Any] = []
        self.names: set[str] = set()
        self.uses_input = False

    def tests(self) -> Test:
        p = self.p
        if p.at("name", "not") and p.tokens[p.pos + 1].kind == "op" and p.tokens[p.pos + 1].value == "(":
            p.advance(), p.advance()
            inner = self.positive_tests()
            p.expect_op(")")
            return lambda v, ctx: _negate(inner(v, ctx))
        return self.positive_tests()

    def positive_tests(self) -> Test:
        alternatives = [self.positive_test()]
        while self.p.at_op(","):
            self.p.advance()
            alternatives.append(self.positive_test())
        if len(alternatives) == 1:
            return alternatives[0]
        return lambda v, ctx: _any_of(alternatives, v, ctx)

    def positive_test(self) -> Test:
        p = self.p
        if p.at_op(*_COMPARISONS):
            op = p.advance().value
            return self._comparison(op, self._compile(p.expression(3)))  # endpoint binds tighter than comparisons
        if p.at_op("[", "(", "]"):
            interval = self._try_interval()
            if interval is not None:
                return interval
        node = p.expression()
        if isinstance(node, Literal) and node.value is None:
            return lambda v, ctx: v is None
        return self._equality(node)

    def _try_interval(self) -> Test | None:
        """Parse ``[a..b]`` and friends; backtrack (``(1+2)``, ``[1,2]``) if it is not one."""
        p = self.p
        start = p.pos
        low_closed = p.advance().value == "["
        try:
            low = p.expression()
        except FeelSyntaxError:
            low = None
        if low is None or not p.at_op(".."):
            p.pos = start
            return None
        p.advance()  # past "..": from here on it is an interval, so errors are real
        high = p.expression()
        if not p.at_op("]", "[", ")"):
            p.fail("expected ']', '[' or ')' to close the range")
        high_closed = p.advance().value == "]"
        return self._interval(Interval(low, high, low_closed, high_closed))

    def _compile(self, node: Any) -> Compiled:
        compiled = compile_node(node)
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

    def _interval(self, node: Interval) -> Test:
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
            fn = compile_node(node).fn

            def with_input(v: Any, ctx: dict[str, Any]) -> bool | None:
                ctx["?"] = v  # ctx is the evaluator's private per-call dict
                result = fn(ctx)
                return result if isinstance(result, bool) else None

            return with_input
        compiled = self._compile(node)
        if compiled.const and not isinstance(compiled.value, (list, dict)):
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
    if isinstance(expected, list) and not isinstance(value, list):
        return any(ops.eq(value, item) is True for item in expected)
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
    """Like :func:`names_in` but keeps ``?``."""
    found: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Name):
            found.add(n.name)
        elif hasattr(n, "__slots__"):
            for slot in n.__slots__:
                child = getattr(n, slot)
                if isinstance(child, tuple):
                    stack.extend(child)
                elif not isinstance(child, (str, bool, int, Decimal)) and child is not None:
                    stack.append(child)
    return found
