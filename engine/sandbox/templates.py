"""Instructions templates (``spiffworkflow:instructionsForEndUser``) rendered with bounded work.

``BoundedTemplates`` is Jinja2's immutable sandbox (no ``_`` attributes, no
mutating data) with the script sandbox's limits:

- ``*``, ``**``, ``+``, ``%`` are intercepted and run through the same guards
  as scripts; ``~`` (concatenation) is bounded too;
- every ``{% for %}`` counts its iterations and every call (macros included)
  ticks the meter, against ``template_iterations`` and the deadline;
- ``range`` is Jinja's bounded one (``MAX_RANGE``); ``lipsum`` is gone; string
  methods and filters that grow text (``center``, ``indent``, ``replace``,
  ``join``, ``format``, ``batch``, ``slice``, ``wordwrap`` …) are checked
  before they run; ``str.format`` is refused;
- the output is produced with ``generate()`` and cut at ``template_output``.

Gongzhi's plain-Chinese filters (``gongzhi.humanize``: ``within``, ``beijing``,
``percent``, ``name``, ``names`` …) are available, and every printed value is
shown as a person reads it: no value is "无", a boolean 是/否, an ISO time Beijing
time, an ISO duration "1 小时", a list joined with "、".

``render_instructions`` never raises: a failing template shows the officer a
short Chinese note (the details go to the log).
"""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar
from functools import lru_cache, partial, wraps
from typing import Any, Callable, Iterable, Mapping

from jinja2 import TemplateSyntaxError, nodes
from jinja2.filters import FILTERS
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from ..errors import LimitExceeded
from ..humanize import TEMPLATE_FILTERS, plain
from ..limits import Limits, current_budget
from .guards import GROWING_METHODS, Guards, weight
from .meter import Meter
from .static import Finding

__all__ = ["BoundedTemplates", "templates_for", "render_instructions", "check_template"]

logger = logging.getLogger("gongzhi")

ITERATE, CONCAT = "_gongzhi_iter", "_gongzhi_concat"
_METER: ContextVar[Meter | None] = ContextVar("gongzhi_template_meter", default=None)
_BINOPS: dict[str, Callable[[Guards, Any, Any], Any]] = {"*": Guards.mul, "**": Guards.power, "+": Guards.add,
                                                        "%": Guards.mod}


def _counted(iterable: Any) -> Any:
    meter = _METER.get()
    return meter.iterate(iterable) if meter is not None else iterable


