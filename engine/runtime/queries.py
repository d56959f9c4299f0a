"""Read-side queries: work lists, instance lists, task detail and history, always region-scoped."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Callable, Mapping
from uuid import UUID

from sqlalchemy import Select, false, func, or_, select, true
from sqlalchemy.orm import Session, load_only
from SpiffWorkflow.util.task import TaskState

from ..status import InstanceStatus, TaskStatus
from ..clock import utc
from ..definitions.model import ProcessBundle
from ..checks import plain_id
from ..errors import Conflict, InvalidInput, NotFound, UnknownTask
from ..security.identity import Actor
from ..limits import limits_of
from ..security.masking import Masker
from ..sandbox.templates import render_instructions
from ..store.models import AuditEvent, DefinitionVersion, Instance, MessageSubscription, TaskCandidate, TaskRow
from . import audit
from ..spiff.snapshot import snapshot
from .forms import bind_form
from .views import InstanceView, Page, TaskView

__all__ = ["variables", "Changes", "changes", "visible_task", "task_view", "task_detail", "tasks", "instances",
           "instance_view", "subscriber", "history"]

MAX_PER_PAGE = 200


def variables(workflow: Any, waits: Any = None) -> dict[str, Any]:
    """The instance's variables.

    A finished instance has its final data. A running one has data on every
    task it waits at (parallel branches each carry their own copy): merge the
    top-level ones, older changes first, so the latest value of each name wins.
    ``waits``, the instance's ``snapshot``, saves walking the task tree again.
    """
    if waits is None:
        waits = snapshot(workflow)
    if waits.completed:
        return dict(workflow.data)
    merged: dict[str, Any] = {}
    if workflow.last_task is not None:
        merged.update(workflow.last_task.data)
    for task in sorted(waits.live, key=lambda t: t.last_state_change):
        merged.update(task.data)
    return merged


@dataclass(frozen=True)
class Changes:
    """What a command changed in the variables, as the audit trail keeps it."""

    changed: dict[str, Any]  # new or replaced values; nested records key by key (a removed inner key: None)
    appended: dict[str, Any]  # lists that only grew at their end: the new items (nested like ``changed``)
    removed: list[str]  # names no longer there

    def details(self) -> dict[str, Any]:
        return {"changed": self.changed or None, "appended": self.appended or None, "removed": self.removed or None}


def changes(before: dict[str, Any], after: dict[str, Any], given: dict[str, Any] | None = None) -> Changes:
    """The difference between two sets of variables, small enough to keep for every command.

    A large record that gained one field is logged as that field alone, a list
    that grew as its new items; names whose new value is the one ``given`` (the
    submitted form data, which the event keeps anyway) are left out.
    """
    changed, appended = _diff(before, after, given or {})
    return Changes(changed, appended, [k for k in before if k not in after])


def _diff(before: dict[str, Any], after: dict[str, Any], given: dict[str, Any]) -> tuple[dict, dict]:
    changed: dict[str, Any] = {}
    appended: dict[str, Any] = {}
    for key, value in after.items():
        old = before.get(key, _MISSING)
        if old == value or (key in given and given[key] == value):
            continue
        if isinstance(old, dict) and isinstance(value, dict):
            inner, grew = _diff(old, value, {})
            inner.update({k: None for k in old if k not in value})
            if inner:
                changed[key] = inner
            if grew:
                appended[key] = grew
        elif isinstance(old, list) and isinstance(value, list) and len(value) > len(old) and value[:len(old)] == old:
            appended[key] = value[len(old):]
        else:
            changed[key] = value
    return changed, appended


_MISSING = object()


def in_region(column: Any, actor: Actor) -> Any:
    """Rows whose region lies in one of the actor's subtrees (prefix match, wildcards escaped)."""
    regions = actor.scoped_regions
    if "" in regions:
        return true()
    if not regions:
        return false()
    return or_(*(or_(column == r, column.startswith(r + "/", autoescape=True)) for r in regions))


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


