"""The command runner: the one write path of every command — start, complete, message, timer,
service result, cancel.

A command says what to load and what to change; the runner does the rest, in
this order (``engine/README.md`` draws it):

1. **load** — in a read transaction: the case (from the cache when its lock
   version is the stored one, else from the database) and the command's checks;
2. **act** — change the workflow (complete a task, catch a message, fire a timer);
3. **run** — SpiffWorkflow's engine steps and early messages, in memory, under the
   command's budget; no transaction is open while user code runs;
4. **record** — what changed: state delta or base, variables, audit events, rows;
5. **persist** — one short write transaction of Core statements; the optimistic
   version check on the instance row decides races, and a command that lost one
   is run again from the start;
6. **after commit** — the case goes back to the cache, plugins hear of it.
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Mapping

import pluggy

from sqlalchemy import JSON, bindparam, delete, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..status import InstanceStatus, JobStatus, MessageStatus, TaskStatus
from ..checks import plain_id
from ..errors import ConcurrentUpdate, Conflict, GongzhiError, InstanceNotRunning, ScriptError, UnknownInstance
from ..security.identity import SYSTEM, Actor
from ..limits import command_budget, run_engine_steps
from ..hooks.objects import InstanceEvent
from ..store.models import AuditEvent, Job, Message, StateDelta
from . import audit, messages, queries, sync
from .cases import INSTANCES, TASKS, Case, CaseCache, CaseRow, OpenTask
from ..spiff.codec import FINISHED, Codec, FinishedWorkflow, Prints, decode_blob
from ..spiff.snapshot import WaitState, snapshot
from ..spiff.script_engine import CommandLog, current_log
from .views import InstanceView

if TYPE_CHECKING:  # types only: the engine builds these and hands them over
    from ..clock import Clock
    from ..definitions.repository import Repository
    from ..limits import Limits
    from ..hooks.objects import Channel
    from ..store.db import Database
    from .access import Access
    from ..spiff.script_engine import ScriptEngine
    from .watchdog import Watchdog

__all__ = ["Command", "CommandRunner", "Loader", "NOTIFY_CHANNEL", "ATTEMPTS"]

NOTIFY_CHANNEL = "gongzhi_jobs"
ATTEMPTS = 4  # a command that loses an optimistic race is run again, this many times in all
logger = logging.getLogger("gongzhi")
AUDIT, MESSAGES, JOBS, DELTAS = AuditEvent.__table__, Message.__table__, Job.__table__, StateDelta.__table__
# Statements of the hot path, built once (building and caching one per call costs more than running it).
_WRITE = {"status": bindparam("v_status"), "updated_at": bindparam("v_updated_at"),
          "audit_seq": bindparam("v_audit_seq"), "audit_hash": bindparam("v_audit_hash"),
          "lock_version": bindparam("v_lock_version"), "variables": bindparam("v_variables", type_=JSON)}
_WHERE = (INSTANCES.c.id == bindparam("k_id"), INSTANCES.c.lock_version == bindparam("k_version"))
_UPDATE = update(INSTANCES).where(*_WHERE).values(_WRITE)
_UPDATE_STATE = update(INSTANCES).where(*_WHERE).values({**_WRITE, "state": bindparam("v_state")})
_INSERT_INSTANCE, _INSERT_DELTA, _INSERT_AUDIT, _INSERT_JOBS = insert(INSTANCES), insert(DELTAS), insert(AUDIT), insert(JOBS)
_DROP_DELTAS = delete(DELTAS).where(DELTAS.c.instance_id == bindparam("k_id"))
_CLAIM = update(MESSAGES).where(MESSAGES.c.id == bindparam("k_id"), MESSAGES.c.status == MessageStatus.BUFFERED).values(
    status=bindparam("v_status"), instance_id=bindparam("v_instance"), delivered_at=bindparam("v_at"))
_VERSION = select(INSTANCES.c.lock_version).where(INSTANCES.c.id == bindparam("k_id"))
_READ = select(INSTANCES).where(INSTANCES.c.id == bindparam("k_id"))
_OPEN_TASKS = (select(TASKS).where(TASKS.c.instance_id == bindparam("k_id"), TASKS.c.status == TaskStatus.OPEN)
               .order_by(TASKS.c.created_at, TASKS.c.id))
_DELTAS = select(DELTAS.c.body).where(DELTAS.c.instance_id == bindparam("k_id")).order_by(DELTAS.c.seq)


@dataclass
class Command:
    """One command: who acts, what to load, what to change, and how it ends.

    ``load(loader)`` returns the case (and raises if the actor may not do this);
    ``act(case)`` changes its workflow and returns details for the audit event;
    ``status`` ends the instance (cancel) instead of running the engine;
    ``before_persist(conn, case)`` writes rows of the command's own first (it may raise to abandon);
    ``answer(conn, case)`` is what the command returns (default: the instance view for ``actor``).
    """

    action: str
    actor: Actor
    load: Callable[["Loader"], Case]
    act: Callable[[Case], dict[str, Any] | None]
    status: str | None = None
    task_id: str | None = None
    before_persist: Callable[[Connection, Case], None] | None = None
    answer: Callable[[Connection, Case], Any] | None = None
    kept_messages: bool = False  # offer kept messages to every waiting catch event (the worker's sweep)


@dataclass
class _Moved:
    """What running the workflow in memory produced, waiting to be recorded."""

    details: dict[str, Any]
    log: CommandLog
    before: WaitState | None
    delivered: list[tuple[Message, Actor]] = field(default_factory=list)
    after: WaitState | None = None  # the wait state after the run, if it was taken and nothing ran since
    refused: list[Message] = field(default_factory=list)
    element_id: str | None = None


class Loader:
    """What a command's ``load`` may use: a read session and the cases it takes."""

    def __init__(self, runner: "CommandRunner", session: Session) -> None:
        self.runner, self.session = runner, session
        self.taken: list[Case] = []
        self.element_id: str | None = None  # the element the command acts on, when the load found it

    def case(self, instance_id: str, actor: Actor = SYSTEM) -> Case:
        """The case, for ``actor`` (UnknownInstance if they may not read it)."""
        case = self.runner.case(self.session, instance_id, actor, take=True)
        self.taken.append(case)
        return case

    def give_back(self) -> None:
        """A load that failed before anything changed: the cases it took are still good."""
        for case in self.taken:
            self.runner.cache.put(case)


