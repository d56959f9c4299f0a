"""Typed audit records: one frozen dataclass per audit action, parsed from an event's body.

The runtime writes these actions on an instance's chain (see ``docs/audit.md``):

==================  =====================================================================
``start``           a case started: the ``variables`` it was given
``complete``        a user task completed: its ``task_id``, ``element_id``, the form ``data``
``message``         a message delivered: ``message``, its ``variables``; for a message kept
                    earlier, ``message_id``, ``buffered_since`` and ``delivered_by``
``cancel``          a case cancelled: the ``reason``
``timer``           a timer fired (``task_id``, ``element_id``)
``service``         an asynchronous service task finished (``task_id``, ``element_id``)
``deliver``         kept messages delivered by the worker
``claim``           a task claimed (``task_id``, ``element_id``)
``decision``        a DMN decision evaluated: ``decision_id``, version, inputs, matched rules, result
``service_call``    a service task called its operator: ``operator``, ``params``
``region_narrowed`` the case moved into a region inside its own (``gongzhi.narrow_region``):
                    ``region_from``, ``region_to``
``completed``       the case ended (after the command that ended it)
``cancelled``       the case was cancelled (after ``cancel``)
``incident_retry``  an admin retried a failed job: ``incident_id``
``erase_personal``  personal values erased: how many (``erased``)
==================  =====================================================================

Command events (``start``, ``complete``, ``message``, ``cancel``, ``timer``, ``service``,
``deliver``) also say what changed in the variables: ``changed``, ``appended``, ``removed``.
An action not listed here (a newer engine's, or a plugin's) reads as a plain
:class:`AuditRecord`; every record keeps the whole ``body`` too.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Mapping

from ...clock import utc

__all__ = ["AuditRecord", "CommandRecord", "StartRecord", "CompleteRecord", "MessageRecord", "CancelRecord",
           "ClaimRecord", "DecisionRecord", "ServiceCallRecord", "RegionNarrowedRecord", "EndRecord",
           "IncidentRetryRecord", "ErasureRecord", "RECORD_TYPES", "parse_record"]


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True, kw_only=True)
class AuditRecord:
    """One audit event of an instance; ``body`` is its whole payload (masked as the reader sees it)."""

    instance_id: str
    seq: int
    action: str
    actor_id: str
    actor_name: str
    at: datetime
    process_key: str | None = None
    element_id: str | None = None
    task_id: str | None = None
    body: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def _extra(cls, body: Mapping[str, Any]) -> dict[str, Any]:
        """The action's own fields, from the body (subclasses name theirs as dataclass fields)."""
        return {name: body[name] for name in _own_fields(cls) if name in body}


@dataclass(frozen=True, kw_only=True)
class CommandRecord(AuditRecord):
    """A command's event: what it changed in the variables (``timer``, ``service``, ``deliver``)."""

    changed: Mapping[str, Any] | None = None
    appended: Mapping[str, Any] | None = None
    removed: tuple[str, ...] | None = None


@dataclass(frozen=True, kw_only=True)
class StartRecord(CommandRecord):
    variables: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class CompleteRecord(CommandRecord):
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class MessageRecord(CommandRecord):
    message: str | None = None
    variables: Mapping[str, Any] = field(default_factory=dict)
    message_id: str | None = None
    buffered_since: str | None = None
    delivered_by: Mapping[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class CancelRecord(CommandRecord):
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ClaimRecord(AuditRecord):
    """A task claimed: ``task_id`` and ``element_id`` say which."""


@dataclass(frozen=True, kw_only=True)
class DecisionRecord(AuditRecord):
    decision_id: str | None = None
    decision_version: Any = None
    inputs: Mapping[str, Any] | None = None
    matched_rules: Any = None
    result: Any = None
    explanation: Any = None


@dataclass(frozen=True, kw_only=True)
class ServiceCallRecord(AuditRecord):
    operator: str | None = None
    params: Mapping[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class RegionNarrowedRecord(AuditRecord):
    """The case moved into a narrower region: a street assigned it to one of its grids."""

    region_from: str | None = None
    region_to: str | None = None


@dataclass(frozen=True, kw_only=True)
class EndRecord(AuditRecord):
    """The case ended: ``action`` is ``completed`` or ``cancelled``."""


@dataclass(frozen=True, kw_only=True)
class IncidentRetryRecord(AuditRecord):
    incident_id: Any = None


@dataclass(frozen=True, kw_only=True)
class ErasureRecord(AuditRecord):
    erased: int | None = None


@functools.cache
def _own_fields(cls: type[AuditRecord]) -> tuple[str, ...]:
    base = {f.name for f in fields(AuditRecord)}
    return tuple(f.name for f in fields(cls) if f.name not in base)


RECORD_TYPES: Mapping[str, type[AuditRecord]] = {
    "start": StartRecord, "complete": CompleteRecord, "message": MessageRecord, "cancel": CancelRecord,
    "timer": CommandRecord, "service": CommandRecord, "deliver": CommandRecord, "claim": ClaimRecord,
    "decision": DecisionRecord, "service_call": ServiceCallRecord, "completed": EndRecord, "cancelled": EndRecord,
    "region_narrowed": RegionNarrowedRecord,
    "incident_retry": IncidentRetryRecord, "erase_personal": ErasureRecord,
}


def parse_record(body: Mapping[str, Any], at: datetime | None = None) -> AuditRecord:
    """The typed record of an event body (as ``event_body`` returns it, and kept as the record's
    ``body``); unknown actions stay generic. ``at``: the event's indexed time, else the body's."""
    action = str(body.get("action") or "")
    cls = RECORD_TYPES.get(action, AuditRecord)
    actor = _mapping(body.get("actor"))
    extra = {name: body[name] for name in _own_fields(cls) if name in body}
    for name in ("data", "variables"):
        if name in extra and type(extra[name]) is not dict:
            extra[name] = dict(_mapping(extra[name]))
    if "removed" in extra:
        removed = extra["removed"]
        extra["removed"] = tuple(str(n) for n in removed) if isinstance(removed, list) else None
    when = at if at is not None else datetime.fromisoformat(str(body["at"]))
    return cls(instance_id=str(body.get("instance_id") or body.get("chain") or ""), seq=int(body.get("seq") or 0),
               action=action, actor_id=str(actor.get("id") or ""), actor_name=str(actor.get("name") or ""),
               at=utc(when), process_key=body.get("process_key"), element_id=body.get("element_id"),
               task_id=body.get("task_id"), body=body, **extra)
