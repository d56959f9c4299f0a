"""Read-side queries: work lists, instance lists, task detail and history, always region-scoped."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session
from SpiffWorkflow.util.task import TaskState

from ..clock import utc
from ..definitions.model import ProcessBundle
from ..errors import Conflict, InvalidInput, NotFound, UnknownTask
from ..identity import Actor
from ..limits import limits_of
from ..sandbox.templates import render_instructions
from ..store.models import AuditEvent, DefinitionVersion, Instance, MessageSubscription, TaskCandidate, TaskRow
from .views import InstanceView, Page, TaskView

__all__ = ["variables", "changed", "visible_task", "task_view", "task_detail", "tasks", "instances",
           "instance_view", "subscriber", "history"]

MAX_PER_PAGE = 200


def variables(workflow: Any) -> dict[str, Any]:
    """The instance's variables.

    A finished instance has its final data. A running one has data on every
    task it waits at (parallel branches each carry their own copy): merge the
    top-level ones, older changes first, so the latest value of each name wins.
    """
    if workflow.is_completed():
        return dict(workflow.data)
    merged: dict[str, Any] = {}
    if workflow.last_task is not None:
        merged.update(workflow.last_task.data)
    waiting = workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED)
    for task in sorted(waiting, key=lambda t: t.last_state_change):
        merged.update(task.data)
    return merged


def changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What a command changed: new or changed names with their values, removed ones as None.

    Nested objects are compared key by key, so a large record that gained one
    field is logged as that field alone, not repeated whole in every event.
    """
    diff: dict[str, Any] = {}
    for key, value in after.items():
        old = before.get(key, _MISSING)
        if old == value:
            continue
        diff[key] = changed(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    diff.update({k: None for k in before if k not in after})
    return diff


_MISSING = object()


def in_region(column: Any, actor: Actor) -> Any:
    if not actor.region:
        return True
    return or_(column == actor.region, column.like(actor.region + "/%"))


def plain_id(value: Any) -> bool:
    """A string that can be looked up in any database (ids are short; NUL is refused by PostgreSQL)."""
    return isinstance(value, str) and 0 < len(value) <= 128 and "\x00" not in value


def visible_task(session: Session, task_id: str, actor: Actor) -> TaskRow:
    row = session.get(TaskRow, task_id) if plain_id(task_id) else None
    if row is None or not actor.can_see(row.region):
        raise UnknownTask(str(task_id))
    return row


def task_view(row: TaskRow) -> TaskView:
    return TaskView(
        id=row.id, instance_id=row.instance_id, process_key=row.process_key, element_id=row.element_id,
        name=row.name, status=row.status, region=row.region, candidate_groups=list(row.candidate_groups),
        assignee=row.assignee, created_at=utc(row.created_at), due_at=_utc(row.due_at),
        completed_at=_utc(row.completed_at), completed_by=row.completed_by,
    )


def _utc(value: datetime | None) -> datetime | None:
    return utc(value) if value else None


def task_detail(row: TaskRow, bundle: ProcessBundle, workflow: Any) -> TaskView:
    from dataclasses import replace
    from uuid import UUID

    view = task_view(row)
    task = workflow.get_task_from_id(UUID(row.id)) if row.status == "open" else None
    if task is None:
        return view
    meta = bundle.meta(task.workflow.spec.name, task.task_spec.bpmn_id)
    instructions = None
    if meta is not None and meta.instructions:  # never raises: a failing template shows a short note
        instructions = render_instructions(meta.instructions, task.data, limits_of(workflow))
    return replace(view, form=meta.form if meta else None, instructions=instructions, data=dict(task.data))


def _page(page: int, per_page: int) -> tuple[int, int]:
    if not isinstance(page, int) or not isinstance(per_page, int) or page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(f"分页参数无效：page ≥ 1，1 ≤ per_page ≤ {MAX_PER_PAGE}",
                           errors=[{"field": "page", "message": "invalid"}])
    return page, per_page


def _run_page(session: Session, query: Select, page: int, per_page: int) -> tuple[list[Any], int]:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return list(rows), total


def tasks(session: Session, actor: Actor, now: datetime, *, mine: bool = False, candidate_group: str | None = None,
          process_key: str | None = None, instance_id: str | None = None, overdue: bool | None = None,
          status: str = "open", page: int = 1, per_page: int = 20) -> Page[TaskView]:
    page, per_page = _page(page, per_page)
    if candidate_group and not actor.is_admin and candidate_group not in actor.groups:
        return Page([], 0, page, per_page)
    if candidate_group and status == "open" and not (mine or process_key or instance_id or overdue is not None):
        return _group_list(session, actor, candidate_group, page, per_page)
    query = select(TaskRow).where(TaskRow.status == status, in_region(TaskRow.region, actor))
    if candidate_group:
        query = query.where(TaskRow.id.in_(
            select(TaskCandidate.task_id).where(TaskCandidate.group_name == candidate_group,
                                                in_region(TaskCandidate.region, actor))))
    elif not actor.is_admin and not mine:
        query = query.where(or_(
            TaskRow.assignee == actor.id,
            TaskRow.id.in_(select(TaskCandidate.task_id).where(TaskCandidate.group_name.in_(sorted(actor.groups)),
                                                               in_region(TaskCandidate.region, actor))),
        ))
    if mine:
        query = query.where(TaskRow.assignee == actor.id)
    if process_key:
        query = query.where(TaskRow.process_key == process_key)
    if instance_id:
        query = query.where(TaskRow.instance_id == instance_id)
    if overdue is True:
        query = query.where(TaskRow.due_at.is_not(None), TaskRow.due_at < now)
    elif overdue is False:
        query = query.where(or_(TaskRow.due_at.is_(None), TaskRow.due_at >= now))
    rows, total = _run_page(session, query.order_by(TaskRow.created_at, TaskRow.id), page, per_page)
    return Page([task_view(r) for r in rows], total, page, per_page)


def _group_list(session: Session, actor: Actor, group: str, page: int, per_page: int) -> Page[TaskView]:
    """A group's open work, counted and paged on the candidate index alone (rows exist only while open)."""
    where = (TaskCandidate.group_name == group, in_region(TaskCandidate.region, actor))
    total = session.scalar(select(func.count()).select_from(TaskCandidate).where(*where)) or 0
    ids = session.scalars(select(TaskCandidate.task_id).where(*where)
                          .order_by(TaskCandidate.created_at, TaskCandidate.task_id)
                          .limit(per_page).offset((page - 1) * per_page)).all()
    rows = {r.id: r for r in session.scalars(select(TaskRow).where(TaskRow.id.in_(ids)))} if ids else {}
    return Page([task_view(rows[i]) for i in ids if i in rows], total, page, per_page)


def instances(session: Session, actor: Actor, *, process_key: str | None = None, status: str | None = None,
              business_key: str | None = None, page: int = 1, per_page: int = 20) -> Page[InstanceView]:
    page, per_page = _page(page, per_page)
    query = select(Instance).where(in_region(Instance.region, actor))
    if process_key:
        query = query.where(Instance.process_key == process_key)
    if status:
        query = query.where(Instance.status == status)
    if business_key:
        query = query.where(Instance.business_key == business_key)
    rows, total = _run_page(session, query.order_by(Instance.created_at.desc(), Instance.id), page, per_page)
    versions = dict(session.execute(
        select(DefinitionVersion.id, DefinitionVersion.version).where(DefinitionVersion.id.in_({r.version_id for r in rows}))
    ).all())
    return Page([_instance(r, versions.get(r.version_id, 0)) for r in rows], total, page, per_page)


def _instance(row: Instance, version: int, variables: dict | None = None, open_tasks: list | None = None) -> InstanceView:
    return InstanceView(
        id=row.id, process_key=row.process_key, version=version, status=row.status, business_key=row.business_key,
        region=row.region, started_by=row.started_by, created_at=utc(row.created_at), updated_at=utc(row.updated_at),
        variables=variables or {}, open_tasks=open_tasks or [],
    )


def instance_view(session: Session, row: Instance, version: int, variables: dict[str, Any]) -> InstanceView:
    open_rows = session.scalars(
        select(TaskRow).where(TaskRow.instance_id == row.id, TaskRow.status == "open").order_by(TaskRow.created_at)
    ).all()
    return _instance(row, version, variables, [task_view(r) for r in open_rows])


def subscriber(session: Session, message_name: str, actor: Actor, business_key: str | None, instance_id: str | None,
               correlation: str | None = None) -> str:
    """The one instance in the actor's region waiting for ``message_name`` with these keys."""
    query = (select(Instance.id).join(MessageSubscription, MessageSubscription.instance_id == Instance.id)
             .where(MessageSubscription.message_name == message_name, Instance.status == "running",
                    in_region(Instance.region, actor)))
    if business_key:
        query = query.where(Instance.business_key == business_key)
    if instance_id:
        query = query.where(Instance.id == instance_id)
    if correlation:
        query = query.where(MessageSubscription.correlation == correlation)
    found = session.scalars(query.limit(2)).all()
    if not found:
        raise NotFound(f"没有正在等待消息 '{message_name}' 的流程实例", message_name=message_name)
    if len(found) > 1:
        raise Conflict(f"有多个实例在等待消息 '{message_name}'，请指定 business_key、correlation 或 instance_id",
                       message_name=message_name)
    return found[0]


def history(session: Session, instance_id: str) -> list[dict[str, Any]]:
    events = session.scalars(select(AuditEvent).where(AuditEvent.chain == instance_id).order_by(AuditEvent.seq))
    return [{**orjson.loads(e.payload), "hash": e.hash} for e in events]