class CommandRunner:
    """Runs commands against one database with one set of definitions, plugins and clock."""

    def __init__(self, *, db: Database, repository: Repository, access: Access, script_engine: ScriptEngine,
                 channels: Mapping[str, Channel], clock: Clock, watchdog: Watchdog, limits: Limits,
                 plugins: pluggy.PluginManager, cache_size: int) -> None:
        # What a command needs, named once: the runner reads nothing else.
        self.db, self.repository, self.access = db, repository, access
        self.script_engine, self.channels, self.clock = script_engine, channels, clock
        self.watchdog, self.limits, self.pm = watchdog, limits, plugins
        self.cache = CaseCache(cache_size)
        self._codecs: dict[int, Codec] = {}

    # --- cases ---------------------------------------------------------------------------------------

    def codec(self, bundle: Any) -> Codec:
        codec = self._codecs.get(bundle.version_id)
        if codec is None:
            codec = self._codecs.setdefault(bundle.version_id, Codec(bundle))
        return codec

    def case(self, session: Session, instance_id: str, actor: Actor = SYSTEM, take: bool = False,
             workflow: bool = True) -> Case:
        """A case for ``actor``: from the cache if it is current (``take``: and keep it for a command), else from
        the database; ``workflow=False``: a reader's case, without the workflow when its variables are stored.
        UnknownInstance if it does not exist or the actor may not read it."""
        if not plain_id(instance_id):
            raise UnknownInstance(str(instance_id))
        version = session.connection().execute(_VERSION, {"k_id": instance_id}).scalar()  # Core: no ORM on this path
        if version is None:
            raise UnknownInstance(instance_id)
        case = self.cache.take(instance_id, version) if take else None
        if case is None:
            case = self._read_case(session, instance_id, workflow)
        if actor is not SYSTEM and not self.access.may_read(session, case.row, case.bundle, actor):
            if take:
                self.cache.put(case)
            raise UnknownInstance(instance_id)
        return case

    def _read_case(self, session: Session, instance_id: str, with_workflow: bool = True) -> Case:
        conn = session.connection()
        found = conn.execute(_READ, {"k_id": instance_id}).first()
        if found is None:
            raise UnknownInstance(instance_id)
        row = CaseRow.from_row(found)
        bundle = self.repository.bundle(session, row.version_id)
        state, variables = found._mapping["state"], found._mapping["variables"]
        if row.status != InstanceStatus.RUNNING:  # a 0.1 row kept its final variables in the state
            final = variables if variables is not None else decode_blob(state).get(FINISHED, {}) if state else {}
            return Case(row, bundle, FinishedWorkflow(final), dict(final))
        tasks = {t.id: OpenTask.from_row(t) for t in conn.execute(_OPEN_TASKS, {"k_id": instance_id})}
        if not with_workflow and variables is not None:
            return Case(row, bundle, None, variables, tasks)
        deltas = list(conn.execute(_DELTAS, {"k_id": instance_id}).scalars())
        workflow, prints = self.codec(bundle).load(state, deltas, self.script_engine)
        # The variables column holds what the last command computed from this very state.
        return Case(row, bundle, workflow, variables if variables is not None else queries.variables(workflow),
                    tasks, prints)

    def view(self, case: Case, actor: Actor) -> InstanceView:
        """The instance as ``actor`` sees it, from the case in memory."""
        tasks = sorted(case.tasks.values(), key=lambda t: (t.created_at, t.id))
        view = queries.case_view(case.row, case.bundle.version or 0, case.variables,
                                 [t.view(case.id, case.row.process_key) for t in tasks])
        masker = self.access.masker(actor, case.bundle, case.variables)
        return view if masker is None else queries.masked_instance(view, masker)

    # --- running a command -------------------------------------------------------------------------------

    def run(self, command: Command) -> Any:
        """Load, act, run, record, persist, publish; again from the start after a lost race."""
        for attempt in range(1, ATTEMPTS + 1):
            with self.watchdog.track(command.action) as inflight:
                with self.db.read() as session:
                    loader = Loader(self, session)
                    try:
                        case = command.load(loader)
                    except BaseException:
                        loader.give_back()
                        raise
                inflight.instance_id = case.id
                moved = self._move(case, command, inflight.remaining())
                moved.element_id = loader.element_id
                inflight.check()  # past the deadline: fail before anything is written
                try:
                    with self._transaction() as conn:
                        if command.before_persist is not None:
                            command.before_persist(conn, case)
                        event = self._persist(conn, case, moved, command)
                        answer = command.answer(conn, case) if command.answer else self.view(case, command.actor)
                except ConcurrentUpdate:
                    if attempt == ATTEMPTS:
                        raise
                    logger.info("%s on %s lost a race (attempt %d); running it again", command.action, case.id, attempt)
                    continue
                self._after_commit(case, event)
                return answer
        raise AssertionError("unreachable")  # pragma: no cover

    def _transaction(self) -> Any:
        return _Transaction(self.db)

    def _move(self, case: Case, command: Command, seconds_left: float) -> _Moved:
        """Act and run the engine in memory, under what is left of the command's deadline."""
        if case.row.status != InstanceStatus.RUNNING:
            raise InstanceNotRunning(case.id, case.row.status)
        workflow = case.workflow
        before = None if case.fresh else (case.waits or snapshot(workflow))
        moved = _Moved({}, CommandLog(instance_id=case.id, region=case.row.region), before)
        token = current_log.set(moved.log)
        try:
            deadline = max(seconds_left, 1e-6) if math.isfinite(seconds_left) else None
            with command_budget(self.limits, deadline):
                moved.details = command.act(case) or {}
                if command.status is None:
                    run_engine_steps(workflow)
                    self._deliver_kept(case, moved, command.kept_messages)
        except GongzhiError:
            raise
        except Exception as exc:  # a script, expression or handler failed inside SpiffWorkflow
            raise _execution_error(exc) from exc
        finally:
            current_log.reset(token)
        return moved

    def _deliver_kept(self, case: Case, moved: _Moved, all_waiting: bool) -> None:
        """Messages that arrived early: hand each to the catch event that now waits for it, if its
        sender may send it there; a message its sender may not send is refused."""
        workflow = case.workflow
        waiting_before = set(moved.before.messages) if moved.before and not all_waiting else set()
        seen: set[int] = set()
        for _ in range(100):  # each delivery may lead to another catch event; never loop for ever
            moved.after = snapshot(workflow)
            waiting = moved.after.messages
            new = {name: correlation for name, (_, correlation) in waiting.items() if name not in waiting_before}
            if not new:
                return
            with self.db.read() as session:
                message = messages.find_buffered(session, case.row, new, self.clock.now(), seen)
            if message is None:
                return
            moved.after = None  # the message changes the workflow
            seen.add(message.id)
            sender = Actor.from_snapshot(message.sender) if message.sender else None
            if sender is None or not self.access.may_send(sender, case.row, case.bundle, waiting[message.name][0]):
                moved.refused.append(message)
                continue
            messages.catch(workflow, message.name, dict(message.variables))
            run_engine_steps(workflow)
            moved.delivered.append((message, sender))
            waiting_before = set(waiting) - {message.name}

    # --- recording and persisting ---------------------------------------------------------------------------

    def _persist(self, conn: Connection, case: Case, moved: _Moved, command: Command) -> InstanceEvent:
        """Write everything the command changed, in ``conn``'s transaction, and bring the case up to date."""
        row, workflow, actor = case.row, case.workflow, command.actor
        now = self.clock.now()
        after = moved.after or snapshot(workflow)
        status = command.status or (InstanceStatus.COMPLETED if after.completed else InstanceStatus.RUNNING)
        variables = queries.variables(workflow, after)
        element_id = moved.element_id
        events = self._events(case, moved, command, status, variables, element_id, now)
        head_seq, head_hash = row.audit_seq + len(events), events[-1]["hash"]
        state, delta, prints = self._state(case, status, variables)
        values = {"v_status": status, "v_updated_at": now, "v_audit_seq": head_seq, "v_audit_hash": head_hash,
                  "v_lock_version": row.lock_version + 1, "v_variables": variables}
        if case.fresh:
            conn.execute(_INSERT_INSTANCE, {**row.values(), "status": status, "updated_at": now, "audit_seq": head_seq,
                                            "audit_hash": head_hash, "lock_version": row.lock_version + 1,
                                            "variables": variables, "state": state or b""})
        else:
            keys = {"k_id": row.id, "k_version": row.lock_version}
            done = conn.execute(_UPDATE_STATE if state is not None else _UPDATE,
                                {**keys, **values, **({"v_state": state} if state is not None else {})})
            if done.rowcount != 1:
                raise ConcurrentUpdate(row.id)
            if state is not None:
                conn.execute(_DROP_DELTAS, {"k_id": row.id})
        if delta is not None:
            conn.execute(_INSERT_DELTA, {"instance_id": row.id, "seq": prints.deltas, "body": delta})
        conn.execute(_INSERT_AUDIT, events)
        self._claim_messages(conn, row, moved, now)
        if moved.log.narrowed_from is not None:  # gongzhi.narrow_region ran: the case and its open tasks move
            row = replace(row, region=moved.log.region)
            sync.narrow_rows(conn, row.id, row.region)
            for task in case.tasks.values():
                task.region = row.region
        changes = sync.write_rows(conn, self.script_engine, case.bundle, row, moved.before, after, actor, now)
        new_row = replace(row, status=status, updated_at=now, audit_seq=head_seq, audit_hash=head_hash,
                          lock_version=row.lock_version + 1)
        new_jobs = changes.new_jobs
        if status != InstanceStatus.RUNNING and row.parent_id and row.reply_message:
            self._reply_to_parent(conn, new_row, variables, now)
            new_jobs = True
        event = InstanceEvent(command.action, row.id, row.process_key, now, actor.id, element_id, command.task_id,
                              region=row.region, status=status, business_key=row.business_key)
        new_jobs |= self._outbox(conn, event)
        self._check_kept(conn, new_row, moved.before, after, now)
        if self.db.dialect == "postgresql" and new_jobs:
            conn.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))  # delivered on commit: wakes idle workers
        # The case follows what was written, so the next command needs nothing from the database.
        case.row, case.variables, case.prints, case.waits, case.fresh = new_row, variables, prints, after, False
        for task_id in changes.closed:
            case.tasks.pop(task_id, None)
        for task in changes.opened:
            case.tasks[task["id"]] = OpenTask(task["id"], task["element_id"], task["name"], task["region"],
                                              task["candidate_groups"], None, task["created_at"], task["due_at"],
                                              task["form"])
        return event

    def _state(self, case: Case, status: str, variables: dict[str, Any]) -> tuple[bytes | None, bytes | None, Prints | None]:
        """(new base or None, delta or None, prints): a delta when one is enough, else a base; a finished
        instance keeps nothing but its variables."""
        if status != InstanceStatus.RUNNING:
            return b"", None, None  # the variables column keeps what is left of it
        codec = self.codec(case.bundle)
        if case.prints is not None:
            delta = codec.delta(case.workflow, case.prints)
            if delta is not None:
                return None, delta.body, delta.prints
        base, prints = codec.base(case.workflow)
        return base, None, prints

    def _events(self, case: Case, moved: _Moved, command: Command, status: str, variables: dict[str, Any],
                element_id: str | None, now: datetime) -> list[dict[str, Any]]:
        """The command's audit events, sealed in order after the case's head."""
        ring = audit.ring_of(self.db)
        personal = self.access.personal(case.bundle)  # what of each event is kept apart from its hash
        actor, row = command.actor, case.row
        seq, prev = row.audit_seq, row.audit_hash
        out: list[dict[str, Any]] = []

        def add(who: Actor, action: str, **details: Any) -> None:
            nonlocal seq, prev
            seq += 1
            event = audit.seal(ring, row.id, seq, prev, who, action, now, row.id, personal, details)
            prev = event["hash"]
            out.append(event)

        given = moved.details.get("data") or moved.details.get("variables")
        diff = queries.changes(case.variables, variables, given if isinstance(given, dict) else None)
        add(actor, command.action, process_key=row.process_key, element_id=element_id, task_id=command.task_id,
            **diff.details(), **moved.details)
        for decision in moved.log.decisions:
            add(actor, "decision", **decision)
        for call in moved.log.services:
            add(actor, "service_call", **call)
        if moved.log.narrowed_from is not None:
            add(actor, "region_narrowed", region_from=moved.log.narrowed_from, region_to=moved.log.region)
        for message, sender in moved.delivered:
            # The sender is the actor of this event: it is their message, whoever's command delivered it.
            add(sender, "message", message=message.name, message_id=message.message_id,
                buffered_since=message.created_at.isoformat(), delivered_by={"id": actor.id, "name": actor.name})
        if status != InstanceStatus.RUNNING:
            add(actor, status)
        return out

    @staticmethod
    def _claim_messages(conn: Connection, row: CaseRow, moved: _Moved, now: datetime) -> None:
        """Mark the early messages this command consumed or refused; one taken by another command
        since we read it means we lost a race."""
        for message, status in [*((m, MessageStatus.DELIVERED) for m, _ in moved.delivered), *((m, MessageStatus.REFUSED) for m in moved.refused)]:
            done = conn.execute(_CLAIM, {"k_id": message.id, "v_status": status, "v_instance": row.id, "v_at": now})
            if done.rowcount != 1:
                raise ConcurrentUpdate(row.id)

    def _check_kept(self, conn: Connection, row: CaseRow, before: WaitState | None, after: WaitState,
                    now: datetime) -> None:
        """A message kept after the run read the buffer, for a catch event this command starts waiting
        at: run the command again so it is delivered now, not left behind."""
        new = {name: correlation for name, (_, correlation) in after.messages.items()
               if not before or name not in before.messages}
        if new and messages.kept_for(conn, row, new, now):
            raise ConcurrentUpdate(row.id)

    @staticmethod
    def _reply_to_parent(conn: Connection, row: CaseRow, final: dict[str, Any], now: datetime) -> None:
        """Tell the parent instance how this one ended, through a job (never inside this transaction)."""
        payload = {"instance_id": row.id, "process_key": row.process_key, "status": row.status, "variables": final}
        conn.execute(insert(JOBS).values(kind="message", instance_id=row.id, task_id=None, element_id=None, due_at=now,
                                         status=JobStatus.PENDING, attempts=0, created_at=now,
                                         payload={"name": row.reply_message, "instance_id": row.parent_id,
                                                  "message_id": f"{messages.SYSTEM_PREFIX}reply:{row.id}",
                                                  "variables": payload}))

    def _outbox(self, conn: Connection, event: InstanceEvent) -> bool:
        """One delivery job per interested channel, in the same transaction as the state change."""
        jobs = [{"kind": "delivery", "instance_id": event.instance_id, "task_id": None, "element_id": event.element_id,
                 "due_at": event.at, "status": JobStatus.PENDING, "attempts": 0, "created_at": event.at,
                 "payload": {"event_id": str(uuid.uuid4()), "channel": channel.name, "event": event.as_dict()}}
                for channel in self.channels.values() if channel.accepts(event)]
        if jobs:
            conn.execute(_INSERT_JOBS, jobs)
        return bool(jobs)

    def _after_commit(self, case: Case, event: InstanceEvent) -> None:
        """After the commit (never before): keep the case warm and tell plugins."""
        self.cache.put(case)
        try:
            self.pm.hook.gongzhi_instance_event(event=event)
        except Exception:  # an observer must not undo a committed command
            logger.exception("gongzhi_instance_event hook failed for %s", case.id)


