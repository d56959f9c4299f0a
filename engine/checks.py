"""Checks every entry point applies to what it is given, in one place.

PostgreSQL text cannot hold U+0000, JSON cannot hold NaN, and deeply nested
values cost stack or a serialiser's refusal later: each is refused up front with
an error naming where it is, the same way from Python and from HTTP.
"""

from __future__ import annotations

import math
from typing import Any

from .errors import ConfigurationError, InvalidInput, NotSerializable

__all__ = ["plain_id", "check_json", "first_too_deep", "too_deep", "nul_fields", "max_json_depth",
           "DEFAULT_MAX_JSON_DEPTH", "MAX_ID_LENGTH"]

DEFAULT_MAX_JSON_DEPTH = 64
MAX_JSON_DEPTH_CEILING = 200
MAX_ID_LENGTH = 128


def plain_id(value: Any) -> bool:
    """A string that can be looked up in any database (ids are short; NUL is refused by PostgreSQL)."""
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH and "\x00" not in value


def nul_fields(value: Any, path: str) -> list[str]:
    """Where ``value`` holds U+0000: PostgreSQL text cannot store it, so it is refused up front."""
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            found.extend([name] if "\x00" in str(key) else nul_fields(item, name))
        return found
    if isinstance(value, list):
        return [f for i, item in enumerate(value) for f in nul_fields(item, f"{path}[{i}]")]
    return []


def max_json_depth(config: Any) -> int:
    """``max_json_depth`` from the configuration's extra keys (default 64, at most 200)."""
    raw = config.extra.get("max_json_depth", DEFAULT_MAX_JSON_DEPTH)
    try:
        depth = int(raw)
    except (TypeError, ValueError):
        depth = 0
    if not 1 <= depth <= MAX_JSON_DEPTH_CEILING:
        raise ConfigurationError(f"max_json_depth must be an integer from 1 to {MAX_JSON_DEPTH_CEILING}, got {raw!r}")
    return depth


def too_deep(path: str, max_depth: int) -> InvalidInput:
    """The error for a JSON value nested deeper than ``max_depth`` containers at ``path``."""
    return InvalidInput(
        f"数据嵌套过深：'{path}' 处超过 {max_depth} 层 (JSON nested deeper than {max_depth} levels)",
        errors=[{"field": path, "message": f"嵌套超过 {max_depth} 层"}], limit="max_json_depth", maximum=max_depth,
    )


def first_too_deep(value: Any, max_depth: int, path: str = "") -> str | None:
    """The path of the first container nested deeper than ``max_depth``, or None. Iterative: any depth is safe."""
    stack: list[tuple[Any, str, int]] = [(value, path, 1)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, dict):
            children = [(child, f"{where}.{key}" if where else str(key)) for key, child in item.items()]
        elif isinstance(item, list):
            children = [(child, f"{where}[{i}]") for i, child in enumerate(item)]
        else:
            continue
        if depth > max_depth:
            return where or "body"
        stack.extend((child, name, depth + 1) for child, name in reversed(children))
    return None


def check_json(value: Any, path: str = "variables", *, max_depth: int = DEFAULT_MAX_JSON_DEPTH) -> None:
    """Raise NotSerializable naming the first value that is not plain JSON, InvalidInput if nested too deep.

    Walks with an explicit stack rather than recursion, so hostile nesting costs
    a clear error instead of a RecursionError (or a 500 when the value is written).
    """
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:  # PostgreSQL cannot store it; refuse it everywhere alike
                raise NotSerializable(where, "包含空字符 (U+0000) 的字符串")
        elif item is None or isinstance(item, (bool, int)):
            continue
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise NotSerializable(where, "非有限浮点数 (NaN/Infinity)")
        elif isinstance(item, (dict, list)):
            if depth >= max_depth:
                raise too_deep(where, max_depth)
            stack.extend(reversed(_children(item, where, depth + 1)))
        else:
            raise NotSerializable(where, type(item).__name__)


def _children(item: dict[Any, Any] | list[Any], path: str, depth: int) -> list[tuple[Any, str, int]]:
    if isinstance(item, list):
        return [(child, f"{path}[{i}]", depth) for i, child in enumerate(item)]
    out = []
    for key, child in item.items():
        if not isinstance(key, str) or "\x00" in key:
            raise NotSerializable(f"{path}.{key!r}", f"键 {key!r} 不是不含空字符的字符串")
        out.append((child, f"{path}.{key}", depth))
    return out
