"""The public read model: what reports, records and adapters read, in a few bounded queries.

Reached as ``engine.read``. Every read takes an :class:`~gongzhi.Actor` and sees
only the cases that actor may read (``runtime.access``: admins in their regions,
owners, viewer groups, task holders); variables, form data and audit payloads are
masked for an actor without the ``pii`` permission, and ``SYSTEM`` reads them raw.
Nothing restores a workflow: variables come from the column each command writes.

Reads are bounded: a batch holds at most :data:`MAX_BATCH` items and names the
cursor of the next one (``Batch.next``, passed back as ``after``); the
``iter_*`` helpers follow the cursors. Queries over many instances take at most
``MAX_BATCH`` instance ids, so a report reads a batch of cases, then their tasks,
variables and events, one query each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Generic, Iterable, Iterator, Mapping, Sequence, TypeVar

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from ..clock import utc
from ..errors import InvalidInput
from ..security.identity import Actor, check_region
from ..status import InstanceStatus
from ..store.models import AuditEvent, Instance, TaskRow
from . import audit
from .audit.actions import AuditRecord, parse_record
from ..checks import plain_id

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["ReadModel", "CaseSummary", "TaskRecord", "Batch", "MAX_BATCH", "INSTANCE_STATUSES", "TASK_STATUSES"]

MAX_BATCH = 500
INSTANCE_STATUSES = frozenset({"running", "completed", "cancelled"})
TASK_STATUSES = frozenset({"open", "completed", "cancelled"})
T = TypeVar("T")


@dataclass(frozen=True)
class CaseSummary:
    """One case without its variables; ``ended_at`` is set once it completed or was cancelled."""

    id: str
    process_key: str
    business_key: str | None
    region: str
    status: str
    created_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class TaskRecord:
    """One user task of a case, open or done."""

    id: str
    instance_id: str
    process_key: str
    element_id: str
    name: str
    status: str
    region: str
    candidate_groups: tuple[str, ...]
    assignee: str | None
    completed_by: str | None
    created_at: datetime
    due_at: datetime | None
    completed_at: datetime | None


@dataclass(frozen=True)
class Batch(Generic[T]):
    """Up to ``MAX_BATCH`` items, and the cursor of the next batch (None: this was the last)."""

    items: tuple[T, ...]
    next: str | None = None


# --- input checks ----------------------------------------------------------------------------


def _fail(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"读取参数 {field} 无效：{message}", errors=[{"field": field, "message": message}])


def _actor(actor: Any) -> Actor:
    if not isinstance(actor, Actor):
        raise _fail("actor", "需要一个 Actor（内部调用请明确传 SYSTEM）")
    return actor


def _key(value: Any, field: str = "process_key") -> str:
    if not plain_id(value):
        raise _fail(field, "应为 1 到 128 个字符的字符串")
    return value


def _moment(value: Any, field: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise _fail(field, "应为带时区的 datetime")
    return utc(value)


def _limit(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_BATCH:
        raise _fail("limit", f"应为 1 到 {MAX_BATCH} 的整数")
    return value


def _choices(value: Any, allowed: frozenset[str] | None, field: str) -> tuple[str, ...] | None:
    """None, one string or an iterable of strings (each in ``allowed`` when given)."""
    if value is None:
        return None
    items = (value,) if isinstance(value, str) else tuple(value) if isinstance(value, Iterable) else None
    if not items or not all(plain_id(v) for v in items):
        raise _fail(field, "应为一个或多个非空字符串")
    if allowed is not None and not set(items) <= allowed:
        raise _fail(field, f"应为 {', '.join(sorted(allowed))} 之一")
    return items


def _ids(value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise _fail("instance_ids", "应为实例编号的列表")
    ids = list(dict.fromkeys(value))
    if len(ids) > MAX_BATCH:
        raise _fail("instance_ids", f"一次最多 {MAX_BATCH} 个实例")
    if not all(plain_id(i) for i in ids):
        raise _fail("instance_ids", "每个实例编号应为 1 到 128 个字符的字符串")
    return ids


def _region(value: Any) -> str | None:
    if value in (None, ""):
        return None
    return check_region(value)  # InvalidInput naming the field ``region``


def _cursor(value: Any, parts: int) -> list[str] | None:
    if value is None:
        return None
    pieces = value.split("|") if isinstance(value, str) else []
    if len(pieces) != parts or not all(pieces):
        raise _fail("after", "不是上一批返回的游标")
    return pieces


# --- the read model --------------------------------------------------------------------------


class ReadModel:
    """Bounded, scoped, masked reads over the engine's tables (``engine.read``)."""

    def __init__(self, engine: "Engine") -> None:
        self._engine = engine

    # --- cases ---------------------------------------------------------------------------

    def cases(self, actor: Actor, process_key: str, *, created_from: datetime | None = None,
              created_before: datetime | None = None, region: str | None = None,
              status: str | Iterable[str] | None = None, limit: int = MAX_BATCH,
              after: str | None = None) -> Batch[CaseSummary]:
        """Cases of ``process_key`` created in [``created_from``, ``created_before``), oldest first,
        optionally under the region prefix ``region`` and with the given status(es)."""
        actor, key, limit = _actor(actor), _key(process_key), _limit(limit)
        begin, end = _moment(created_from, "created_from"), _moment(created_before, "created_before")
        prefix, statuses, cursor = _region(region), _choices(status, INSTANCE_STATUSES, "status"), _cursor(after, 2)
        with self._engine.db.read() as session:
            query = select(Instance.id, Instance.process_key, Instance.business_key, Instance.region, Instance.status,
                           Instance.created_at, Instance.updated_at).where(
                Instance.process_key == key, self._readable(session, actor))
            if begin is not None:
                query = query.where(Instance.created_at >= begin)
            if end is not None:
                query = query.where(Instance.created_at < end)
            if prefix:
                query = query.where(or_(Instance.region == prefix, Instance.region.startswith(prefix + "/", autoescape=True)))
            if statuses:
                query = query.where(Instance.status.in_(statuses))
            if cursor:
                at, iid = datetime.fromisoformat(cursor[0]), cursor[1]
                query = query.where(or_(Instance.created_at > at, and_(Instance.created_at == at, Instance.id > iid)))
            rows = session.execute(query.order_by(Instance.created_at, Instance.id).limit(limit + 1)).all()
        items = tuple(CaseSummary(r.id, r.process_key, r.business_key, r.region, r.status, utc(r.created_at),
                                  utc(r.updated_at) if r.status != InstanceStatus.RUNNING else None) for r in rows[:limit])
        more = len(rows) > limit
        return Batch(items, f"{utc(rows[limit - 1].created_at).isoformat()}|{rows[limit - 1].id}" if more else None)

    def iter_cases(self, actor: Actor, process_key: str, **filters: Any) -> Iterator[Batch[CaseSummary]]:
        """Every batch of :meth:`cases`, following the cursors."""
        return _follow(self.cases, actor, process_key, filters)

    # --- tasks and variables of many instances --------------------------------------------

    def tasks(self, actor: Actor, instance_ids: Sequence[str], *, element_ids: str | Iterable[str] | None = None,
              status: str | Iterable[str] | None = None) -> list[TaskRecord]:
        """The user tasks of these instances (those the actor may read), in the order they were created."""
        actor, ids = _actor(actor), _ids(instance_ids)
        elements, statuses = _choices(element_ids, None, "element_ids"), _choices(status, TASK_STATUSES, "status")
        if not ids:
            return []
        task = aliased(TaskRow)  # the access filter's own subqueries on TaskRow must not correlate with it
        with self._engine.db.read() as session:
            readable = select(Instance.id).where(Instance.id.in_(ids), self._readable(session, actor))
            query = select(task.id, task.instance_id, task.process_key, task.element_id, task.name, task.status,
                           task.region, task.candidate_groups, task.assignee, task.completed_by, task.created_at,
                           task.due_at, task.completed_at).where(task.instance_id.in_(readable))
            if elements:
                query = query.where(task.element_id.in_(elements))
            if statuses:
                query = query.where(task.status.in_(statuses))
            rows = session.execute(query.order_by(task.created_at, task.id)).all()  # rows, not entities: faster
            return [TaskRecord(r.id, r.instance_id, r.process_key, r.element_id, r.name, r.status, r.region,
                               tuple(r.candidate_groups or ()), r.assignee, r.completed_by, utc(r.created_at),
                               utc(r.due_at) if r.due_at else None, utc(r.completed_at) if r.completed_at else None)
                    for r in rows]

    def variables(self, actor: Actor, instance_ids: Sequence[str],
                  names: str | Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
        """Instance id -> its variables as of its last command (only ``names`` when given), for the
        instances the actor may read; masked without ``pii``."""
        actor, ids, wanted = _actor(actor), _ids(instance_ids), _choices(names, None, "names")
        if not ids:
            return {}
        found: dict[str, dict[str, Any]] = {}
        with self._engine.db.read() as session:
            rows = session.execute(select(Instance.id, Instance.version_id, Instance.variables)
                                   .where(Instance.id.in_(ids), self._readable(session, actor))).all()
            for row in rows:
                values = row.variables if row.variables is not None else self._restored(session, row.id)
                masker = self._masker(session, actor, row.version_id, values)
                values = masker.data(values) if masker is not None else dict(values)
                found[row.id] = {k: v for k, v in values.items() if k in wanted} if wanted else values
        return found

    # --- audit events --------------------------------------------------------------------

    def events(self, actor: Actor, process_key: str, *, since: datetime, until: datetime | None = None,
               actions: str | Iterable[str] | None = None, instance_ids: Sequence[str] | None = None,
               limit: int = MAX_BATCH, after: str | None = None) -> Batch[AuditRecord]:
        """Audit events of the process's cases at or after ``since`` (and before ``until``), in the
        order they were written, as typed records (see ``gongzhi.runtime.audit.actions``)."""
        actor, key, limit = _actor(actor), _key(process_key), _limit(limit)
        begin, end = _moment(since, "since"), _moment(until, "until")
        if begin is None:
            raise _fail("since", "必须给出起始时间")
        wanted, ids, cursor = _choices(actions, None, "actions"), None if instance_ids is None else _ids(instance_ids), \
            _cursor(after, 1)
        if cursor and not cursor[0].isdigit():
            raise _fail("after", "不是上一批返回的游标")
        with self._engine.db.read() as session:
            # Columns, not entities: ``event_body`` needs the payload and the personal values alone.
            query = (select(AuditEvent.id, AuditEvent.instance_id, AuditEvent.at, AuditEvent.payload,
                            AuditEvent.personal, Instance.version_id)
                     .join(Instance, Instance.id == AuditEvent.instance_id)
                     .where(AuditEvent.chain == Instance.id, Instance.process_key == key,
                            self._readable(session, actor), AuditEvent.at >= begin))
            if end is not None:
                query = query.where(AuditEvent.at < end)
            if wanted:
                query = query.where(AuditEvent.action.in_(wanted))
            if ids is not None:
                query = query.where(AuditEvent.instance_id.in_(ids or [""]))
            if cursor:
                query = query.where(AuditEvent.id > int(cursor[0]))
            rows = session.execute(query.order_by(AuditEvent.id).limit(limit + 1)).all()
            maskers = self._maskers(session, actor, {(r.instance_id, r.version_id) for r in rows[:limit]})
            records = []
            for row in rows[:limit]:
                body = audit.event_body(row, erased=audit.ERASED)
                masker = maskers.get(row.instance_id)
                records.append(parse_record(masker.event(body) if masker is not None else body, row.at))
        more = len(rows) > limit
        return Batch(tuple(records), str(rows[limit - 1].id) if more else None)

    def iter_events(self, actor: Actor, process_key: str, **filters: Any) -> Iterator[Batch[AuditRecord]]:
        """Every batch of :meth:`events`, following the cursors."""
        return _follow(self.events, actor, process_key, filters)

    # --- helpers -------------------------------------------------------------------------

    def _readable(self, session: Any, actor: Actor) -> Any:
        return self._engine.access.readable(session, actor, self._engine.repository)

    def _masker(self, session: Any, actor: Actor, version_id: int, values: Mapping[str, Any]) -> Any:
        access = self._engine.access
        if not access.needs_masking(actor):
            return None
        return access.masker(actor, self._engine.repository.bundle(session, version_id), values)

    def _maskers(self, session: Any, actor: Actor, cases: set[tuple[str, int]]) -> dict[str, Any]:
        """Instance id -> how the actor sees its events (none needed with ``pii`` or as SYSTEM): the
        masker knows the case's own personal values, from its variables, read once per case."""
        if not cases or not self._engine.access.needs_masking(actor):
            return {}
        ids = sorted({iid for iid, _ in cases})
        values = dict(session.execute(select(Instance.id, Instance.variables).where(Instance.id.in_(ids))).all())
        return {iid: self._masker(session, actor, version_id, values.get(iid) or {}) for iid, version_id in cases}

    def _restored(self, session: Any, instance_id: str) -> dict[str, Any]:
        """Variables of a row written before the column existed (0.1), from its state."""
        from ..security.identity import SYSTEM

        return dict(self._engine.runner.case(session, instance_id, SYSTEM, workflow=False).variables)


def _follow(read: Callable[..., Batch[Any]], actor: Actor, process_key: str,
            filters: dict[str, Any]) -> Iterator[Batch[Any]]:
    """Every batch ``read`` gives, from the first, following each batch's cursor."""
    after = None
    while True:
        batch = read(actor, process_key, after=after, **filters)
        yield batch
        if batch.next is None:
            return
        after = batch.next