def task_detail(row: TaskRow, bundle: ProcessBundle, workflow: Any, masking: Callable[[Any], Masker | None],
                serve: Callable[[Any, Mapping[str, Any]], Any] | None = None) -> TaskView:
    """The task with its form, data and rendered instructions, as ``masking(meta)`` lets the
    reader see them (None: unmasked). The template is rendered on the data the reader may see."""
    view = task_view(row)
    task = workflow.get_task_from_id(UUID(row.id)) if row.status == TaskStatus.OPEN else None
    if task is None:
        return view
    meta = bundle.meta(task.workflow.spec.name, task.task_spec.bpmn_id)
    masker = masking(meta)
    data = dict(task.data) if masker is None else masker.data(task.data)
    instructions = None
    if meta is not None and meta.instructions:  # never raises: a failing template shows a short note
        instructions = render_instructions(meta.instructions, data, limits_of(workflow))
        if masker is not None:
            instructions = masker.text(instructions)
    serve = serve or bind_form  # the engine's: x-bind limits from the case, x-options lists from their source
    form = serve(meta.form, task.data) if meta and meta.form is not None else None
    return replace(view, form=form, instructions=instructions, data=data)


def masked_instance(view: InstanceView, masker: Masker) -> InstanceView:
    return replace(view, variables=masker.data(view.variables) or {})


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
          status: str = TaskStatus.OPEN, page: int = 1, per_page: int = 20,
          resident_groups: frozenset[str] = frozenset()) -> Page[TaskView]:
    """A work list. A task offered to a resident group is listed for the owner of its case only."""
    page, per_page = _page(page, per_page)
    if candidate_group and not actor.is_admin and candidate_group not in actor.groups:
        return Page([], 0, page, per_page)
    if candidate_group and status == TaskStatus.OPEN and not (mine or process_key or instance_id or overdue is not None):
        return _group_list(session, actor, candidate_group, page, per_page, resident_groups)
    query = select(TaskRow).where(TaskRow.status == status, in_region(TaskRow.region, actor))
    if candidate_group:
        query = query.where(TaskRow.id.in_(_offered(actor, [candidate_group], resident_groups)))
    elif not actor.is_admin and not mine:
        query = query.where(or_(TaskRow.assignee == actor.id,
                                TaskRow.id.in_(_offered(actor, sorted(actor.groups), resident_groups))))
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


def _offered(actor: Actor, groups: list[str], resident_groups: frozenset[str]) -> Select:
    """Ids of open tasks offered to ``groups`` in the actor's regions; for resident groups, only
    on cases the actor owns."""
    staff = [g for g in groups if g not in resident_groups or actor.is_admin]
    residents = [g for g in groups if g in resident_groups and not actor.is_admin]
    query = select(TaskCandidate.task_id).where(TaskCandidate.group_name.in_(staff), in_region(TaskCandidate.region, actor))
    if residents:
        own = (select(TaskCandidate.task_id).join(TaskRow, TaskRow.id == TaskCandidate.task_id)
               .join(Instance, Instance.id == TaskRow.instance_id)
               .where(TaskCandidate.group_name.in_(residents), Instance.owner == actor.id))
        query = query.union(own) if staff else own
    return query


def _group_list(session: Session, actor: Actor, group: str, page: int, per_page: int,
                resident_groups: frozenset[str]) -> Page[TaskView]:
    """A group's open work, counted and paged on the candidate index alone (rows exist only while open)."""
    where = [TaskCandidate.group_name == group, in_region(TaskCandidate.region, actor)]
    if group in resident_groups and not actor.is_admin:
        where.append(TaskCandidate.task_id.in_(_offered(actor, [group], resident_groups)))
    total = session.scalar(select(func.count()).select_from(TaskCandidate).where(*where)) or 0
    ids = session.scalars(select(TaskCandidate.task_id).where(*where)
                          .order_by(TaskCandidate.created_at, TaskCandidate.task_id)
                          .limit(per_page).offset((page - 1) * per_page)).all()
    rows = {r.id: r for r in session.scalars(select(TaskRow).where(TaskRow.id.in_(ids)))} if ids else {}
    return Page([task_view(rows[i]) for i in ids if i in rows], total, page, per_page)


