"""List functions (DMN 1.5 §10.3.4.4): membership, aggregates, statistics and list surgery.

Positions are 1-based and negative ones count from the end; aggregate
functions take a list or the items as separate arguments (``max(1, 2, 3)``).
Functions that build lists respect ``max_list_size``; ``sort`` counts each
comparison of a user function against ``max_iterations``.
"""

from __future__ import annotations

import functools
from collections import Counter
from decimal import Decimal
from typing import Any

from . import ops
from .feel import FeelEvalError
from .functions import builtin, invoke
from .lib_conversion import integer, require
from .limits import current_run
from .values import FEEL_CONTEXT, feel_text


def items_of(args: tuple[Any, ...]) -> list[Any]:
    """Aggregate functions accept one list argument or the items as arguments."""
    if len(args) == 1 and type(args[0]) is list:
        return args[0]
    return list(args)


def _comparable(items: list[Any], label: str) -> list[Any]:
    if any(v is None for v in items) or len({type(v) for v in items}) > 1:
        raise FeelEvalError(f"{label}() needs values of one comparable type")
    if items and not ops._ordered(items[0], items[0]):
        raise FeelEvalError(f"{label}() needs ordered values, got {type(items[0]).__name__}")
    return items


def _numbers(items: list[Any], label: str) -> list[Decimal]:
    for item in items:
        require(item, Decimal, label)
    return items


def _built(items: list[Any]) -> list[Any]:
    current_run().check_size(len(items))
    return items


@builtin("list contains", ("list", "element"))
def list_contains(items: Any, element: Any) -> bool:
    return any(ops.eq(item, element) is True for item in require(items, list, "list contains"))


@builtin("count", ("list",))
def count(items: Any) -> Decimal:
    return Decimal(len(require(items, list, "count")))


@builtin("min", ("list",), ("c...",))
def minimum(*args: Any) -> Any:
    items = _comparable(items_of(args), "min")
    return min(items) if items else None


@builtin("max", ("list",), ("c...",))
def maximum(*args: Any) -> Any:
    items = _comparable(items_of(args), "max")
    return max(items) if items else None


@builtin("sum", ("list",), ("n...",))
def total(*args: Any) -> Decimal | None:
    items = _numbers(items_of(args), "sum")
    result = Decimal(0)
    for item in items:
        result = FEEL_CONTEXT.add(result, item)
    return result if items else None


@builtin("mean", ("list",), ("n...",))
def mean(*args: Any) -> Decimal | None:
    items = items_of(args)
    result = total(items)
    return None if result is None else FEEL_CONTEXT.divide(result, Decimal(len(items)))


@builtin("median", ("list",), ("n...",))
def median(*args: Any) -> Decimal | None:
    items = sorted(_numbers(items_of(args), "median"))
    if not items:
        return None
    middle = len(items) // 2
    if len(items) % 2:
        return items[middle]
    return FEEL_CONTEXT.divide(FEEL_CONTEXT.add(items[middle - 1], items[middle]), Decimal(2))


@builtin("stddev", ("list",), ("n...",))
def stddev(*args: Any) -> Decimal | None:
    items = _numbers(items_of(args), "stddev")
    if len(items) < 2:
        return None
    average = FEEL_CONTEXT.divide(sum(items, Decimal(0)), Decimal(len(items)))
    squares = sum((FEEL_CONTEXT.power(x - average, 2) for x in items), Decimal(0))
    return FEEL_CONTEXT.sqrt(FEEL_CONTEXT.divide(squares, Decimal(len(items) - 1)))


@builtin("mode", ("list",), ("n...",))
def mode(*args: Any) -> list[Any]:
    items = _comparable(items_of(args), "mode")
    if not items:
        return []
    counts = Counter(items)
    top = max(counts.values())
    return sorted(v for v, n in counts.items() if n == top)


@builtin("all", ("list",), ("b...",))
def every(*args: Any) -> bool | None:
    result: bool | None = True
    for item in items_of(args):
        result = ops.logical_and(result, item if type(item) is bool else None)
    return result


@builtin("any", ("list",), ("b...",))
def some(*args: Any) -> bool | None:
    result: bool | None = False
    for item in items_of(args):
        result = ops.logical_or(result, item if type(item) is bool else None)
    return result


