"""Running background jobs: timers, asynchronous service tasks and outbox deliveries.

A job runs in its own transaction. Success commits the instance's new state
and the job's ``done`` together, so a job is completed exactly once however
often workers crash or race. A failure rolls all of that back and, in a second
transaction, schedules a retry with exponential backoff — or, when the tries
run out, opens an incident that a person can retry after fixing the cause.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable, Iterable
from uuid import UUID

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session
from SpiffWorkflow.util.task import TaskState

from ..clock import utc
from ..errors import Conflict, DeliveryDeferred, GongzhiError
from ..security.identity import SYSTEM
from ..hooks.objects import Delivery
from ..status import Action, InstanceStatus, JobOutcome, JobStatus, MessageStatus
from ..store.models import IdempotencyRecord, Incident, Instance, Job, Message, MessageSubscription
from .commands import Command, Loader

JOBS = Job.__table__

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine

__all__ = ["acquire", "run_due", "run_job", "next_due", "purge", "deliver_stranded", "open_incidents", "retry_incident", "describe"]

logger = logging.getLogger("gongzhi.worker")


def acquire(engine: "Engine", worker_id: str, limit: int, kinds: tuple[str, ...] | None = None) -> list[int]:
    """Lease up to ``limit`` due jobs to ``worker_id``; other workers skip them until the lease ends."""
    now = engine.clock.now()
    query = (
        select(Job.id)
        .where(Job.status == JobStatus.PENDING, Job.due_at <= now, or_(Job.locked_until.is_(None), Job.locked_until < now))
        .order_by(Job.due_at, Job.id)
        .limit(limit)
    )
    if kinds:
        query = query.where(Job.kind.in_(kinds))
    if engine.db.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    with engine.db.write() as session:
        ids = list(session.scalars(query))
        if ids:
            lease = now + timedelta(seconds=engine.config.job_lease_seconds)
            session.execute(update(Job).where(Job.id.in_(ids)).values(locked_by=worker_id, locked_until=lease))
    return ids


def purge(engine: "Engine") -> int:
    """Forget what is only kept for a while: expired early messages and old idempotency answers."""
    now = engine.clock.now()
    with engine.db.write() as session:
        keys = session.execute(delete(IdempotencyRecord).where(
            IdempotencyRecord.created_at < now - timedelta(seconds=engine.config.idempotency_ttl_seconds)))
        messages = session.execute(update(Message).where(Message.status == MessageStatus.BUFFERED, Message.expires_at <= now)
                                   .values(status=MessageStatus.EXPIRED))
    return keys.rowcount + messages.rowcount


def deliver_stranded(engine: "Engine", limit: int = 100) -> int:
    """Kept messages whose instance already waits for them: a message sent just as its instance
    reached the catch event, on a database where neither transaction saw the other's row. Each
    such instance runs a command that offers it its kept messages; returns how many instances."""
    now = engine.clock.now()
    with engine.db.read() as session:
        waiting = session.scalars(
            select(Instance.id).distinct()
            .join(MessageSubscription, MessageSubscription.instance_id == Instance.id)
            .join(Message, Message.name == MessageSubscription.message_name)
            .where(Message.status == MessageStatus.BUFFERED, Message.expires_at > now, Instance.status == InstanceStatus.RUNNING,
                   or_(Message.instance_id == Instance.id,
                       and_(Message.business_key.is_not(None), Message.business_key == Instance.business_key),
                       and_(Message.correlation.is_not(None), Message.correlation == MessageSubscription.correlation)))
            .limit(limit)).all()
    for instance_id in waiting:
        try:
            engine.runner.run(Command(Action.DELIVER, SYSTEM, lambda loader, i=instance_id: loader.case(i),
                                      lambda case: None, kept_messages=True))
        except GongzhiError:
            logger.warning("could not deliver kept messages to %s", instance_id, exc_info=True)
    return len(waiting)


def next_due(engine: "Engine") -> datetime | None:
    """When this worker could next find work: the earliest due job nobody holds, or the earliest
    lease to run out (a job another worker holds is not ours to wait for before that)."""
    now = engine.clock.now()
    pending = Job.status == JobStatus.PENDING
    with engine.db.read() as session:
        free = session.scalar(select(Job.due_at).where(pending, or_(Job.locked_until.is_(None), Job.locked_until < now))
                              .order_by(Job.due_at).limit(1))
        held = session.scalar(select(Job.locked_until).where(pending, Job.locked_until >= now)
                              .order_by(Job.locked_until).limit(1))
    moments = [utc(m) for m in (free, held) if m is not None]
    return min(moments) if moments else None


def run_due(engine: "Engine", worker_id: str, *, kinds: tuple[str, ...] | None = None, batch: int = 100,
            map_jobs: Callable[..., Iterable[JobOutcome]] = map, stop: Callable[[], bool] = lambda: False,
            tally: dict[str, int] | None = None) -> int:
    """Lease and run due jobs until none is left (or ``stop()``); returns how many ran (``JobOutcome.ran``).

    The one job loop: ``Engine.run_due_jobs`` runs it in the caller's thread, the
    worker passes its thread pool's ``map``. ``tally`` counts every outcome.
    """
    ran = 0
    while not stop():
        leased = acquire(engine, worker_id, batch, kinds)
        if not leased:
            break
        for outcome in map_jobs(lambda job_id: run_job(engine, job_id, worker_id), leased):
            if tally is not None:
                tally[outcome.value] = tally.get(outcome.value, 0) + 1
            ran += outcome.ran
    return ran


def run_job(engine: "Engine", job_id: int, worker_id: str) -> JobOutcome:
    """Run one leased job; returns what happened (a ``JobOutcome``).

    Calls to the outside world (service handlers, channel deliveries, replies to
    other instances) happen before the job's transaction, never inside it: no
    database lock is held while a gateway is slow, and the commit that follows
    records the result exactly once.
    """
    try:
        prepared = _prepare(engine, job_id, worker_id)
        if prepared is _SKIP:
            return JobOutcome.SKIPPED
        kind = prepared[0]
        if kind in ("timer", "service"):
            return _advance_instance(engine, job_id, worker_id, *prepared)
        with engine.db.transaction() as conn:  # deliveries and replies happened in ``_prepare``; this records it
            done = conn.execute(update(JOBS).where(JOBS.c.id == job_id, JOBS.c.status == JobStatus.PENDING,
                                                   JOBS.c.locked_by == worker_id)
                                .values(status=JobStatus.DONE, locked_by=None, locked_until=None))
            if done.rowcount != 1:
                raise _Skip()
            return JobOutcome.DONE
    except _Skip:
        return JobOutcome.SKIPPED  # finished by someone else, or our lease was taken over
    except Conflict:
        # The instance moved under us (a person completed a task at the same moment): try again soon.
        _release(engine, job_id, worker_id)
        return JobOutcome.SKIPPED
    except DeliveryDeferred as deferred:
        return _defer(engine, job_id, worker_id, deferred)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, none is lost
        if not isinstance(exc, GongzhiError):
            logger.exception("job %s failed", job_id)
        return _record_failure(engine, job_id, worker_id, exc)


_SKIP = object()


class _Skip(Exception):
    """The job is not ours to finish any more."""


class _Drop(Exception):
    """The job's instance moved on: there is nothing for the job to do."""