def instances(session: Session, actor: Actor, *, process_key: str | None = None, status: str | None = None,
              business_key: str | None = None, region: str | None = None, started_after: datetime | None = None,
              started_before: datetime | None = None, parent_id: str | None = None, page: int = 1, per_page: int = 20,
              readable: Any = None) -> Page[InstanceView]:
    """Instances matching the filters among those ``readable`` (a filter on Instance) selects.

    ``region`` narrows to a subtree (never widens: ``readable`` still applies); the start times
    are aware datetimes, ``started_after`` inclusive and ``started_before`` exclusive.
    """
    page, per_page = _page(page, per_page)
    # The list shows no state and no variables: leave them out of the SELECT, or the database sorts
    # every matching row with its state blob to find the newest page (most of the first page's time).
    query = (select(Instance).options(load_only(*_SUMMARY_COLUMNS))
             .where(readable if readable is not None else in_region(Instance.region, actor)))
    if region:
        query = query.where(or_(Instance.region == region, Instance.region.startswith(region + "/", autoescape=True)))
    if started_after is not None:
        query = query.where(Instance.created_at >= utc(started_after))
    if started_before is not None:
        query = query.where(Instance.created_at < utc(started_before))
    if parent_id:
        query = query.where(Instance.parent_id == parent_id)
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


_SUMMARY_COLUMNS = (Instance.id, Instance.process_key, Instance.version_id, Instance.status, Instance.business_key,
                    Instance.region, Instance.started_by, Instance.created_at, Instance.updated_at, Instance.parent_id)


def _instance(row: Instance, version: int, variables: dict | None = None, open_tasks: list | None = None) -> InstanceView:
    return InstanceView(
        id=row.id, process_key=row.process_key, version=version, status=row.status, business_key=row.business_key,
        region=row.region, started_by=row.started_by, created_at=utc(row.created_at), updated_at=utc(row.updated_at),
        variables=variables or {}, open_tasks=open_tasks or [], parent_id=row.parent_id,
    )


def case_view(row: Any, version: int, variables: dict[str, Any], open_tasks: list[TaskView]) -> InstanceView:
    """An instance view from what a case holds in memory (``row`` is a ``CaseRow``)."""
    return InstanceView(
        id=row.id, process_key=row.process_key, version=version, status=row.status, business_key=row.business_key,
        region=row.region, started_by=row.started_by, created_at=utc(row.created_at), updated_at=utc(row.updated_at),
        variables=variables, open_tasks=open_tasks, parent_id=row.parent_id,
    )


def instance_view(session: Session, row: Instance, version: int, variables: dict[str, Any]) -> InstanceView:
    open_rows = session.scalars(
        select(TaskRow).where(TaskRow.instance_id == row.id, TaskRow.status == TaskStatus.OPEN).order_by(TaskRow.created_at)
    ).all()
    return _instance(row, version, variables, [task_view(r) for r in open_rows])


def subscriber(session: Session, message_name: str, actor: Actor, business_key: str | None, instance_id: str | None,
               correlation: str | None = None) -> tuple[str, str]:
    """(instance id, catch element id) of the one instance in the actor's region waiting for
    ``message_name`` with these keys."""
    query = (select(Instance.id, MessageSubscription.element_id)
             .join(MessageSubscription, MessageSubscription.instance_id == Instance.id)
             .where(MessageSubscription.message_name == message_name, Instance.status == InstanceStatus.RUNNING,
                    in_region(Instance.region, actor)))
    if business_key:
        query = query.where(Instance.business_key == business_key)
    if instance_id:
        query = query.where(Instance.id == instance_id)
    if correlation:
        query = query.where(MessageSubscription.correlation == correlation)
    found = session.execute(query.limit(2)).all()
    if not found:
        raise NotFound(f"没有正在等待消息 '{message_name}' 的流程实例", message_name=message_name)
    if len(found) > 1:
        raise Conflict(f"有多个实例在等待消息 '{message_name}'，请指定 business_key、correlation 或 instance_id",
                       message_name=message_name)
    return found[0][0], found[0][1]


def history(session: Session, instance_id: str, erased: Any = audit.ERASED) -> list[dict[str, Any]]:
    """The instance's audit events as written, personal values back in place (``erased`` once erased)."""
    events = session.scalars(select(AuditEvent).where(AuditEvent.chain == instance_id).order_by(AuditEvent.seq))
    return [{**audit.event_body(e, erased), "hash": e.hash} for e in events]
