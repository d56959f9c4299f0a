"""What the runtime returns: plain, JSON-ready views of instances and tasks."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar


__all__ = ["TaskView", "InstanceView", "Page"]

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
    parent_id: str | None = None  # the case whose call activity started this one

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


# orjson refuses to write more than 254 nested containers, and stored state wraps variables in a few
# levels of its own: a configured depth above this could be accepted but never saved.
