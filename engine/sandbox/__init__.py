"""The restricted environment for script tasks and expressions.

Scripts and expressions in BPMN (script tasks, gateway conditions, timer
expressions, pre/post scripts, task properties) are compiled with
RestrictedPython: no imports, no names or attributes starting with ``_`` (so no
dunder escapes such as ``().__class__.__base__``), no ``open``/``eval``/``exec``,
no file or network access. On top of that (``transform``) the compiled code
carries its own guards (``guards``): loops and calls are counted, operations
whose results could grow without bound are checked first, and the command's
deadline is looked at every 16 iterations. A runaway script raises
``gongzhi.errors.LimitExceeded`` naming the limit; the command fails, the
process does not. The guards cost a function call per guarded operation and
nothing per loop iteration beyond a C-level counter; nothing is traced.

Compiled code is cached per source text, so the hot path never parses. Case
data never shadows the sandbox's own globals: the guards are put into the
scope after the data. ``inspect_source`` is what validation refuses statically.
"""

from __future__ import annotations

import ast
import builtins as python_builtins
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from types import CodeType, MappingProxyType, ModuleType
from typing import Any, Mapping

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import full_write_guard, guarded_iter_unpack_sequence, guarded_unpack_sequence

from ..limits import DEFAULT_LIMITS, Limits, current_budget, exceeded
from .guards import Guards, weight
from .meter import Meter, handler
from .static import Finding, static_findings
from .transform import GUARD_NAMES, BoundedTransformer

__all__ = ["SandboxError", "compile_expression", "compile_script", "run_expression", "run_script", "check_source",
           "inspect_source", "Finding", "RESERVED", "RESERVED_NAMES"]


class SandboxError(Exception):
    """Code that the sandbox refuses to compile or that tried something forbidden."""


def _no_import(name: str, *args: Any, **kwargs: Any) -> Any:
    raise SandboxError(f"脚本中不允许 import（试图导入 '{name}'）: scripts run in a sandbox without imports")


_EXTRA_BUILTINS = ("dict", "list", "set", "frozenset", "enumerate", "min", "max", "any", "all", "sorted", "reversed",
                   "map", "filter", "zip", "bytes")
_HELPERS = ("math", "datetime", "date", "timedelta", "timezone", "Decimal")


@dataclass(frozen=True)
class _Environment:
    """What every evaluation under one set of limits starts from (built once per ``Limits``)."""

    limits: Limits
    operations: Guards
    helpers: dict[str, Any]  # names case data may shadow
    guards: dict[str, Any]  # names it may not (all start with ``_``)
    _subsets: dict[frozenset[str], dict[str, Any]] = field(default_factory=dict)
    _with_extra: dict[int, tuple[Mapping[str, Any], dict[str, Any]]] = field(default_factory=dict)

    def helpers_with(self, extra: Mapping[str, Any] | None) -> dict[str, Any]:
        """The helpers plus ``extra``; an immutable ``extra`` (the script engine's functions) is merged once."""
        if not extra:
            return self.helpers
        if not isinstance(extra, MappingProxyType):
            return {**self.helpers, **extra}
        entry = self._with_extra.get(id(extra))
        if entry is None or entry[0] is not extra:
            if len(self._with_extra) > 64:
                self._with_extra.clear()
            entry = self._with_extra[id(extra)] = (extra, {**self.helpers, **extra})
        return entry[1]

    def guards_for(self, program: "_Program") -> dict[str, Any]:
        """The guards ``program`` refers to (fewer names to copy into every scope)."""
        subset = self._subsets.get(program.names)
        if subset is None:
            subset = self._subsets[program.names] = {k: v for k, v in self.guards.items()
                                                     if k == "__builtins__" or k in program.names}
        return subset


_ENVIRONMENTS: dict[int, tuple[Limits, _Environment]] = {}


def _environment(limits: Limits) -> _Environment:
    """The environment of ``limits``, looked up by identity (hashing a Limits on every call would cost more
    than the evaluation)."""
    entry = _ENVIRONMENTS.get(id(limits))
    if entry is None or entry[0] is not limits:
        if len(_ENVIRONMENTS) > 64:
            _ENVIRONMENTS.clear()
        entry = _ENVIRONMENTS[id(limits)] = (limits, _build_environment(limits))
    return entry[1]


def _build_environment(limits: Limits) -> _Environment:
    guards = Guards(limits)
    builtins: dict[str, Any] = dict(safe_builtins)
    builtins.update({name: getattr(python_builtins, name) for name in _EXTRA_BUILTINS})
    builtins.update({"__import__": _no_import, "_getattr_": guards.getattr, "range": guards.range,
                     "pow": guards.power, "sum": guards.sum, "repr": guards.repr, "round": guards.round})
    helpers = {"math": guards.math, "datetime": datetime, "date": date, "timedelta": timedelta, "timezone": timezone,
               "Decimal": Decimal}
    fixed = {
        "__builtins__": builtins,
        "_getattr_": guards.getattr,
        "_getitem_": default_guarded_getitem,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": full_write_guard,
        "_inplacevar_": guards.inplace,
        "_mul_": guards.mul, "_add_": guards.add, "_pow_": guards.power, "_lshift_": guards.lshift, "_mod_": guards.mod,
        "_str_": guards.str, "_bytes_": guards.bytes, "_int_": guards.int, "_fmt_": guards.format_value,
        "_seq_": guards.display,
        "_handler_": handler,
    }
    return _Environment(limits, guards, helpers, fixed)


