"""Iteration in FEEL: ``for``, ``some``/``every`` and filters, each step counted against the limits.

Ranges are iterated lazily (``for i in 1..n`` never builds the list up front)
after checking ``max_range``; every iteration and every filtered item ticks
``max_iterations``; a ``for`` result is bounded by ``max_list_size``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .compile import Compiled, Env, Evaluator, as_bool, compile_node
from .feel import Filter, For, Quantified, normalize_name
from .functions import Frame
from .limits import current_run, exceeded
from .values import Range


def iteration_items(domain: Any, end: Any = None, *, ranged: bool = False) -> list[Any] | range | None:
    """What ``for``/``some``/``every`` iterate: a list, ``a..b`` or a range value of integers or dates."""
    run = current_run()
    if ranged or isinstance(domain, Range):
        if isinstance(domain, Range):
            if domain.low is None or domain.high is None:
                return None
            start, stop = domain.low, domain.high
            lo_adj, hi_adj = (0 if domain.low_closed else 1), (0 if domain.high_closed else 1)
        else:
            start, stop, lo_adj, hi_adj = domain, end, 0, 0
        if type(start) is Decimal and type(stop) is Decimal:
            if start != start.to_integral_value() or stop != stop.to_integral_value():
                return None
            a, b = int(start), int(stop)
            step = 1 if b >= a else -1
            a, b = a + step * lo_adj, b - step * hi_adj
            size = abs(b - a) + 1
            if size > run.limits.max_range:
                raise exceeded("max_range", run.limits.max_range, size)
            return range(a, b + step, step)  # materialised lazily; mapped to Decimals by the caller
        if type(start) is dt.date and type(stop) is dt.date:
            days = (stop - start).days
            step = 1 if days >= 0 else -1
            size = abs(days) + 1
            if size > run.limits.max_range:
                raise exceeded("max_range", run.limits.max_range, size)
            return [start + dt.timedelta(days=i) for i in range(lo_adj * step, days + step - hi_adj * step, step)]
        return None
    if domain is None:
        return None
    return domain if type(domain) is list else [domain]


def _item(value: Any) -> Any:
    return Decimal(value) if type(value) is int else value


def _iterations(node: For | Quantified, env: Env) -> tuple[list[tuple[str, Evaluator, Evaluator | None]], Env]:
    inner = env.bind("partial")
    compiled = []
    for it in node.iterations:
        domain = compile_node(it.domain, inner).fn
        end = compile_node(it.end, inner).fn if it.end is not None else None
        compiled.append((normalize_name(it.name), domain, end))
        inner = inner.bind(it.name)
    return compiled, inner


def _bindings(iterations: list[tuple[str, Evaluator, Evaluator | None]], ctx: Mapping[str, Any]) -> Any:
    """Yield one Frame per combination of the iteration variables (later domains see earlier ones)."""
    run = current_run()
    name, domain, end = iterations[0]
    items = iteration_items(domain(ctx), end(ctx) if end else None, ranged=end is not None)
    if items is None:
        raise _NullDomain
    rest = iterations[1:]
    for item in items:
        run.tick()
        frame = Frame(ctx, {name: _item(item)})
        if rest:
            yield from _bindings(rest, frame)
        else:
            yield frame


class _NullDomain(Exception):
    """An iteration domain that is null or not iterable: the whole expression is null."""


def compile_for(node: For, env: Env) -> Compiled:
    iterations, inner = _iterations(node, env)
    body = compile_node(node.body, inner).fn

    def loop(ctx: Mapping[str, Any]) -> list[Any] | None:
        out: list[Any] = []
        outer = Frame(ctx, {"partial": out})
        run = current_run()
        try:
            for frame in _bindings(iterations, outer):
                out.append(body(frame))
                if len(out) > run.limits.max_list_size:
                    run.check_size(len(out))
        except _NullDomain:
            return None
        return out

    return Compiled(loop, node)


def compile_quantified(node: Quantified, env: Env) -> Compiled:
    iterations, inner = _iterations(node, env)
    cond = compile_node(node.cond, inner).fn
    some = node.kind == "some"

    def quantify(ctx: Mapping[str, Any]) -> bool | None:
        result: bool | None = not some
        try:
            for frame in _bindings(iterations, ctx):
                value = as_bool(cond(frame))
                if value is some:
                    return some
                if value is None:
                    result = None
        except _NullDomain:
            return None
        return result

    return Compiled(quantify, node)


def compile_filter(node: Filter, env: Env) -> Compiled:
    base = compile_node(node.base, env).fn
    cond = compile_node(node.cond, env.bind("item"))
    if cond.const and type(cond.value) is Decimal:
        index = cond.value
        return Compiled(lambda ctx: _at_index(base(ctx), index), node)
    cf = cond.fn

    def select(ctx: Mapping[str, Any]) -> Any:
        value = base(ctx)
        if value is None:
            return None
        items = value if type(value) is list else [value]
        run = current_run()
        out = []
        for position, item in enumerate(items):
            run.tick()
            frame = Frame(ctx, item) if type(item) is dict else Frame(ctx)
            frame["item"] = item
            keep = cf(frame)
            if position == 0 and type(keep) is Decimal:
                return _at_index(items, keep)  # l[n] with n computed: an index, not a condition
            if keep is True:
                out.append(item)
        return out

    return Compiled(select, node)


def _at_index(value: Any, index: Decimal) -> Any:
    items = value if type(value) is list else ([] if value is None else [value])
    if index != index.to_integral_value():
        return None
    i = int(index)
    if i > 0 and i <= len(items):
        return items[i - 1]
    if i < 0 and -i <= len(items):
        return items[i]
    return None
