"""Context functions (DMN 1.5 §10.3.4.10): get value, get entries, context, context put, context merge."""

from __future__ import annotations

from typing import Any

from .feel import FeelEvalError
from .functions import builtin
from .lib_conversion import require


@builtin("get value", ("m", "key"))
def get_value(context: Any, key: Any) -> Any:
    require(context, dict, "get value")
    if type(key) is list:  # a path of keys
        value: Any = context
        for part in key:
            if type(value) is not dict:
                return None
            value = value.get(require(part, str, "get value"))
        return value
    return context.get(require(key, str, "get value"))


@builtin("get entries", ("m",))
def get_entries(context: Any) -> list[dict[str, Any]]:
    return [{"key": k, "value": v} for k, v in require(context, dict, "get entries").items()]


@builtin("context", ("entries",))
def context_of(entries: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for entry in require(entries, list, "context"):
        if type(entry) is not dict or "key" not in entry or "value" not in entry:
            raise FeelEvalError("context() needs entries of the form {key: ..., value: ...}")
        key = require(entry["key"], str, "context")
        if key in out:
            raise FeelEvalError(f"context(): duplicate key {key!r}")
        out[key] = entry["value"]
    return out


def _put(context: dict[str, Any], keys: list[Any], value: Any) -> dict[str, Any]:
    key = require(keys[0], str, "context put")
    out = dict(context)
    if len(keys) == 1:
        out[key] = value
    else:
        inner = out.get(key)
        out[key] = _put(inner if type(inner) is dict else {}, keys[1:], value)
    return out


@builtin("context put", ("context", "key", "value"), ("context", "keys", "value"))
def context_put(context: Any, key: Any, value: Any) -> dict[str, Any]:
    require(context, dict, "context put")
    keys = key if type(key) is list else [key]
    if not keys:
        raise FeelEvalError("context put(): empty key path")
    return _put(context, keys, value)


@builtin("context merge", ("contexts",))
def context_merge(contexts: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for context in require(contexts, list, "context merge"):
        out.update(require(context, dict, "context merge"))
    return out
