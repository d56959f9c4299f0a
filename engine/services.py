"""Objects plugins hand to the engine: service-task handlers and instance events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Mapping

__all__ = ["ServiceTask", "ServiceCall", "InstanceEvent"]


@dataclass(frozen=True)
class ServiceCall:
    """What a service-task handler receives."""

    operator: str
    params: Mapping[str, Any]
    instance_id: str
    element_id: str
    data: Mapping[str, Any]
    now: datetime


@dataclass(frozen=True)
class ServiceTask:
    """A handler for BPMN service tasks whose operator is ``name``.

    The handler returns a JSON value, stored in the task's result variable.
    """

    name: str
    handler: Callable[[ServiceCall], Any]
    description: str = ""


@dataclass(frozen=True)
class InstanceEvent:
    """Something that happened to an instance, broadcast after the commit."""

    kind: str  # started | task_completed | timer_fired | message | cancelled | completed
    instance_id: str
    process_key: str
    at: datetime
    actor_id: str
    element_id: str | None = None
    task_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
