"""What the runtime returns: plain, JSON-ready views of instances and tasks."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from ..errors import NotSerializable

__all__ = ["TaskView", "InstanceView", "Page", "check_json"]

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


def check_json(value: Any, path: str = "variables") -> None:
    """Raise NotSerializable naming the first value that is not plain JSON."""
    if isinstance(value, str):
        if "\x00" in value:  # PostgreSQL cannot store it; refuse it everywhere alike
            raise NotSerializable(path, "包含空字符 (U+0000) 的字符串")
        return
    if value is None or isinstance(value, (bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NotSerializable(path, "非有限浮点数 (NaN/Infinity)")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or "\x00" in key:
                raise NotSerializable(f"{path}.{key!r}", f"键 {key!r} 不是不含空字符的字符串")
            check_json(item, f"{path}.{key}")
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            check_json(item, f"{path}[{i}]")
        return
    raise NotSerializable(path, type(value).__name__)