RESERVED = frozenset({*_environment(DEFAULT_LIMITS).guards, *_HELPERS, "_getiter_", "_tick_", *GUARD_NAMES,
                      *_environment(DEFAULT_LIMITS).guards["__builtins__"]})
"""Names the sandbox defines: its guards, helpers and builtins. Case data may not replace the guards
(they are put into the scope after the data); a variable named like a helper or builtin hides it."""

RESERVED_NAMES = RESERVED | frozenset({"add_working_days", "add_working_hours", "now"})
"""What a case variable may not be called (``runtime.forms.check_variable_names``): every name the
sandbox defines and the engine's expression functions, so no script finds its tools hidden."""


# --- compiling ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Program:
    """Compiled code and the sandbox names it refers to (whether it loops or calls: then it needs a meter)."""

    code: CodeType
    names: frozenset[str]
    metered: bool


def _names(code: CodeType) -> set[str]:
    found = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, CodeType):
            found |= _names(const)
    return found


def _program(result: Any) -> _Program:
    if result.errors:
        raise SandboxError("; ".join(result.errors))
    names = frozenset(n for n in _names(result.code) if n.startswith("_"))
    return _Program(result.code, names, bool(names & {"_getiter_", "_tick_"}))


@lru_cache(maxsize=4096)
def _expression(source: str) -> _Program:
    return _program(compile_restricted_eval(source.strip(), "<expression>", policy=BoundedTransformer))


@lru_cache(maxsize=1024)
def _script(source: str) -> _Program:
    return _program(compile_restricted_exec(source, "<script>", policy=BoundedTransformer))


def compile_expression(source: str) -> CodeType:
    return _expression(source).code


def compile_script(source: str) -> CodeType:
    return _script(source).code


_LINE = re.compile(r"^Line (\d+):")


def inspect_source(source: str, mode: str, limits: Limits | None = None) -> list[Finding]:
    """Everything validation refuses in ``source`` (``mode`` ``"eval"`` or ``"exec"``), with lines inside it."""
    limits = limits or DEFAULT_LIMITS
    text = source.strip() if mode == "eval" else source
    findings: list[Finding] = []
    try:
        (compile_expression if mode == "eval" else compile_script)(source)
    except SyntaxError as exc:
        return [Finding(exc.lineno or 1, f"语法错误：{exc.msg}", "compile")]
    except SandboxError as exc:
        found = _LINE.match(str(exc))
        findings.append(Finding(int(found.group(1)) if found else 1, str(exc), "compile"))
    try:
        tree = ast.parse(text, mode="eval" if mode == "eval" else "exec")
    except SyntaxError:
        return findings  # RestrictedPython has said why
    findings.extend(static_findings(tree, limits, _environment(limits).operations))
    return findings


def check_source(source: str, mode: str) -> str | None:
    """The first reason ``source`` would be refused, or None."""
    findings = inspect_source(source, mode)
    return findings[0].message if findings else None


# --- running ----------------------------------------------------------------------------------


def _meter(limits: Limits) -> Meter:
    budget = current_budget.get()
    if budget is not None:
        return Meter(limits, budget.deadline)
    seconds = limits.command_deadline_seconds
    return Meter(limits, time.monotonic() + seconds if seconds else None)


def _scope(env: _Environment, program: _Program, data: Mapping[str, Any], helpers: Mapping[str, Any]) -> dict[str, Any]:
    scope = {**helpers, **data}
    scope.update(env.guards_for(program))  # after the data: case variables never replace the guards
    if program.metered:
        meter = _meter(env.limits)
        scope["_getiter_"] = meter.iterate
        scope["_tick_"] = meter.tick
    return scope


def run_expression(source: str, data: Mapping[str, Any], extra: Mapping[str, Any] | None = None, *,
                   limits: Limits | None = None) -> Any:
    """The value of ``source`` with ``data`` as its variables (``extra``: functions it may call)."""
    env = _environment(limits or DEFAULT_LIMITS)
    program = _expression(source)
    result = eval(program.code, _scope(env, program, data, env.helpers_with(extra)))
    if isinstance(result, _CONTAINERS):
        cap = env.limits.data_size
        if weight(result, cap) > cap:
            raise exceeded("data_size", cap)
    return result


def run_script(source: str, data: dict[str, Any], extra: Mapping[str, Any] | None = None, *,
               limits: Limits | None = None) -> None:
    """Run ``source`` with ``data`` as its variables; assignments and deletions land in ``data``.

    What the script produced is weighed before ``data`` changes: past
    ``data_size`` nothing is written and LimitExceeded is raised.
    """
    env = _environment(limits or DEFAULT_LIMITS)
    program = _script(source)
    helpers = env.helpers_with(extra)
    scope = _scope(env, program, data, helpers)
    exec(program.code, scope)
    updates, room = {}, env.limits.data_size
    for key, value in scope.items():
        if key[:1] == "_" or helpers.get(key, _MISSING) is value:
            continue  # the sandbox's own names, and helpers the script left alone
        previous = data.get(key, _MISSING)
        if value is previous or callable(value) or isinstance(value, ModuleType):
            continue
        if isinstance(value, _CONTAINERS):
            room -= weight(value, room)
            if room < 0:
                raise exceeded("data_size", env.limits.data_size)
        updates[key] = value
    for key in [k for k in data if k not in scope]:
        del data[key]
    data.update(updates)


_CONTAINERS = (list, tuple, dict, set, frozenset)
_MISSING = object()
