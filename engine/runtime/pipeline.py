"""The write path every command shares: load, move the workflow, then persist what changed.

``Engine`` inherits it; the commands in ``engine.py`` only say what to load and what to change.

A command runs in three phases, and only the last one writes:

1. **load** in a read transaction: the instance, its version's bundle, the checks of who may act;
2. **run** the workflow in memory — scripts, decisions, inline service tasks, early messages —
   holding no database lock, under the command's deadline;
3. **persist** in one short write transaction: the optimistic version check on the instance
   row decides conflicts (the loser gets ``ConcurrentUpdate`` and the command is run again from
   the start, so a retry sees what the winner did), then the state, work-list rows, jobs, audit
   events and outbox are written together.

On SQLite the write transaction is the single writer, so a slow or runaway script
never stops anyone else's writes.
"""

from __future__ import annotations

import logging
import math
import threading
import uuid
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterator

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import event as sa_event
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..definitions.model import ProcessBundle
from ..errors import (
    ConcurrentUpdate,
    Conflict,
    GongzhiError,
    InstanceNotRunning,
    ScriptError,
    UnknownInstance,
)
from ..identity import SYSTEM, Actor
from ..limits import command_budget, run_engine_steps
from ..services import InstanceEvent
from ..store.models import Instance, Job, Message
from . import audit, messages, queries, sync
from .snapshot import WaitState, snapshot
from .state import CommandLog, StateCodec, current_log
from .views import InstanceView

NOTIFY_CHANNEL = "gongzhi_jobs"
ATTEMPTS = 4  # a command that loses an optimistic race is run again, this many times in all
logger = logging.getLogger("gongzhi")
MESSAGES = Message.__table__


@dataclass
class _Live:
    row: Instance
    bundle: ProcessBundle
    workflow: BpmnWorkflow
    variables: dict[str, Any] | None = None  # set when persisting, so the view need not merge them again
    fresh: bool = False  # a new instance: nothing to compare with
    element_id: str | None = None  # the element the command acts on, when the load found it


@dataclass
class _Moved:
    """What running the workflow in memory produced, waiting to be persisted."""

    before: WaitState | None
    before_vars: dict[str, Any]
    details: dict[str, Any]
    log: CommandLog
    delivered: list[tuple[Message, Actor]] = field(default_factory=list)
    refused: list[Message] = field(default_factory=list)


