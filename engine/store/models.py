"""Database tables. The schema itself is created by Alembic migrations, never ``create_all``.

Instance state is stored without the process spec (the spec is referenced by
version); open tasks, timers, jobs, message subscriptions and audit events are
indexed rows so work lists never scan serialized state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Base",
    "DefinitionFile",
    "DefinitionVersion",
    "Instance",
    "TaskRow",
    "TaskCandidate",
    "Job",
    "MessageSubscription",
    "AuditEvent",
    "AuditHead",
    "AuditCheckpoint",
    "Incident",
    "Message",
    "IdempotencyRecord",
    "StuckCommand",
    "StateDelta",
]


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: DateTime(timezone=True)}


class DefinitionFile(Base):
    """A BPMN, DMN or form file, stored once per content hash."""

    __tablename__ = "gz_definition_file"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(8))  # bpmn | dmn | form
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class DefinitionVersion(Base):
    """An immutable deployed version of a process or a decision, keyed by id + content hash."""

    __tablename__ = "gz_definition_version"
    __table_args__ = (
        UniqueConstraint("kind", "key", "content_hash", name="uq_gz_version_hash"),
        UniqueConstraint("kind", "key", "version", name="uq_gz_version_number"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8))  # process | decision
    key: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    files: Mapped[list[Any]]  # [{"name": relative name, "sha256": ..., "kind": ...}]
    start_form: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    deployed_by: Mapped[str] = mapped_column(String(128))
    # Who may read the process's cases besides their owners and the people holding their tasks
    # (computed at deploy; NULL for versions deployed before 0.2, filled in on first use).
    viewer_groups: Mapped[list[Any] | None]
    # Where a decision version is in force: "" everywhere, or a region path (a street's own table,
    # which wins over the district's for cases in that street). Processes are always "".
    region: Mapped[str] = mapped_column(String(255), default="", server_default="")


class Instance(Base):
    __tablename__ = "gz_instance"
    __table_args__ = (
        Index("ix_gz_instance_key_status", "process_key", "status"),
        Index("ix_gz_instance_region", "region"),
        Index("ix_gz_instance_business_key", "business_key"),
        Index("ix_gz_instance_parent", "parent_id"),
        Index("ix_gz_instance_owner", "owner"),
        Index("ix_gz_instance_created", "created_at", "id"),  # the instance list's order (newest first)
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    process_key: Mapped[str] = mapped_column(String(128))
    version_id: Mapped[int] = mapped_column(ForeignKey("gz_definition_version.id"))
    status: Mapped[str] = mapped_column(String(16))  # running | completed | cancelled
    business_key: Mapped[str | None] = mapped_column(String(128))
    region: Mapped[str] = mapped_column(String(255))
    started_by: Mapped[str] = mapped_column(String(128))
    # The person the case belongs to (a resident who reported it): the token subject of the starter,
    # or the resident an adapter started it for. Residents read only the cases they own.
    owner: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # When retention erased the personal data of this finished case (None: not erased).
    erased_at: Mapped[datetime | None]
    parent_id: Mapped[str | None] = mapped_column(String(36))  # the instance that started this one
    reply_message: Mapped[str | None] = mapped_column(String(128))  # sent to the parent when this one ends
    # The head of this instance's audit chain (see runtime.audit): updated with the state, so the
    # optimistic version check that guards the state guards the chain too.
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_hash: Mapped[str] = mapped_column(String(64))
    # The workflow's state: a compressed base (see runtime.codec) that the rows of gz_state_delta
    # continue; empty once the instance has ended.
    state: Mapped[bytes] = mapped_column(LargeBinary)
    # The instance's variables as of its last command (what reads and reports use without restoring
    # the workflow); NULL for rows written before 0.2 until their next command.
    variables: Mapped[dict[str, Any] | None]
    lock_version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": lock_version}


class TaskRow(Base):
    """A user task, open or finished. Open rows are the work lists."""

    __tablename__ = "gz_task"
    __table_args__ = (
        Index("ix_gz_task_status_region", "status", "region"),
        Index("ix_gz_task_instance", "instance_id"),
        Index("ix_gz_task_assignee", "assignee", "status"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("gz_instance.id"))
    process_key: Mapped[str] = mapped_column(String(128))
    element_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))  # open | completed | cancelled
    region: Mapped[str] = mapped_column(String(255))
    candidate_groups: Mapped[list[Any]]
    assignee: Mapped[str | None] = mapped_column(String(128))
    form: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(128))


class TaskCandidate(Base):
    """One row per (open task, candidate group): the index behind group work lists."""

    __tablename__ = "gz_task_candidate"
    __table_args__ = (
        # Work lists page through this index alone: group, region prefix (pattern ops on PostgreSQL,
        # so LIKE 'a/b/%' can use it), then age.
        Index("ix_gz_candidate_worklist", "group_name", "region", "created_at", "task_id",
              postgresql_ops={"region": "varchar_pattern_ops"}),
    )
    task_id: Mapped[str] = mapped_column(ForeignKey("gz_task.id", ondelete="CASCADE"), primary_key=True)
    group_name: Mapped[str] = mapped_column(String(128), primary_key=True)
    region: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class Job(Base):
    """Work for the background worker: timers, asynchronous service tasks, outbox deliveries.

    A worker leases a due job (``locked_by`` / ``locked_until``) and runs it in
    its own transaction; a crashed worker's lease expires and another takes over.
    """

    __tablename__ = "gz_job"
    __table_args__ = (
        Index("ix_gz_job_due", "status", "due_at"),
        Index("ix_gz_job_instance", "instance_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # timer | service | delivery
    instance_id: Mapped[str | None] = mapped_column(ForeignKey("gz_instance.id"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(128))
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))  # pending | done | dropped | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class MessageSubscription(Base):
    """An instance waiting for a message, so correlation never scans state."""

    __tablename__ = "gz_message_subscription"
    __table_args__ = (
        Index("ix_gz_subscription_name", "message_name"),
        Index("ix_gz_subscription_correlation", "message_name", "correlation"),
    )
    instance_id: Mapped[str] = mapped_column(ForeignKey("gz_instance.id"), primary_key=True)
    message_name: Mapped[str] = mapped_column(String(128), primary_key=True)
    element_id: Mapped[str] = mapped_column(String(128))
    # The values of the message's correlation properties for this instance, as canonical JSON.
    correlation: Mapped[str | None] = mapped_column(String(512))


class AuditEvent(Base):
    """An append-only event. ``payload`` is the exact text that was hashed (see ``runtime.audit``).

    ``hash`` is ``HMAC(key, prev_hash + payload)`` with the key ``key_id`` and ``algorithm``
    (``hmac-sha256``/``hmac-sm3``); both are NULL for events written before 0.2, whose
    hash is ``sha256(prev_hash + payload)``. ``personal`` holds the personal values kept out
    of the payload, ``{digest: value}`` (``null`` once erased).
    """

    __tablename__ = "gz_audit_event"
    __table_args__ = (
        UniqueConstraint("chain", "seq", name="uq_gz_audit_chain_seq"),
        Index("ix_gz_audit_instance", "instance_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int]
    instance_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime]
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str | None] = mapped_column(String(64))
    algorithm: Mapped[str | None] = mapped_column(String(16))
    personal: Mapped[dict[str, Any] | None]


class AuditHead(Base):
    """The last link of each chain that has no instance row (deployments), so a truncated tail is detected."""

    __tablename__ = "gz_audit_head"
    chain: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """A signed checkpoint of the chain heads, as recorded here (the full one is kept outside the database).

    ``body`` is the exact JSON text that was signed (``mac``, with the key and algorithm it names);
    the next checkpoint starts from its ``through_id``.
    """

    __tablename__ = "gz_audit_checkpoint"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    body: Mapped[str] = mapped_column(Text)
    mac: Mapped[str] = mapped_column(String(64))


class Incident(Base):
    """A job that failed after its retries; it waits for a person to fix the cause and retry."""

    __tablename__ = "gz_incident"
    __table_args__ = (Index("ix_gz_incident_open", "resolved_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("gz_job.id"))
    kind: Mapped[str] = mapped_column(String(16))
    instance_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(128))
    region: Mapped[str] = mapped_column(String(255))
    error: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(128))


class Message(Base):
    """A message received from outside: delivered, or buffered until an instance waits for it."""

    __tablename__ = "gz_message"
    __table_args__ = (
        Index("ix_gz_message_waiting", "name", "business_key", "status"),
        UniqueConstraint("message_id", name="uq_gz_message_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str | None] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(128))
    business_key: Mapped[str | None] = mapped_column(String(128))
    correlation: Mapped[str | None] = mapped_column(String(512))
    instance_id: Mapped[str | None] = mapped_column(String(36))
    region: Mapped[str] = mapped_column(String(255))
    # Who sent it ({"id", "name", "groups", "regions", "permissions"}): a buffered message is
    # delivered only if this sender could have sent it at delivery time. NULL before 0.2.
    sender: Mapped[dict[str, Any] | None]
    variables: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16))  # buffered | delivered | expired
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


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


class StuckCommand(Base):
    """A command that ran past its deadline and has not ended, as its process reports it.

    The process refreshes ``reported_at`` while the command is stuck and deletes
    the row when it ends; ``/health`` on any worker reads the fresh rows, so it
    tells the truth whichever worker answers. A row whose process died stops
    being refreshed and goes stale.
    """

    __tablename__ = "gz_stuck_command"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)  # host:pid:sequence
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    command: Mapped[str] = mapped_column(String(64))
    instance_id: Mapped[str | None] = mapped_column(String(36))
    started_at: Mapped[datetime]
    deadline_at: Mapped[datetime]
    reported_at: Mapped[datetime]


class StateDelta(Base):
    """What one command changed in a running instance's state, after the base in ``gz_instance.state``."""

    __tablename__ = "gz_state_delta"
    instance_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)