class _Bound(NodeTransformer):
    """Counted ``for`` loops and bounded ``~`` in a parsed template."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        node = self.generic_visit(node)
        node.iter = nodes.Call(nodes.Name(ITERATE, "load"), [node.iter], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        node = self.generic_visit(node)
        return nodes.Call(nodes.Name(CONCAT, "load"), [nodes.List(node.nodes, lineno=node.lineno)], [], None, None,
                          lineno=node.lineno)


class BoundedTemplates(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset(_BINOPS)

    def __init__(self, limits: Limits) -> None:
        super().__init__(autoescape=False, finalize=self._finalize)
        self.limits = limits
        self.guards = Guards(limits)
        self.globals.pop("lipsum", None)
        self.globals.update({ITERATE: _counted, CONCAT: self._concat})
        self.filters.update(_bounded_filters(self.guards))
        self.filters.update(TEMPLATE_FILTERS)
        self.compiled = lru_cache(maxsize=512)(self.from_string)

    # --- the hooks of Jinja's sandbox -----------------------------------------------------

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        return _Bound().visit(super()._parse(source, name, filename))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        return _BINOPS[operator](self.guards, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja's signature
        meter = _METER.get()
        if meter is not None:
            meter.tick()
        return super().call(__context, __obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, str) and attribute in ("format", "format_map"):
            return self.unsafe_undefined(obj, attribute)
        return self._bounded(obj, attribute, super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, str) and argument in ("format", "format_map"):
            return self.unsafe_undefined(obj, argument)
        value = super().getitem(obj, argument)
        return self._bounded(obj, argument, value) if isinstance(argument, str) else value

    def _bounded(self, obj: Any, attribute: str, value: Any) -> Any:
        if attribute in GROWING_METHODS and isinstance(obj, (str, bytes)) and callable(value):
            return partial(self.guards.grow, attribute, obj)
        return value

    def _finalize(self, value: Any) -> Any:
        self.guards.check_weight(value)
        return plain(value)  # what a person reads: no None, no ISO time, no Python list

    def _concat(self, items: Iterable[Any]) -> str:
        parts, total = [], 0
        for item in items:
            text = item if isinstance(item, str) else self.guards.str(item)
            total += len(text)
            if total > self.guards.max_len:
                raise self.guards.too_long()
            parts.append(text)
        return "".join(parts)

    # --- rendering ----------------------------------------------------------------------

    def render_bounded(self, source: str, data: Mapping[str, Any]) -> tuple[str, bool]:
        """(the output, whether it was cut at ``template_output``)."""
        budget = current_budget.get()
        seconds = self.limits.command_deadline_seconds
        deadline = budget.deadline if budget else (time.monotonic() + seconds if seconds else None)
        context = {k: v for k, v in data.items() if k not in (ITERATE, CONCAT)}
        token = _METER.set(Meter(self.limits, deadline, "template_iterations"))
        chunks = self.compiled(source).generate(**context)
        try:
            out, size, cap = [], 0, self.limits.template_output
            for chunk in chunks:
                out.append(chunk)
                size += len(chunk)
                if size > cap:
                    return "".join(out)[:cap], True
            return "".join(out), False
        finally:
            chunks.close()
            _METER.reset(token)


@lru_cache(maxsize=16)
def templates_for(limits: Limits) -> BoundedTemplates:
    return BoundedTemplates(limits)


def render_instructions(source: str, data: Mapping[str, Any], limits: Limits) -> str:
    """A task's instructions for the officer; on any failure, the template stops with a short note."""
    try:
        text, cut = templates_for(limits).render_bounded(source, data)
    except LimitExceeded as exc:
        logger.warning("instructions template stopped at a limit: %s", exc)
        return "（任务说明超出系统限制，无法显示，请联系流程管理员）"
    except Exception:  # noqa: BLE001 - a broken template must not hide the task
        logger.warning("instructions template failed", exc_info=True)
        return "（任务说明模板有误，无法显示，请联系流程管理员）"
    if cut:
        text += f"\n（任务说明超过 {limits.template_output} 个字符，已截断）"
    return text


# --- filters that could grow text ------------------------------------------------------------


