"""Range functions (DMN 1.5 §10.3.4.9): Allen's interval relations between points and ranges.

Each takes two points, a point and a range, or two ranges, exactly as the
spec's tables define them; an unbounded endpoint (``< 10``) lies beyond every
value. Incomparable endpoints (a number against a string) make the result null.
"""

from __future__ import annotations

from typing import Any

from . import ops
from .feel import FeelEvalError, Parser, RangeLit
from .functions import builtin
from .lib_conversion import require
from .values import Range


def _cmp(op: Any, a: Any, b: Any) -> bool:
    result = op(a, b)
    if result is None:
        raise FeelEvalError("range function: endpoints are not comparable")
    return result


def _lt(a: Any, b: Any) -> bool:
    return _cmp(ops.lt, a, b)


def _eq(a: Any, b: Any) -> bool:
    return _cmp(ops.eq, a, b)


class _R:
    """A range with unbounded ends made explicit: ``start`` None means -∞, ``end`` None +∞."""

    def __init__(self, r: Range) -> None:
        self.s, self.e = r.low, r.high
        self.si = r.low_closed and r.low is not None
        self.ei = r.high_closed and r.high is not None

    def s_lt(self, x: Any) -> bool:  # start < x
        return self.s is None or _lt(self.s, x)

    def e_gt(self, x: Any) -> bool:  # end > x
        return self.e is None or _lt(x, self.e)

    def s_eq(self, x: Any) -> bool:
        return self.s is not None and x is not None and _eq(self.s, x)

    def e_eq(self, x: Any) -> bool:
        return self.e is not None and x is not None and _eq(self.e, x)


def _kinds(a: Any, b: Any, label: str) -> str:
    if a is None or b is None:
        raise FeelEvalError(f"{label}(): null argument")
    return ("r" if isinstance(a, Range) else "p") + ("r" if isinstance(b, Range) else "p")


def _point_before(p: Any, r: _R) -> bool:
    """p lies wholly before range r."""
    return r.s is not None and (_lt(p, r.s) or (_eq(p, r.s) and not r.si))


def _range_before_point(r: _R, p: Any) -> bool:
    return r.e is not None and (_lt(r.e, p) or (_eq(r.e, p) and not r.ei))


def _range_before_range(a: _R, b: _R) -> bool:
    if a.e is None or b.s is None:
        return False
    return _lt(a.e, b.s) or ((not a.ei or not b.si) and _eq(a.e, b.s))


@builtin("before", ("point1", "point2"), ("point", "range"), ("range", "point"), ("range1", "range2"))
def before(a: Any, b: Any) -> bool:
    kind = _kinds(a, b, "before")
    if kind == "pp":
        return _lt(a, b)
    if kind == "pr":
        return _point_before(a, _R(b))
    if kind == "rp":
        return _range_before_point(_R(a), b)
    return _range_before_range(_R(a), _R(b))


@builtin("after", ("point1", "point2"), ("point", "range"), ("range", "point"), ("range1", "range2"))
def after(a: Any, b: Any) -> bool:
    kind = _kinds(a, b, "after")
    if kind == "pp":
        return _lt(b, a)
    if kind == "pr":
        return _range_before_point(_R(b), a)
    if kind == "rp":
        return _point_before(b, _R(a))
    return _range_before_range(_R(b), _R(a))


def _ranges(a: Any, b: Any, label: str) -> tuple[_R, _R]:
    return _R(require(a, Range, label)), _R(require(b, Range, label))


@builtin("meets", ("range1", "range2"))
def meets(a: Any, b: Any) -> bool:
    r1, r2 = _ranges(a, b, "meets")
    return r1.ei and r2.si and r1.e_eq(r2.s)


@builtin("met by", ("range1", "range2"))
def met_by(a: Any, b: Any) -> bool:
    r1, r2 = _ranges(a, b, "met by")
    return r1.si and r2.ei and r1.s_eq(r2.e)


def _end_after_start(r1: _R, r2: _R) -> bool:
    """r1.end > r2.start, or they touch with both ends included."""
    if r1.e is None or r2.s is None:
        return True
    return _lt(r2.s, r1.e) or (_eq(r1.e, r2.s) and r1.ei and r2.si)


@builtin("overlaps", ("range1", "range2"))
def overlaps(a: Any, b: Any) -> bool:
    r1, r2 = _ranges(a, b, "overlaps")
    return _end_after_start(r1, r2) and _end_after_start(r2, r1)


def _starts_before(r1: _R, r2: _R) -> bool:
    """r1 starts strictly before r2 (counting inclusion at equal starts)."""
    if r2.s is None:
        return False
    if r1.s is None:
        return True
    return _lt(r1.s, r2.s) or (_eq(r1.s, r2.s) and r1.si and not r2.si)


