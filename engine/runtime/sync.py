"""Write the rows that mirror an instance's wait state: work list, timer jobs, subscriptions.

Inputs are the wait states before and after a command (see ``snapshot``), so
only what changed is written and nothing has to be read back first. Plain Core
statements on a connection, one per kind of change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection
from SpiffWorkflow.util.task import TaskState

from ..status import JobStatus, TaskStatus
from ..clock import utc
from ..definitions.model import ProcessBundle
from ..errors import LimitExceeded, ScriptError
from ..security.identity import Actor
from ..limits import at_element, limits_of
from ..store.models import Instance, Job, MessageSubscription, TaskCandidate, TaskRow
from ..spiff.timers import Where, due_time
from ..spiff.snapshot import WaitState

__all__ = ["write_rows", "RowChanges"]

# Plain Core on the tables: this runs in every command, and ORM-enabled statements would pay
# for synchronising the session they never need.
TASKS, CANDIDATES, INSTANCES = TaskRow.__table__, TaskCandidate.__table__, Instance.__table__
JOBS, SUBSCRIPTIONS = Job.__table__, MessageSubscription.__table__

_EMPTY = WaitState()
# Statements built once, run with parameter lists (one round trip per kind of change, however many rows):
# building and caching a statement per call, or expanding IN lists, costs more than running it.
_CLOSE_TASK = update(TASKS).where(TASKS.c.id == bindparam("tid")).values(
    status=bindparam("outcome"), completed_at=bindparam("at"), completed_by=bindparam("by"))
_DROP_CANDIDATES = delete(CANDIDATES).where(CANDIDATES.c.task_id == bindparam("tid"))
_INSERT_TASKS, _INSERT_CANDIDATES, _INSERT_JOB = insert(TASKS), insert(CANDIDATES), insert(JOBS)
_END_TIMER = update(JOBS).where(JOBS.c.instance_id == bindparam("instance"), JOBS.c.task_id == bindparam("tid"),
                                JOBS.c.status == JobStatus.PENDING).values(status=JobStatus.DONE)
# A job withdrawn before it ran leaves no row (the audit trail says what happened); one a worker holds
# is ended by that worker.
_WITHDRAW_JOB = delete(JOBS).where(JOBS.c.instance_id == bindparam("instance"), JOBS.c.task_id == bindparam("tid"),
                                   JOBS.c.status == JobStatus.PENDING, JOBS.c.locked_by.is_(None))
_DROP_SUBSCRIPTION = delete(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.instance_id == bindparam("instance"),
                                                 SUBSCRIPTIONS.c.message_name == bindparam("name"))
_INSERT_SUBSCRIPTIONS = insert(SUBSCRIPTIONS)
_MOVE_TIMER = update(JOBS).where(JOBS.c.instance_id == bindparam("instance"), JOBS.c.task_id == bindparam("tid"),
                                 JOBS.c.status == JobStatus.PENDING).values(due_at=bindparam("due"))


@dataclass
class RowChanges:
    """What the work list gained and lost, so the case can follow without reading it back."""

    opened: list[dict[str, Any]] = field(default_factory=list)  # new task rows
    closed: set[str] = field(default_factory=set)  # ids of tasks no longer open
    new_jobs: bool = False


def narrow_rows(conn: Connection, instance_id: str, region: str) -> None:
    """A case moved into a narrower region (``gongzhi.narrow_region``): its row and its open tasks follow,
    so work lists and region scoping read the new region at once; finished tasks keep where they were done."""
    conn.execute(update(INSTANCES).where(INSTANCES.c.id == instance_id).values(region=region))
    open_ids = select(TASKS.c.id).where(TASKS.c.instance_id == instance_id, TASKS.c.status == TaskStatus.OPEN)
    conn.execute(update(CANDIDATES).where(CANDIDATES.c.task_id.in_(open_ids)).values(region=region))
    conn.execute(update(TASKS).where(TASKS.c.instance_id == instance_id, TASKS.c.status == TaskStatus.OPEN)
                 .values(region=region))


def write_rows(conn: Connection, engine: Any, bundle: ProcessBundle, row: Any, before: WaitState | None,
               after: WaitState, actor: Actor, now: datetime) -> RowChanges:
    """``row`` is the instance (id, process_key, region)."""
    before = before or _EMPTY
    changes = RowChanges()
    _user_tasks(conn, engine, bundle, row, before, after, actor, now, changes)
    _timers(conn, row, before, after, now, changes)
    _services(conn, row, before, after, now, changes)
    _subscriptions(conn, row, before, after)
    return changes


def _user_tasks(conn: Connection, engine: Any, bundle: ProcessBundle, row: Any, before: WaitState,
                after: WaitState, actor: Actor, now: datetime, changes: RowChanges) -> None:
    gone = set(before.user_tasks) - set(after.user_tasks)
    if gone:
        closed = [{"tid": t, "outcome": TaskStatus.COMPLETED, "at": now, "by": actor.id}
                  if before.user_tasks[t].state == TaskState.COMPLETED
                  else {"tid": t, "outcome": TaskStatus.CANCELLED, "at": now, "by": None} for t in sorted(gone)]
        conn.execute(_CLOSE_TASK, closed)
        conn.execute(_DROP_CANDIDATES, [{"tid": t} for t in sorted(gone)])
        changes.closed.update(gone)
    tasks, candidates = [], []
    for task_id in set(after.user_tasks) - set(before.user_tasks):
        task = after.user_tasks[task_id]
        meta = bundle.meta(task.workflow.spec.name, task.task_spec.bpmn_id)
        groups = _groups(engine, task, meta)
        tasks.append({
            "id": task_id, "instance_id": row.id, "process_key": row.process_key, "element_id": task.task_spec.bpmn_id,
            "name": task.task_spec.bpmn_name or task.task_spec.bpmn_id, "status": TaskStatus.OPEN, "region": row.region,
            "candidate_groups": groups, "assignee": None, "form": meta.form_name if meta else None, "created_at": now,
            "due_at": _due(engine, task, meta, now), "completed_at": None, "completed_by": None,
        })
        candidates.extend({"task_id": task_id, "group_name": g, "region": row.region, "created_at": now} for g in groups)
    if tasks:
        conn.execute(_INSERT_TASKS, tasks)
        changes.opened.extend(tasks)
    if candidates:
        conn.execute(_INSERT_CANDIDATES, candidates)


def _groups(engine: Any, task: Any, meta: Any) -> list[str]:
    if meta is None:
        return []
    if meta.groups_expression:
        value = _evaluate(engine, task, meta.groups_expression, "candidateGroupsExpression")
        values = [value] if isinstance(value, str) else list(value or [])
        return sorted({str(v) for v in values if v})
    return list(meta.candidate_groups)


def _due(engine: Any, task: Any, meta: Any, now: datetime) -> datetime | None:
    """The due time ``dueDateExpression`` gives: checked and capped like a timer (``gongzhi.spiff.timers``)."""
    if meta is None or not meta.due_expression:
        return None
    value = _evaluate(engine, task, meta.due_expression, "dueDateExpression")
    return due_time(value, utc(now), limits_of(task.workflow), Where.of(task, "截止时间（dueDateExpression）"))


def _evaluate(engine: Any, task: Any, expression: str, what: str) -> Any:
    try:
        return engine.environment.evaluate(expression, task.data)
    except LimitExceeded as exc:
        raise at_element(exc, task.task_spec.bpmn_id, task.task_spec.bpmn_name) from exc
    except Exception as exc:
        raise ScriptError(f"“{task.task_spec.bpmn_name or task.task_spec.bpmn_id}” 的 {what} 出错：{exc}",
                          element_id=task.task_spec.bpmn_id) from exc


def _timers(conn: Connection, row: Any, before: WaitState, after: WaitState, now: datetime,
            changes: RowChanges) -> None:
    ended = sorted(set(before.timers) - set(after.timers))
    fired = [{"instance": row.id, "tid": t} for t in ended if before.timer_tasks[t].state == TaskState.COMPLETED]
    withdrawn = [{"instance": row.id, "tid": t} for t in ended if before.timer_tasks[t].state != TaskState.COMPLETED]
    if fired:
        conn.execute(_END_TIMER, fired)
    if withdrawn:
        conn.execute(_WITHDRAW_JOB, withdrawn)
    moved = []
    for task_id, due in after.timers.items():
        if task_id not in before.timers:
            _add_job(conn, "timer", row, task_id, after.timer_tasks[task_id].task_spec.bpmn_id, due, now, changes)
        elif before.timers[task_id] != due:  # a cycle timer fired and rescheduled itself once
            moved.append({"instance": row.id, "tid": task_id, "due": due})
    if moved:
        conn.execute(_MOVE_TIMER, moved)


def _services(conn: Connection, row: Any, before: WaitState, after: WaitState, now: datetime,
              changes: RowChanges) -> None:
    for task_id in set(after.services) - set(before.services):
        _add_job(conn, "service", row, task_id, after.services[task_id].task_spec.bpmn_id, now, now, changes)
    gone = sorted(set(before.services) - set(after.services))
    if gone:  # finished by the worker, or withdrawn with the instance
        conn.execute(_WITHDRAW_JOB, [{"instance": row.id, "tid": t} for t in gone])


def _subscriptions(conn: Connection, row: Any, before: WaitState, after: WaitState) -> None:
    gone = sorted(set(before.messages) - set(after.messages))
    if gone:
        conn.execute(_DROP_SUBSCRIPTION, [{"instance": row.id, "name": name} for name in gone])
    new = [{"instance_id": row.id, "message_name": name, "element_id": after.messages[name][0],
            "correlation": after.messages[name][1]} for name in set(after.messages) - set(before.messages)]
    if new:
        conn.execute(_INSERT_SUBSCRIPTIONS, new)


def _add_job(conn: Connection, kind: str, row: Any, task_id: str, element_id: str, due: datetime, now: datetime,
             changes: RowChanges) -> None:
    conn.execute(_INSERT_JOB, {"kind": kind, "instance_id": row.id, "task_id": task_id, "element_id": element_id,
                               "due_at": due, "status": JobStatus.PENDING, "attempts": 0, "payload": {}, "created_at": now})
    changes.new_jobs = True