def _prepare(engine: "Engine", job_id: int, worker_id: str) -> Any:
    """Make the job's outside call before its transaction; returns (kind, instance id, task id, result)."""
    with engine.db.read() as session:
        job = session.get(Job, job_id)
        if job is None or job.status != JobStatus.PENDING or job.locked_by != worker_id:
            return _SKIP
        kind, payload, instance_id, attempts, task_id = job.kind, dict(job.payload), job.instance_id, job.attempts, job.task_id
        if kind == "service":
            task = _started(engine.runner.case(session, instance_id), task_id)
            if task is None:
                return kind, instance_id, task_id, None  # the job's transaction drops it
            spec = task.task_spec
            params, data = spec.prepare(task), dict(task.data)
    if kind == "service":
        result = engine.script_engine.call_operator(spec.operation_name, params, instance_id, spec.bpmn_id, data,
                                                    spec.bpmn_name, task_id)
        return kind, instance_id, task_id, result
    if kind == "delivery":
        channel = engine.channels.get(payload["channel"])
        if channel is None:
            raise GongzhiError(f"outbox channel '{payload['channel']}' is not registered any more")
        channel.deliver(Delivery(payload["event_id"], channel.name, payload["event"], attempts + 1))
    elif kind == "message":
        engine.send_message(payload["name"], SYSTEM, payload["variables"], instance_id=payload["instance_id"],
                            message_id=payload["message_id"])
    return kind, instance_id, task_id, None


def _started(case: Any, task_id: str | None) -> Any:
    task = case.workflow.get_task_from_id(UUID(task_id)) if task_id and case.row.status == InstanceStatus.RUNNING else None
    return task if task is not None and task.state == TaskState.STARTED else None