def _bounded_filters(guards: Guards) -> dict[str, Callable[..., Any]]:
    limit = guards.max_len

    def check(size: int) -> None:
        if size > limit:
            raise guards.too_long()

    def guard(name: str, measure: Callable[..., int]) -> Callable[..., Any]:
        original = FILTERS[name]

        @wraps(original)
        def bounded(*args: Any, **kwargs: Any) -> Any:
            try:
                size = measure(*args, **kwargs)
            except (TypeError, ValueError, AttributeError, IndexError):
                size = 0  # the filter itself reports bad arguments
            check(size)
            return original(*args, **kwargs)

        return bounded

    def texts(value: Any) -> int:
        return weight(value, limit) if isinstance(value, (list, tuple, dict, set, frozenset)) else len(str(value))

    def join(_ctx: Any, value: Any, d: str = "", attribute: Any = None) -> int:
        items = list(value) if not isinstance(value, (list, tuple)) else value
        return sum(texts(i) for i in items) + len(d) * max(len(items) - 1, 0)

    def indent(s: Any, width: Any = 4, first: bool = False, blank: bool = False) -> int:
        pad = len(width) if isinstance(width, str) else int(width)
        return len(str(s)) + (str(s).count("\n") + 1) * pad

    def replace(_ctx: Any, s: Any, old: str, new: str, count: Any = None) -> int:
        text = str(s)
        found = text.count(old) if old else len(text) + 1
        if count is not None:
            found = min(found, int(count))
        return len(text) + found * (len(new) - len(old))

    def wordwrap(_env: Any, s: str, width: int = 79, break_long_words: bool = True, wrapstring: Any = None,
                 break_on_hyphens: bool = True) -> int:
        breaks = len(s) // max(int(width), 1) + s.count(" ") + 1
        return len(s) + breaks * len(wrapstring or "\n")

    def printf(value: Any, *args: Any, **kwargs: Any) -> int:
        guards.check_printf(str(value), kwargs or args)
        return 0

    def whole(value: Any, *_: Any, **__: Any) -> int:
        return texts(value)

    def after_context(value_index: int) -> Callable[..., int]:
        return lambda *args, **kwargs: texts(args[value_index]) if len(args) > value_index else 0

    return {
        "center": guard("center", lambda value, width=80: max(len(str(value)), int(width))),
        "indent": guard("indent", indent),
        "format": guard("format", printf),
        "replace": guard("replace", replace),
        "join": guard("join", join),
        "batch": guard("batch", lambda value, linecount, fill_with=None: int(linecount)),
        "slice": guard("slice", lambda value, slices, fill_with=None: int(slices)),
        "wordwrap": guard("wordwrap", wordwrap),
        "pprint": guard("pprint", whole),
        "string": guard("string", whole),
        "list": guard("list", whole),
        "e": guard("e", whole),
        "escape": guard("escape", whole),
        "forceescape": guard("forceescape", whole),
        "urlencode": guard("urlencode", lambda value: 3 * texts(value)),
        "xmlattr": guard("xmlattr", after_context(1)),
        "tojson": guard("tojson", after_context(1)),
    }


# --- validation ----------------------------------------------------------------------------------


def check_template(source: str, limits: Limits) -> list[Finding]:
    """Syntax errors, giant constants and constant expressions past the limits, each with its line."""
    env = templates_for(limits)
    try:
        tree = env.parse(source)
        env.from_string(source)
    except TemplateSyntaxError as exc:
        return [Finding(exc.lineno or 1, f"模板语法错误：{exc.message}")]
    findings: list[Finding] = []
    for node in tree.find_all(nodes.Const):
        if isinstance(node.value, str) and len(node.value) > limits.literal_size:
            findings.append(Finding(node.lineno, f"模板中的常量过长（上限 {limits.literal_size}，literal_size）"))
    inside_failed: set[int] = set()  # an expression inside one already reported is not reported again
    for node in tree.find_all((nodes.BinExpr, nodes.Call)):
        if id(node) in inside_failed:
            continue
        try:
            _fold(node, env.guards)
        except LimitExceeded as exc:
            findings.append(Finding(node.lineno, f"模板中常量表达式的结果过大：{exc.message}"))
            inside_failed.update(id(n) for n in node.find_all(nodes.Node))
        except _NotConstant:
            pass
    return findings


class _NotConstant(Exception):
    pass


def _fold(node: nodes.Node, guards: Guards) -> Any:
    if isinstance(node, nodes.Const):
        return node.value
    if isinstance(node, (nodes.Neg, nodes.Pos)):
        value = _fold(node.node, guards)
        return -value if isinstance(node, nodes.Neg) else +value
    if isinstance(node, nodes.BinExpr) and node.operator in _BINOPS:
        return _BINOPS[node.operator](guards, _fold(node.left, guards), _fold(node.right, guards))
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name == CONCAT:
        items = [_fold(n, guards) for n in node.args[0].items]  # type: ignore[attr-defined]
        if sum(len(str(i)) for i in items) > guards.max_len:
            raise guards.too_long()
        return "".join(map(str, items))
    raise _NotConstant()