class _LiveCache:
    """Workflow objects of recently used instances, keyed by (instance, lock version).

    An entry is taken out while a command uses it, so two threads never share
    a workflow object; it goes back only after a successful commit.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, tuple[int, BpmnWorkflow]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, instance_id: str, lock_version: int) -> BpmnWorkflow | None:
        with self._lock:
            entry = self._items.pop(instance_id, None)
        return entry[1] if entry and entry[0] == lock_version else None

    def put(self, instance_id: str, lock_version: int, workflow: BpmnWorkflow) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[instance_id] = (lock_version, workflow)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


class Pipeline:
    """Loading, advancing and committing instances (mixed into ``Engine``)."""

    @contextmanager
    def _write(self) -> Iterator[Session]:
        try:
            with self.db.write() as session:
                yield session
        except StaleDataError as exc:
            raise ConcurrentUpdate() from exc
        except IntegrityError as exc:
            if "uq_gz_audit_chain_seq" in str(exc.orig) or "gz_audit_event.chain" in str(exc.orig):
                raise ConcurrentUpdate() from exc  # two commands appended to one chain at once; the other won
            raise Conflict("并发写入冲突，请重试 (integrity conflict)") from exc

    def _codec(self, bundle: ProcessBundle) -> StateCodec:
        codec = self._codecs.get(bundle.version_id)
        if codec is None:
            codec = self._codecs.setdefault(bundle.version_id, StateCodec(bundle))
        return codec

    def _visible_instance(self, session: Session, instance_id: str, actor: Actor) -> Instance:
        """The instance, if the actor may read it; UnknownInstance otherwise (existence is not disclosed)."""
        row = session.get(Instance, instance_id) if queries.plain_id(instance_id) else None
        if row is None or not self.access.may_read(session, row, self.repository.bundle(session, row.version_id), actor):
            raise UnknownInstance(str(instance_id))
        return row

    def _load(self, session: Session, instance_id: str, actor: Actor = SYSTEM, take: bool = True) -> _Live:
        row = self._visible_instance(session, instance_id, actor)
        bundle = self.repository.bundle(session, row.version_id)
        workflow = self._live.take(row.id, row.lock_version) if take else None
        if workflow is None:
            workflow = self._codec(bundle).loads(row.state, self.script_engine)
        return _Live(row, bundle, workflow)

    # --- the command runner ----------------------------------------------------------------

    def _command(self, action: str, actor: Actor, load: Callable[[Session], _Live],
                 act: Callable[[BpmnWorkflow], dict[str, Any] | None], *, status: str | None = None,
                 element_id: str | None = None, task_id: str | None = None,
                 before_persist: Callable[[Session, _Live], None] | None = None,
                 after: Callable[[Session, _Live], Any] | None = None, kept_messages: bool = False) -> Any:
        """Load, run in memory, persist; run again from the start when another command won the race.

        ``before_persist`` checks or writes rows of its own first, in the same transaction (it may
        raise to abandon it); ``after`` computes the answer inside it (default: the instance view
        for ``actor``). ``kept_messages``: offer kept messages to every catch event that waits, not
        only to those the command reaches (the worker's sweep for messages left behind by a race).
        """
        for attempt in range(1, ATTEMPTS + 1):
            with self.watchdog.track(action) as inflight:
                with self.db.read() as session:
                    live = load(session)
                inflight.instance_id = instance_id = live.row.id
                moved = self._run(live, act, status, kept_messages, inflight.remaining())
                inflight.check()  # past the deadline: fail before anything is written
                try:
                    with self._write() as session:
                        if before_persist is not None:
                            before_persist(session, live)
                        self._persist(session, live, moved, actor, action, status, element_id or live.element_id,
                                      task_id)
                        return after(session, live) if after is not None else self._view(session, live, actor)
                except ConcurrentUpdate:
                    if attempt == ATTEMPTS:
                        raise
                    logger.info("%s on %s lost a race (attempt %d); running it again", action, instance_id, attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _run(self, live: _Live, act: Callable[[BpmnWorkflow], dict[str, Any] | None], status: str | None,
             kept_messages: bool, seconds_left: float) -> _Moved:
        """Phase 2: move the workflow in memory, under what is left of the command's deadline. No
        transaction is open while user code runs."""
        row, workflow = live.row, live.workflow
        if row.status != "running":
            raise InstanceNotRunning(row.id, row.status)
        before = snapshot(workflow) if not live.fresh else None
        before_vars = {} if live.fresh else queries.variables(workflow)
        moved = _Moved(before, before_vars, {}, CommandLog(instance_id=row.id))
        token = current_log.set(moved.log)
        try:
            with command_budget(self.limits, max(seconds_left, 1e-6) if math.isfinite(seconds_left) else None):
                moved.details = act(workflow) or {}
                if status is None:
                    run_engine_steps(workflow)
                    self._deliver_buffered(live, moved, kept_messages)
        except GongzhiError:
            raise
        except Exception as exc:  # a script, expression or handler failed inside SpiffWorkflow
            raise _execution_error(exc) from exc
        finally:
            current_log.reset(token)
        return moved

    def _deliver_buffered(self, live: _Live, moved: _Moved, all_waiting: bool = False) -> None:
        """Messages that arrived early: hand each to the catch event that now waits for it, if its
        sender may send it there; a message its sender may not send is refused."""
        row, workflow = live.row, live.workflow
        waiting_before = set(moved.before.messages) if moved.before and not all_waiting else set()
        seen: set[int] = set()
        for _ in range(100):  # each delivery may lead to another catch event; never loop for ever
            waiting = snapshot(workflow).messages
            new = {name: correlation for name, (_, correlation) in waiting.items() if name not in waiting_before}
            if not new:
                return
            with self.db.read() as session:
                message = messages.find_buffered(session, row, new, self.clock.now(), seen)
            if message is None:
                return
            seen.add(message.id)
            sender = Actor.from_snapshot(message.sender) if message.sender else None
            if sender is None or not self.access.may_send(sender, row, live.bundle, waiting[message.name][0]):
                moved.refused.append(message)
                continue
            messages.catch(workflow, message.name, dict(message.variables))
            run_engine_steps(workflow)
            moved.delivered.append((message, sender))
            waiting_before = set(waiting) - {message.name}

    def _persist(self, session: Session, live: _Live, moved: _Moved, actor: Actor, action: str,
                 status: str | None, element_id: str | None, task_id: str | None) -> None:
        """Phase 3: write everything the command changed, in the caller's transaction."""
        row, workflow = live.row, live.workflow
        now = self.clock.now()
        after = snapshot(workflow)
        row.status = status or ("completed" if workflow.is_completed() else "running")
        final = live.variables = queries.variables(workflow)
        row.state = (self._codec(live.bundle).dumps(workflow) if row.status == "running"
                     else StateCodec.dumps_finished(final))
        row.updated_at = now
        session.add(row)  # a new row is inserted; a loaded one is updated with the version check
        self._claim_messages(session, row, moved, now)
        changed = queries.changed(moved.before_vars, final)
        personal = self.access.personal(live.bundle)  # what of each event is sealed apart from its hash
        audit.append(session, row.id, actor, action, now, instance=row, personal=personal, process_key=row.process_key,
                     element_id=element_id, task_id=task_id, changed=changed or None, **moved.details)
        for decision in moved.log.decisions:
            audit.append(session, row.id, actor, "decision", now, instance=row, personal=personal, **decision)
        for call in moved.log.services:
            audit.append(session, row.id, actor, "service_call", now, instance=row, personal=personal, **call)
        for message, sender in moved.delivered:
            # The sender is the actor of this event: it is their message, whoever's command delivered it.
            audit.append(session, row.id, sender, "message", now, instance=row, message=message.name,
                         message_id=message.message_id, buffered_since=message.created_at.isoformat(),
                         delivered_by={"id": actor.id, "name": actor.name})
        if row.status != "running":
            audit.append(session, row.id, actor, row.status, now, instance=row)
            if row.parent_id and row.reply_message:
                self._reply_to_parent(session, row, final, now)
        event = InstanceEvent(action, row.id, row.process_key, now, actor.id, element_id, task_id,
                              region=row.region, status=row.status, business_key=row.business_key)
        self._outbox(session, event)
        session.flush()  # one write of the instance row: the optimistic version check happens here
        sync.write_rows(session, self.script_engine, live.bundle, row, moved.before, after, actor, now)
        self._check_early_messages(session, row, moved.before, after, now)
        if self.db.dialect == "postgresql" and session.info.get("gongzhi_new_jobs"):
            session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))  # delivered on commit: wakes idle workers
        self._on_commit(session, live, event)

    @staticmethod
    def _claim_messages(session: Session, row: Instance, moved: _Moved, now: datetime) -> None:
        """Mark the early messages this command consumed or refused; one taken by another command
        since we read it means we lost a race."""
        for message, status in [*((m, "delivered") for m, _ in moved.delivered), *((m, "refused") for m in moved.refused)]:
            done = session.execute(update(MESSAGES).where(MESSAGES.c.id == message.id, MESSAGES.c.status == "buffered")
                                   .values(status=status, instance_id=row.id, delivered_at=now))
            if done.rowcount != 1:
                raise ConcurrentUpdate(row.id)

    def _check_early_messages(self, session: Session, row: Instance, before: WaitState | None, after: WaitState,
                              now: datetime) -> None:
        """A message buffered after phase 2 read the buffer, for a catch event this command starts
        waiting at: run the command again so it is delivered now, not left behind."""
        new = {name: correlation for name, (_, correlation) in after.messages.items()
               if not before or name not in before.messages}
        if new and messages.find_buffered(session, row, new, now, set(), lock=False) is not None:
            raise ConcurrentUpdate(row.id)

    def _reply_to_parent(self, session: Session, row: Instance, final: dict[str, Any], now: datetime) -> None:
        """Tell the parent instance how this one ended, through a job (never inside this transaction)."""
        payload = {"instance_id": row.id, "process_key": row.process_key, "status": row.status, "variables": final}
        session.info["gongzhi_new_jobs"] = True
        session.add(Job(kind="message", instance_id=row.id, task_id=None, element_id=None, due_at=now, status="pending",
                        attempts=0, created_at=now,
                        payload={"name": row.reply_message, "instance_id": row.parent_id,
                                 "message_id": f"{messages.SYSTEM_PREFIX}reply:{row.id}", "variables": payload}))

    def _outbox(self, session: Session, event: InstanceEvent) -> None:
        """One delivery job per interested channel, in the same transaction as the state change."""
        for channel in self.channels.values():
            if channel.accepts(event):
                session.info["gongzhi_new_jobs"] = True
                session.add(Job(kind="delivery", instance_id=event.instance_id, task_id=None, element_id=event.element_id,
                                due_at=event.at, status="pending", attempts=0, created_at=event.at,
                                payload={"event_id": str(uuid.uuid4()), "channel": channel.name, "event": event.as_dict()}))

    def _on_commit(self, session: Session, live: _Live, event: InstanceEvent) -> None:
        """After the commit (never before): keep the workflow in the cache and tell plugins."""
        pending = session.info.setdefault("gongzhi_pending", [])
        if not pending:
            sa_event.listen(session, "after_commit", self._publish, once=True)
        pending.append((live.row.id, live.row.lock_version, live.workflow, event))

    def _publish(self, session: Session) -> None:
        for instance_id, lock_version, workflow, event in session.info.pop("gongzhi_pending", []):
            if event.status == "running":  # a finished instance never moves again: nothing to keep warm
                self._live.put(instance_id, lock_version, workflow)
            try:
                self.pm.hook.gongzhi_instance_event(event=event)
            except Exception:  # an observer must not undo a committed command
                logger.exception("gongzhi_instance_event hook failed for %s", instance_id)

    def _view(self, session: Session, live: _Live, actor: Actor = SYSTEM) -> InstanceView:
        variables = live.variables if live.variables is not None else queries.variables(live.workflow)
        view = queries.instance_view(session, live.row, live.bundle.version or 0, variables)
        masker = self.access.masker(actor, live.bundle, variables)
        return view if masker is None else queries.masked_instance(view, masker)


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