@builtin("product", ("list",), ("n...",))
def product(*args: Any) -> Decimal | None:
    items = _numbers(items_of(args), "product")
    result = Decimal(1)
    for item in items:
        result = FEEL_CONTEXT.multiply(result, item)
    return result if items else None


def _position(items: list[Any], position: Any, label: str, allow_end: bool = False) -> int:
    """0-based index of a FEEL position (1-based, negative from the end)."""
    p = integer(position, label)
    size = len(items) + (1 if allow_end else 0)
    if p > 0 and p <= size:
        return p - 1
    if p < 0 and -p <= len(items):
        return len(items) + p
    raise FeelEvalError(f"{label}(): position {p} is outside the list")


@builtin("sublist", ("list", "start position", "length?"))
def sublist(items: Any, start: Any, length: Any = None) -> list[Any]:
    require(items, list, "sublist")
    begin = _position(items, start, "sublist")
    if length is None:
        return items[begin:]
    n = integer(length, "sublist")
    if n < 0 or begin + n > len(items):
        raise FeelEvalError("sublist(): length beyond the list")
    return items[begin : begin + n]


@builtin("append", ("list", "item..."))
def append(items: Any, *new: Any) -> list[Any]:
    return _built([*require(items, list, "append"), *new])


@builtin("concatenate", ("list...",))
def concatenate(*lists: Any) -> list[Any]:
    out: list[Any] = []
    for part in lists:
        out.extend(require(part, list, "concatenate"))
    return _built(out)


@builtin("insert before", ("list", "position", "newItem"))
def insert_before(items: Any, position: Any, new: Any) -> list[Any]:
    require(items, list, "insert before")
    index = _position(items, position, "insert before")
    return _built([*items[:index], new, *items[index:]])


@builtin("remove", ("list", "position"))
def remove(items: Any, position: Any) -> list[Any]:
    require(items, list, "remove")
    index = _position(items, position, "remove")
    return items[:index] + items[index + 1 :]


@builtin("reverse", ("list",))
def reverse(items: Any) -> list[Any]:
    return list(reversed(require(items, list, "reverse")))


@builtin("index of", ("list", "match"))
def index_of(items: Any, match: Any) -> list[Decimal]:
    return [Decimal(i) for i, v in enumerate(require(items, list, "index of"), 1) if ops.eq(v, match) is True]


def _distinct(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if not any(ops.eq(item, seen) is True for seen in out):
            out.append(item)
    return out


@builtin("union", ("list...",))
def union(*lists: Any) -> list[Any]:
    return _distinct(concatenate(*lists))


@builtin("distinct values", ("list",))
def distinct_values(items: Any) -> list[Any]:
    return _distinct(require(items, list, "distinct values"))


@builtin("flatten", ("list",))
def flatten(items: Any) -> list[Any]:
    out: list[Any] = []

    def walk(value: list[Any]) -> None:
        for item in value:
            if type(item) is list:
                walk(item)
            else:
                out.append(item)

    walk(require(items, list, "flatten"))
    return _built(out)


@builtin("sort", ("list", "precedes?"))
def sort(items: Any, precedes: Any = None) -> list[Any]:
    require(items, list, "sort")
    if precedes is None:
        return sorted(_comparable(items, "sort"))
    run = current_run()

    def compare(a: Any, b: Any) -> int:
        run.tick()
        if invoke(precedes, [a, b]) is True:
            return -1
        return 1 if invoke(precedes, [b, a]) is True else 0

    return sorted(items, key=functools.cmp_to_key(compare))


@builtin("list replace", ("list", "position", "newItem"), ("list", "match", "newItem"))
def list_replace(items: Any, where: Any, new: Any) -> list[Any]:
    require(items, list, "list replace")
    if type(where) is Decimal:
        index = _position(items, where, "list replace")
        return [*items[:index], new, *items[index + 1 :]]
    if not callable(where):
        raise FeelEvalError(f"list replace(): position or match function expected, got {feel_text(where)}")
    run, out = current_run(), []
    for item in items:
        run.tick()
        out.append(new if invoke(where, [item, new]) is True else item)
    return out
