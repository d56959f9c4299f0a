"""What the runtime returns: plain, JSON-ready views of instances and tasks."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from ..errors import ConfigurationError, InvalidInput, NotSerializable

__all__ = ["TaskView", "InstanceView", "Page", "check_json", "first_too_deep", "too_deep", "max_json_depth",
           "DEFAULT_MAX_JSON_DEPTH"]

T = TypeVar("T")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class TaskView:
    id: str
    instance_id: str
    process_key: str
    element_id: str
    name: str
    status: str
    region: str
    candidate_groups: list[str]
    assignee: str | None
    created_at: datetime
    due_at: datetime | None = None
    completed_at: datetime | None = None
    completed_by: str | None = None
    form: dict[str, Any] | None = None
    instructions: str | None = None
    data: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("created_at", "due_at", "completed_at"):
            out[key] = _iso(out[key])
        return out


@dataclass(frozen=True)
class InstanceView:
    id: str
    process_key: str
    version: int
    status: str
    business_key: str | None
    region: str
    started_by: str
    created_at: datetime
    updated_at: datetime
    variables: dict[str, Any] = field(default_factory=dict)
    open_tasks: list[TaskView] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["created_at"], out["updated_at"] = _iso(self.created_at), _iso(self.updated_at)
        out["open_tasks"] = [t.as_dict() for t in self.open_tasks]
        return out


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int


DEFAULT_MAX_JSON_DEPTH = 64
# orjson refuses to write more than 254 nested containers, and stored state wraps variables in a few
# levels of its own: a configured depth above this could be accepted but never saved.
MAX_JSON_DEPTH_CEILING = 200


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
