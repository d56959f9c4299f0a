"""The restricted environment for script tasks and expressions.

Scripts and expressions in BPMN (script tasks, gateway conditions, timer
expressions, pre/post scripts) are compiled with RestrictedPython: no imports,
no names or attributes starting with ``_`` (so no dunder escapes such as
``().__class__.__base__``), no ``open``/``eval``/``exec``, no file or network
access. Compiled code is cached per source text, so the hot path never parses.
"""

from __future__ import annotations

import math
import operator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from types import CodeType, ModuleType
from typing import Any, Mapping

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import full_write_guard, guarded_iter_unpack_sequence, guarded_unpack_sequence, safer_getattr

__all__ = ["SandboxError", "compile_expression", "compile_script", "run_expression", "run_script", "check_source"]


class SandboxError(Exception):
    """Code that the sandbox refuses to compile or that tried something forbidden."""


def _no_import(name: str, *args: Any, **kwargs: Any) -> Any:
    raise SandboxError(f"脚本中不允许 import（试图导入 '{name}'）: scripts run in a sandbox without imports")


def _inplace(op: str, x: Any, y: Any) -> Any:
    return _INPLACE[op](x, y)


_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "|=": operator.ior, "&=": operator.iand,
}

_BUILTINS: dict[str, Any] = dict(safe_builtins)
_BUILTINS.update(
    {
        "__import__": _no_import,
        "dict": dict, "list": list, "set": set, "frozenset": frozenset, "enumerate": enumerate,
        "min": min, "max": max, "sum": sum, "sorted": sorted, "reversed": reversed, "any": any, "all": all,
        "map": map, "filter": filter, "zip": zip,
    }
)

GLOBALS: dict[str, Any] = {
    "__builtins__": _BUILTINS,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplace,
    # Harmless helpers scripts commonly need.
    "math": math, "datetime": datetime, "date": date, "timedelta": timedelta, "timezone": timezone, "Decimal": Decimal,
}
RESERVED = frozenset(GLOBALS)
# What a variable may not be called: the sandbox's globals and builtins, and the engine's helper
# functions (a case variable of that name would shadow them in every later script).
RESERVED_NAMES = RESERVED | frozenset(_BUILTINS) | frozenset({"add_working_days", "now"})


def _check(result: Any, source: str) -> CodeType:
    if result.errors:
        raise SandboxError("; ".join(result.errors))
    return result.code


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> CodeType:
    return _check(compile_restricted_eval(source.strip(), "<expression>"), source)


@lru_cache(maxsize=1024)
def compile_script(source: str) -> CodeType:
    return _check(compile_restricted_exec(source, "<script>"), source)


def check_source(source: str, mode: str) -> str | None:
    """The reason ``source`` would not compile, or None."""
    try:
        (compile_expression if mode == "eval" else compile_script)(source)
    except (SandboxError, SyntaxError) as exc:
        return str(exc)
    return None


def run_expression(source: str, data: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> Any:
    scope = dict(GLOBALS)
    if extra:
        scope.update(extra)
    scope.update(data)
    return eval(compile_expression(source), scope)


def run_script(source: str, data: dict[str, Any], extra: Mapping[str, Any] | None = None) -> None:
    """Run ``source`` with ``data`` as its variables; assignments and deletions land in ``data``."""
    helpers = {**GLOBALS, **(extra or {})}
    scope = {**helpers, **data}
    exec(compile_script(source), scope)
    for key in [k for k in data if k not in scope]:
        del data[key]
    for key, value in scope.items():
        unchanged_helper = key in helpers and value is helpers[key]
        if unchanged_helper or key.startswith("_") or callable(value) or isinstance(value, ModuleType):
            continue
        data[key] = value
