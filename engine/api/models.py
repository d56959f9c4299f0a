"""The one table the HTTP layer owns: remembered responses for ``Idempotency-Key``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..store.models import Base

__all__ = ["IdempotencyRecord"]


class IdempotencyRecord(Base):
    """A request seen with an idempotency key, scoped by actor.

    The row is inserted *before* the command runs (``status = "pending"``); the
    primary key makes a second, concurrent request with the same key fail the
    insert instead of running the command twice.
    """

    __tablename__ = "gz_idempotency_key"
    __table_args__ = (Index("ix_gz_idempotency_created", "created_at"),)
    actor_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    operation: Mapped[str] = mapped_column(String(64))  # e.g. "POST /process-instances"
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # pending | done
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
