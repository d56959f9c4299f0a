"""Messages from outside: deliver to the waiting instance, or buffer until one waits.

A message names the instance by business key (or instance id). If no instance
waits for it yet, it is kept for a time-to-live and delivered the moment an
instance with that key reaches the catch event — inside that instance's own
command, so nothing is lost between the two. A ``message_id`` makes sending
idempotent: the same id is accepted once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn.util.event import BpmnEvent

from ..status import MessageStatus
from ..clock import utc
from ..spiff.message_events import Message as MessageDefinition
from ..store.models import Instance, Message

MESSAGES = Message.__table__

__all__ = ["MessageReceipt", "catch", "find_buffered", "receipt_of", "SYSTEM_PREFIX"]

SYSTEM_PREFIX = "gz:"  # message ids the engine makes itself (replies to parents); refused from callers


@dataclass(frozen=True)
class MessageReceipt:
    """What happened to a sent message: ``delivered`` to an instance, or ``buffered`` until ``expires_at``."""

    status: str
    message_id: str | None
    instance_id: str | None
    expires_at: datetime | None = None
    instance: Any = None  # the InstanceView after delivery

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status, "message_id": self.message_id, "instance_id": self.instance_id,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "instance": self.instance.as_dict() if self.instance is not None else None,
        }


def catch(workflow: Any, name: str, variables: dict[str, Any]) -> None:
    workflow.catch(BpmnEvent(MessageDefinition(name), payload=variables))


def find_buffered(session: Session, row: Instance, waiting: dict[str, str | None], now: datetime,
                  exclude: set[int], lock: bool = False) -> Message | None:
    """The oldest unexpired buffered message for this instance among the ``waiting`` names
    (name -> the instance's correlation key for it), skipping ids in ``exclude``. Nothing is
    marked: the command that delivers it claims it when it persists."""
    targets = [Message.instance_id == row.id]
    if row.business_key:
        targets.append(Message.business_key == row.business_key)
    for name, correlation in waiting.items():
        if correlation:
            targets.append(and_(Message.name == name, Message.correlation == correlation))
    query = (select(Message)
             .where(Message.status == MessageStatus.BUFFERED, Message.name.in_(sorted(waiting)), Message.expires_at > now,
                    or_(*targets))
             .order_by(Message.created_at, Message.id)
             .limit(1))
    if exclude:
        query = query.where(Message.id.not_in(sorted(exclude)))
    return session.scalar(query.with_for_update() if lock else query)


def kept_for(conn: Any, row: Any, waiting: dict[str, str | None], now: datetime) -> bool:
    """Is a message kept for this instance among the ``waiting`` names? (``find_buffered`` on a connection.)"""
    targets = [MESSAGES.c.instance_id == row.id]
    if row.business_key:
        targets.append(MESSAGES.c.business_key == row.business_key)
    for name, correlation in waiting.items():
        if correlation:
            targets.append(and_(MESSAGES.c.name == name, MESSAGES.c.correlation == correlation))
    query = select(MESSAGES.c.id).where(MESSAGES.c.status == MessageStatus.BUFFERED, MESSAGES.c.name.in_(sorted(waiting)),
                                        MESSAGES.c.expires_at > now, or_(*targets)).limit(1)
    return conn.execute(query).first() is not None


def receipt_of(message: Message) -> MessageReceipt:
    return MessageReceipt(message.status, message.message_id, message.instance_id, utc(message.expires_at))