def _ends_within(r1: _R, r2: _R) -> bool:
    """r1 ends no later than r2."""
    if r1.e is None:
        return r2.e is None and (r2.ei or not r1.ei)
    if r2.e is None:
        return True
    return _lt(r1.e, r2.e) or (_eq(r1.e, r2.e) and (not r1.ei or r2.ei))


@builtin("overlaps before", ("range1", "range2"))
def overlaps_before(a: Any, b: Any) -> bool:
    r1, r2 = _ranges(a, b, "overlaps before")
    return _starts_before(r1, r2) and _end_after_start(r1, r2) and _ends_within(r1, r2)


@builtin("overlaps after", ("range1", "range2"))
def overlaps_after(a: Any, b: Any) -> bool:
    r1, r2 = _ranges(a, b, "overlaps after")
    return _starts_before(r2, r1) and _end_after_start(r2, r1) and _ends_within(r2, r1)


def _same_end(r1: _R, r2: _R) -> bool:
    return r1.ei == r2.ei and ((r1.e is None and r2.e is None) or r1.e_eq(r2.e))


def _same_start(r1: _R, r2: _R) -> bool:
    return r1.si == r2.si and ((r1.s is None and r2.s is None) or r1.s_eq(r2.s))


def _starts_within(r1: _R, r2: _R) -> bool:
    """r1 starts no earlier than r2."""
    if r1.s is None:
        return r2.s is None
    if r2.s is None:
        return True
    return _lt(r2.s, r1.s) or (_eq(r1.s, r2.s) and (not r1.si or r2.si))


@builtin("finishes", ("point", "range"), ("range1", "range2"))
def finishes(a: Any, b: Any) -> bool:
    if _kinds(a, b, "finishes") == "pr":
        r = _R(b)
        return r.ei and r.e_eq(a)
    r1, r2 = _ranges(a, b, "finishes")
    return _same_end(r1, r2) and _starts_within(r1, r2)


@builtin("finished by", ("range", "point"), ("range1", "range2"))
def finished_by(a: Any, b: Any) -> bool:
    if _kinds(a, b, "finished by") == "rp":
        r = _R(a)
        return r.ei and r.e_eq(b)
    r1, r2 = _ranges(a, b, "finished by")
    return _same_end(r1, r2) and _starts_within(r2, r1)


def _includes_point(r: _R, p: Any) -> bool:
    return (r.s_lt(p) and r.e_gt(p)) or (r.si and r.s_eq(p)) or (r.ei and r.e_eq(p))


def _includes_range(r1: _R, r2: _R) -> bool:
    return _starts_within(r2, r1) and _ends_within(r2, r1)


@builtin("includes", ("range", "point"), ("range1", "range2"))
def includes(a: Any, b: Any) -> bool:
    if _kinds(a, b, "includes") == "rp":
        return _includes_point(_R(a), b)
    r1, r2 = _ranges(a, b, "includes")
    return _includes_range(r1, r2)


@builtin("during", ("point", "range"), ("range1", "range2"))
def during(a: Any, b: Any) -> bool:
    if _kinds(a, b, "during") == "pr":
        return _includes_point(_R(b), a)
    r1, r2 = _ranges(a, b, "during")
    return _includes_range(r2, r1)


@builtin("starts", ("point", "range"), ("range1", "range2"))
def starts(a: Any, b: Any) -> bool:
    if _kinds(a, b, "starts") == "pr":
        r = _R(b)
        return r.si and r.s_eq(a)
    r1, r2 = _ranges(a, b, "starts")
    return _same_start(r1, r2) and _ends_within(r1, r2)


@builtin("started by", ("range", "point"), ("range1", "range2"))
def started_by(a: Any, b: Any) -> bool:
    if _kinds(a, b, "started by") == "rp":
        r = _R(a)
        return r.si and r.s_eq(b)
    r1, r2 = _ranges(a, b, "started by")
    return _same_start(r1, r2) and _ends_within(r2, r1)


@builtin("coincides", ("point1", "point2"), ("range1", "range2"))
def coincides(a: Any, b: Any) -> bool:
    kind = _kinds(a, b, "coincides")
    if kind == "pp":
        return _eq(a, b)
    r1, r2 = _ranges(a, b, "coincides")
    return _same_start(r1, r2) and _same_end(r1, r2)


@builtin("range", ("from",))
def range_of(text: Any) -> Range:
    """DMN 1.5 ``range("[1..10)")``: a range from its FEEL text; the endpoints must be literals."""
    from .compile import compile_node

    parser = Parser(require(text, str, "range"))
    node = parser.primary()
    parser.expect_end()
    if not isinstance(node, RangeLit):
        raise FeelEvalError(f"range({text!r}): not a range")
    compiled = compile_node(node)
    if not compiled.const or compiled.value is None:
        raise FeelEvalError(f"range({text!r}): endpoints must be literals of one type")
    return compiled.value