class _Transaction:
    """``db.transaction()`` with the engine's meaning of a failed write: a lost race is ConcurrentUpdate."""

    def __init__(self, db: Any) -> None:
        self.db = db

    def __enter__(self) -> Connection:
        self._context = self.db.transaction()
        return self._context.__enter__()

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        try:
            self._context.__exit__(kind, exc, tb)
        except IntegrityError as error:
            raise _integrity(error) from error
        if isinstance(exc, IntegrityError):
            raise _integrity(exc) from exc
        return False


def _integrity(error: IntegrityError) -> Conflict:
    if "uq_gz_audit_chain_seq" in str(error.orig) or "gz_audit_event.chain" in str(error.orig) \
            or "gz_instance.id" in str(error.orig) or "gz_state_delta" in str(error.orig):
        return ConcurrentUpdate()  # two commands wrote one chain or state at once; the other won
    return Conflict("并发写入冲突，请重试 (integrity conflict)")


def _execution_error(exc: Exception) -> GongzhiError:
    """Turn an exception from inside SpiffWorkflow into one that names the element."""
    seen: Exception | None = exc
    while seen is not None:
        if isinstance(seen, GongzhiError):
            return seen
        seen = seen.__cause__ or seen.__context__ or getattr(seen, "error", None)  # type: ignore[assignment]
    task = getattr(exc, "task", None)
    element = task.task_spec.bpmn_id if task is not None else None
    name = (task.task_spec.bpmn_name if task is not None else None) or element or "?"
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return ScriptError(f"“{name}” 执行出错：{message}", element_id=element)
