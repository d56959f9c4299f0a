"""Reading the job queue for administrators: what is due, held by a worker, waiting or failed, and
whether the background worker keeps up.

The worker keeps no heartbeat row; what it leaves behind is enough to tell: leases it holds
(``locked_by`` / ``locked_until``), the audit events it writes as the system actor when a timer or
service task moves a case on, and — when it is not running — due jobs nobody leases. A job due for
longer than one lease (``job_lease_seconds``) that no worker took means the worker is behind or down.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, false, func, or_, select, true
from sqlalchemy.orm import Session

from ..clock import utc
from ..errors import NotAllowed
from ..security.identity import SYSTEM, Actor
from ..status import Action, JobStatus
from ..store.models import AuditEvent, Instance, Job
from .queries import _page, in_region

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine

__all__ = ["VIEWS", "list_jobs", "instance_timers", "worker_state"]

# due: a worker may take it now; scheduled: due later (a timer waiting); leased: a worker holds it;
# failed: out of retries (an incident is open).
VIEWS = ("due", "scheduled", "leased", "failed")
# The audit actions only the worker writes: a timer fired, an asynchronous service task finished,
# kept messages delivered.
WORKER_ACTIONS = (Action.TIMER, Action.SERVICE, Action.DELIVER)


def _view_filter(view: str, now: datetime) -> Any:
    pending = Job.status == JobStatus.PENDING
    free = or_(Job.locked_until.is_(None), Job.locked_until < now)
    return {
        "due": and_(pending, Job.due_at <= now, free),
        "scheduled": and_(pending, Job.due_at > now, free),
        "leased": and_(pending, Job.locked_until >= now),
        "failed": Job.status == JobStatus.FAILED,
    }[view]


def _view_of(job: Job, now: datetime) -> str:
    if job.status == JobStatus.FAILED:
        return "failed"
    if job.locked_until is not None and utc(job.locked_until) >= now:
        return "leased"
    return "due" if utc(job.due_at) <= now else "scheduled"


def _scope(actor: Actor) -> Any:
    """Jobs of cases in the actor's regions; jobs of no case (outbox deliveries) for whole-tree admins only."""
    return or_(in_region(Instance.region, actor), and_(Job.instance_id.is_(None), true() if actor.whole_tree else false()))


def _admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise NotAllowed("只有管理员可以查看后台作业", permission="admin")


def _element_name(engine: "Engine", session: Session, version_id: int | None, element_id: str | None) -> str | None:
    """The element's name in its process version (the worker's jobs name elements by id only)."""
    if version_id is None or not element_id:
        return None
    bundle = engine.repository.bundle(session, version_id)
    for spec in (bundle.spec, *bundle.subprocess_specs.values()):
        task_spec = spec.task_specs.get(element_id)
        if task_spec is not None:
            return task_spec.bpmn_name or None
    return None


def _describe(engine: "Engine", session: Session, job: Job, instance: Instance | None, now: datetime) -> dict[str, Any]:
    return {
        "id": job.id, "kind": job.kind, "status": _view_of(job, now),
        "instance_id": job.instance_id, "process_key": instance.process_key if instance else None,
        "business_key": instance.business_key if instance else None, "region": instance.region if instance else "",
        "element_id": job.element_id,
        "element_name": _element_name(engine, session, instance.version_id if instance else None, job.element_id),
        "due_at": utc(job.due_at).isoformat(), "attempts": job.attempts, "locked_by": job.locked_by,
        "locked_until": utc(job.locked_until).isoformat() if job.locked_until else None,
        "last_error": job.last_error, "created_at": utc(job.created_at).isoformat(),
    }


def list_jobs(engine: "Engine", actor: Actor, *, status: str | None = None, instance_id: str | None = None,
              kind: str | None = None, page: int = 1, per_page: int = 20) -> dict[str, Any]:
    """Open jobs (due, scheduled, leased, failed — never done or dropped) in the actor's regions,
    soonest due first; admins only (an error may quote a case's data)."""
    _admin(actor)
    page, per_page = _page(page, per_page)
    now = engine.clock.now()
    views = (status,) if status else VIEWS
    query = (select(Job, Instance).outerjoin(Instance, Instance.id == Job.instance_id)
             .where(or_(*(_view_filter(v, now) for v in views)), _scope(actor)))
    if instance_id:
        query = query.where(Job.instance_id == instance_id)
    if kind:
        query = query.where(Job.kind == kind)
    with engine.db.read() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.execute(query.order_by(Job.due_at, Job.id).limit(per_page).offset((page - 1) * per_page)).all()
        items = [_describe(engine, session, job, instance, now) for job, instance in rows]
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def instance_timers(engine: "Engine", actor: Actor, instance_id: str) -> dict[str, Any]:
    """The waiting timers of one case, for anyone who may read the case (not only admins): where each
    waits and when it fires. Nothing of the worker's (leases, errors) is shown, so no admin check."""
    now = engine.clock.now()
    query = (select(Job).where(Job.instance_id == instance_id, Job.kind == "timer", Job.status == JobStatus.PENDING)
             .order_by(Job.due_at, Job.id))
    with engine.db.read() as session:
        case = engine.runner.case(session, instance_id, actor, workflow=False)  # UnknownInstance unless readable
        items = [{"element_id": job.element_id, "status": _view_of(job, now), "due_at": utc(job.due_at).isoformat(),
                  "element_name": _element_name(engine, session, case.row.version_id, job.element_id)}
                 for job in session.scalars(query)]
    return {"instance_id": instance_id, "items": items}


def worker_state(engine: "Engine", actor: Actor) -> dict[str, Any]:
    """Whether the background worker keeps up: ``working`` (it holds leases), ``idle`` (nothing overdue)
    or ``behind`` (jobs due for longer than a lease that no worker took: the worker is down or swamped)."""
    _admin(actor)
    now = engine.clock.now()
    late = now - timedelta(seconds=engine.config.job_lease_seconds)
    scoped = select(Job.id).outerjoin(Instance, Instance.id == Job.instance_id).where(_scope(actor))
    with engine.db.read() as session:
        def count(*where: Any) -> int:
            return session.scalar(select(func.count()).select_from(scoped.where(*where).subquery())) or 0

        counts = {view: count(_view_filter(view, now)) for view in VIEWS}
        overdue = count(_view_filter("due", now), Job.due_at < late)
        workers = sorted(session.scalars(select(Job.locked_by).distinct()
                                         .where(Job.status == JobStatus.PENDING, Job.locked_until >= now)))
        last = session.scalar(select(func.max(AuditEvent.at)).where(AuditEvent.actor_id == SYSTEM.id,
                                                                     AuditEvent.action.in_(WORKER_ACTIONS)))
        oldest = session.scalar(select(func.min(Job.due_at)).outerjoin(Instance, Instance.id == Job.instance_id)
                                .where(_scope(actor), _view_filter("due", now)))
    state = "behind" if overdue else "working" if workers else "idle"
    return {"state": state, "counts": counts, "overdue": overdue, "workers": workers,
            "last_activity_at": utc(last).isoformat() if last else None,
            "oldest_due_at": utc(oldest).isoformat() if oldest else None,
            "lease_seconds": engine.config.job_lease_seconds, "checked_at": utc(now).isoformat()}
