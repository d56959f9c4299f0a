"""Runtime views -> response objects: masking applied, computed fields added."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from ...runtime.views import InstanceView, TaskView
from ..context import Masker

__all__ = ["task", "instance"]


def _plain(view: Any) -> dict[str, Any]:
    # Not dataclasses.asdict: it would deep-copy nested views we convert ourselves.
    return {f.name: getattr(view, f.name) for f in fields(view)}


def task(view: TaskView, masker: Masker, now: datetime) -> dict[str, Any]:
    out = _plain(view)
    out["overdue"] = view.status == "open" and view.due_at is not None and view.due_at < now
    out["data"] = masker.data(view.data)
    out["instructions"] = masker.text(view.instructions)
    return out


def instance(view: InstanceView, masker: Masker, now: datetime) -> dict[str, Any]:
    out = _plain(view)
    out["variables"] = masker.data(view.variables)
    out["open_tasks"] = [task(t, masker, now) for t in view.open_tasks]
    return out
