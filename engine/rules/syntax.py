"""FEEL syntax: the errors of parsing and the AST nodes the parser builds (DMN 1.5 chapter 10).

Nodes are frozen dataclasses; :mod:`compile` turns them into closures and
:func:`names_in` walks them for the free names a validation checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

class FeelError(Exception):
    """A FEEL text could not be parsed or compiled (English technical detail)."""


class FeelSyntaxError(FeelError):
    """A parse error; ``line`` and ``column`` are 1-based within the expression text."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.line, self.column, self.detail = line, column, detail or message


class FeelEvalError(FeelError):
    """Raised by built-ins on bad arguments; at run time it becomes ``null``."""


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any


@dataclass(frozen=True, slots=True)
class AtLiteral:
    text: str  # @"2026-01-01", folded at compile time


@dataclass(frozen=True, slots=True)
class Name:
    name: str  # "?" is the implicit input value of a unary test


@dataclass(frozen=True, slots=True)
class Path:
    base: Any
    attr: str


@dataclass(frozen=True, slots=True)
class Filter:
    base: Any
    cond: Any


@dataclass(frozen=True, slots=True)
class Negate:
    operand: Any


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # + - * / ** = != < <= > >= and or
    left: Any
    right: Any


@dataclass(frozen=True, slots=True)
class Between:
    value: Any
    low: Any
    high: Any


@dataclass(frozen=True, slots=True)
class In:
    value: Any
    tests: tuple[Any, ...]  # positive unary tests (UT* nodes)


@dataclass(frozen=True, slots=True)
class TypeSpec:
    """A FEEL type: ``number``, ``list<string>``, ``context<a: number>``, ``function<number>->string``."""

    name: str
    args: tuple[Any, ...] = ()  # element type / (key, TypeSpec) pairs / parameter types + result


@dataclass(frozen=True, slots=True)
class InstanceOf:
    value: Any
    type: TypeSpec


@dataclass(frozen=True, slots=True)
class If:
    cond: Any
    then: Any
    orelse: Any


@dataclass(frozen=True, slots=True)
class Iteration:
    name: str
    domain: Any
    end: Any = None  # ``for i in 1..n``: domain is the start, end the stop


@dataclass(frozen=True, slots=True)
class For:
    iterations: tuple[Iteration, ...]
    body: Any


@dataclass(frozen=True, slots=True)
class Quantified:
    kind: str  # "some" or "every"
    iterations: tuple[Iteration, ...]
    cond: Any


@dataclass(frozen=True, slots=True)
class Call:
    callee: Any
    args: tuple[Any, ...]
    named: tuple[tuple[str, Any], ...] | None = None  # named arguments, in written order

    @property
    def name(self) -> str | None:
        return self.callee.name if isinstance(self.callee, Name) else None


@dataclass(frozen=True, slots=True)
class ListLit:
    items: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class ContextLit:
    entries: tuple[tuple[str, Any], ...]


@dataclass(frozen=True, slots=True)
class RangeLit:
    """``[a..b]``; ``low``/``high`` is None for the open side of ``< 10`` / ``>= 5``."""

    low: Any
    high: Any
    low_closed: bool
    high_closed: bool


@dataclass(frozen=True, slots=True)
class FuncDef:
    params: tuple[tuple[str, TypeSpec | None], ...]
    body: Any
    external: bool = False


# unary tests
@dataclass(frozen=True, slots=True)
class UTCompare:
    op: str
    endpoint: Any


@dataclass(frozen=True, slots=True)
class UTExpr:
    expr: Any  # a range, a list (membership), a value (equality) or a boolean using ?


@dataclass(frozen=True, slots=True)
class UTNot:
    tests: tuple[Any, ...]


def names_in(node: Any) -> set[str]:
    """Free root variable names an AST reads (``case`` for ``case.category``), without ``?``.

    Names bound inside the expression (iteration variables, parameters, context
    entries) are not free; neither are names in filter conditions, which may be
    keys of the filtered items.
    """
    found: set[str] = set()
    _free(node, frozenset(), found)
    return found


def _free(n: Any, bound: frozenset[str], found: set[str]) -> None:
    if isinstance(n, Name):
        if n.name != "?" and n.name not in bound:
            found.add(n.name)
    elif isinstance(n, (Literal, AtLiteral, TypeSpec)) or n is None:
        return
    elif isinstance(n, Path):
        _free(n.base, bound, found)
    elif isinstance(n, Filter):
        _free(n.base, bound, found)
    elif isinstance(n, (For, Quantified)):
        inner = set(bound) | {"partial"}
        for it in n.iterations:
            _free(it.domain, frozenset(inner), found)
            _free(it.end, frozenset(inner), found)
            inner.add(it.name)
        _free(n.body if isinstance(n, For) else n.cond, frozenset(inner), found)
    elif isinstance(n, FuncDef):
        _free(n.body, bound | {p for p, _ in n.params}, found)
    elif isinstance(n, ContextLit):
        inner = set(bound)
        for key, value in n.entries:
            inner.add(key)
            _free(value, frozenset(inner), found)
    elif isinstance(n, Call):
        if not isinstance(n.callee, Name):  # a called name is a function, not a variable
            _free(n.callee, bound, found)
        for a in n.args:
            _free(a, bound, found)
        for _, a in n.named or ():
            _free(a, bound, found)
    elif isinstance(n, (tuple, list)):
        for child in n:
            _free(child, bound, found)
    elif hasattr(n, "__slots__"):
        for slot in n.__slots__:
            child = getattr(n, slot)
            if not isinstance(child, (str, bool, Decimal)):
                _free(child, bound, found)