def _advance_instance(engine: "Engine", job_id: int, worker_id: str, kind: str, instance_id: str, task_id: str,
                      result: Any) -> JobOutcome:
    """A timer fires or a service task finishes: the instance moves, and the job's outcome commits
    in the same transaction."""
    found: dict[str, Any] = {}

    def load(loader: Loader) -> Any:
        job = loader.session.get(Job, job_id)
        if job is None or job.status != JobStatus.PENDING or job.locked_by != worker_id:
            raise _Skip()
        case = loader.case(instance_id)
        task = case.workflow.get_task_from_id(UUID(task_id)) if task_id and case.row.status == InstanceStatus.RUNNING else None
        expected = TaskState.WAITING if kind == "timer" else TaskState.STARTED
        if task is None or task.state != expected:
            raise _Drop()  # the instance moved on: never fire a stale timer or finish a withdrawn task
        found["task"] = task
        loader.element_id = job.element_id
        return case

    def act(case: Any) -> dict[str, Any]:
        task = found["task"]
        if kind == "timer":
            case.workflow.refresh_timers()
        else:
            task.task_spec.finish(task, result)
        return {}

    def own(conn: Any, case: Any) -> None:
        if not conn.execute(select(JOBS.c.id).where(JOBS.c.id == job_id, JOBS.c.status == JobStatus.PENDING,
                                                    JOBS.c.locked_by == worker_id).with_for_update()).first():
            raise _Skip()

    def finish(conn: Any, case: Any) -> JobOutcome:
        # A cycle timer still waits: the same job now carries its next due time.
        status = JobStatus.PENDING if kind == "timer" and found["task"].state == TaskState.WAITING else JobStatus.DONE
        conn.execute(update(JOBS).where(JOBS.c.id == job_id).values(status=status, locked_by=None, locked_until=None))
        return JobOutcome.RESCHEDULED if status == JobStatus.PENDING else JobOutcome.DONE

    try:
        return engine.runner.run(Command(kind, SYSTEM, load, act, task_id=task_id, before_persist=own, answer=finish))
    except _Drop:
        with engine.db.transaction() as conn:
            own(conn, None)
            conn.execute(update(JOBS).where(JOBS.c.id == job_id).values(status=JobStatus.DROPPED, locked_by=None,
                                                                           locked_until=None))
        return JobOutcome.DROPPED


def _release(engine: "Engine", job_id: int, worker_id: str) -> None:
    with engine.db.write() as session:
        session.execute(update(Job).where(Job.id == job_id, Job.locked_by == worker_id)
                        .values(locked_by=None, locked_until=None))


def _defer(engine: "Engine", job_id: int, worker_id: str, deferred: DeliveryDeferred) -> JobOutcome:
    """A channel asked for a later time (quiet hours): due exactly then, no attempt counted."""
    with engine.db.write() as session:
        job = session.get(Job, job_id, with_for_update=True)
        if job is None or job.locked_by != worker_id:
            return JobOutcome.SKIPPED
        job.due_at = max(deferred.until, engine.clock.now())
        job.last_error = f"暂缓发送：{deferred}"[:4000]  # an operator reads it on the jobs page
        job.locked_by, job.locked_until = None, None
    return JobOutcome.RETRY


def _record_failure(engine: "Engine", job_id: int, worker_id: str, exc: Exception) -> JobOutcome:
    now = engine.clock.now()
    with engine.db.write() as session:
        job = session.get(Job, job_id, with_for_update=True)
        if job is None or job.locked_by != worker_id:
            return JobOutcome.SKIPPED
        job.attempts += 1
        job.last_error = f"{type(exc).__name__}: {exc}"[:4000]
        job.locked_by, job.locked_until = None, None
        if job.attempts < engine.config.job_max_attempts:
            job.due_at = now + timedelta(seconds=engine.config.job_backoff_seconds * 2 ** (job.attempts - 1))
            return JobOutcome.RETRY
        job.status = JobStatus.FAILED
        region = session.scalar(select(Instance.region).where(Instance.id == job.instance_id)) if job.instance_id else ""
        session.add(Incident(job_id=job.id, kind=job.kind, instance_id=job.instance_id, element_id=job.element_id,
                             region=region or "", error=job.last_error, created_at=now))
        return JobOutcome.INCIDENT


def open_incidents(session: Session, region_filter: Any) -> list[Incident]:
    return list(session.scalars(select(Incident).where(Incident.resolved_at.is_(None), region_filter)
                                .order_by(Incident.created_at, Incident.id)))


def retry_incident(session: Session, incident: Incident, actor_id: str, now: datetime) -> None:
    """Put the failed job back in the queue with a fresh set of tries."""
    job = session.get(Job, incident.job_id, with_for_update=True)
    job.status, job.attempts, job.due_at = JobStatus.PENDING, 0, now
    job.locked_by, job.locked_until = None, None
    incident.resolved_at, incident.resolved_by = now, actor_id


def describe(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id, "kind": incident.kind, "instance_id": incident.instance_id,
        "element_id": incident.element_id, "region": incident.region, "error": incident.error,
        "created_at": utc(incident.created_at).isoformat(),
        "resolved_at": utc(incident.resolved_at).isoformat() if incident.resolved_at else None,
        "resolved_by": incident.resolved_by,
    }
