"""Runtime views -> response objects, with computed fields added.

The runtime has already masked what the actor may not see; nothing is masked twice.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from ...status import TaskStatus
from ...runtime.views import InstanceView, TaskView

__all__ = ["task", "instance"]


def _plain(view: Any) -> dict[str, Any]:
    # Not dataclasses.asdict: it would deep-copy nested views we convert ourselves.
    return {f.name: getattr(view, f.name) for f in fields(view)}


def task(view: TaskView, now: datetime) -> dict[str, Any]:
    out = _plain(view)
    out["overdue"] = view.status == TaskStatus.OPEN and view.due_at is not None and view.due_at < now
    return out


def instance(view: InstanceView, now: datetime) -> dict[str, Any]:
    out = _plain(view)
    out["open_tasks"] = [task(t, now) for t in view.open_tasks]
    return out
