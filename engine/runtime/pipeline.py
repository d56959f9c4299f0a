"""The write path every command shares: load an instance, move it, write everything that changed.

``Engine`` inherits it; the commands in ``engine.py`` only say what to change.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterator

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import event as sa_event
from sqlalchemy import text
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
from ..store.models import Instance, Job
from . import audit, messages, queries, sync
from .snapshot import snapshot
from .state import CommandLog, StateCodec, current_log
from .views import InstanceView

NOTIFY_CHANNEL = "gongzhi_jobs"
logger = logging.getLogger("gongzhi")


@dataclass
class _Live:
    row: Instance
    bundle: ProcessBundle
    workflow: BpmnWorkflow
    variables: dict[str, Any] | None = None  # set by ``_advance``, so the view need not merge them again


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
        row = session.get(Instance, instance_id) if queries.plain_id(instance_id) else None
        if row is None or not actor.can_see(row.region):
            raise UnknownInstance(str(instance_id))
        return row

    def _load(self, session: Session, instance_id: str, actor: Actor = SYSTEM, take: bool = True) -> _Live:
        row = self._visible_instance(session, instance_id, actor)
        bundle = self.repository.bundle(session, row.version_id)
        workflow = self._live.take(row.id, row.lock_version) if take else None
        if workflow is None:
            workflow = self._codec(bundle).loads(row.state, self.script_engine)
        return _Live(row, bundle, workflow)

    def _advance(self, session: Session, live: _Live, actor: Actor, action: str,
                 mutate: Callable[[BpmnWorkflow], dict[str, Any]], *, fresh: bool = False,
                 status: str | None = None, element_id: str | None = None, task_id: str | None = None) -> None:
        """Apply ``mutate``, run to the next wait state, and write everything that changed."""
        row, workflow = live.row, live.workflow
        if row.status != "running":
            raise InstanceNotRunning(row.id, row.status)
        before = snapshot(workflow) if not fresh else None
        before_vars = {} if fresh else queries.variables(workflow)
        log = CommandLog(instance_id=row.id)
        token = current_log.set(log)
        delivered: list[Any] = []
        try:
            with command_budget(self.limits, self.limits.command_deadline_seconds):
                details = mutate(workflow) or {}
                if status is None:
                    run_engine_steps(workflow)
                    delivered = self._deliver_buffered(session, row, before, workflow)
        except GongzhiError:
            raise
        except Exception as exc:  # a script, expression or handler failed inside SpiffWorkflow
            raise _execution_error(exc) from exc
        finally:
            current_log.reset(token)
        now = self.clock.now()
        after = snapshot(workflow)
        row.status = status or ("completed" if workflow.is_completed() else "running")
        final = live.variables = queries.variables(workflow)
        row.state = (self._codec(live.bundle).dumps(workflow) if row.status == "running"
                     else StateCodec.dumps_finished(final))
        row.updated_at = now
        changed = queries.changed(before_vars, final)
        audit.append(session, row.id, actor, action, now, instance=row, process_key=row.process_key,
                     element_id=element_id, task_id=task_id, changed=changed or None, **details)
        for decision in log.decisions:
            audit.append(session, row.id, actor, "decision", now, instance=row, **decision)
        for call in log.services:
            audit.append(session, row.id, actor, "service_call", now, instance=row, **call)
        for message in delivered:
            audit.append(session, row.id, actor, "message", now, instance=row, message=message.name,
                         message_id=message.message_id, buffered_since=message.created_at.isoformat())
        if row.status != "running":
            audit.append(session, row.id, actor, row.status, now, instance=row)
            if row.parent_id and row.reply_message:
                self._reply_to_parent(session, row, final, now)
        event = InstanceEvent(action, row.id, row.process_key, now, actor.id, element_id, task_id,
                              region=row.region, status=row.status, business_key=row.business_key)
        self._outbox(session, event)
        session.flush()  # one write of the instance row: the optimistic version check happens here
        sync.write_rows(session, self.script_engine, live.bundle, row, before, after, actor, now)
        if self.db.dialect == "postgresql" and session.info.get("gongzhi_new_jobs"):
            session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))  # delivered on commit: wakes idle workers
        self._on_commit(session, live, event)

    def _deliver_buffered(self, session: Session, row: Instance, before: Any, workflow: BpmnWorkflow) -> list[Any]:
        """Messages that arrived early: hand each to the catch event that now waits for it."""
        delivered = []
        waiting_before = set(before.messages) if before else set()
        for _ in range(100):  # each delivery may lead to another catch event; never loop for ever
            waiting = snapshot(workflow).messages
            new = {name: correlation for name, (_, correlation) in waiting.items() if name not in waiting_before}
            message = messages.take_buffered(session, row, new, self.clock.now()) if new else None
            if message is None:
                return delivered
            messages.catch(workflow, message.name, dict(message.variables))
            run_engine_steps(workflow)
            delivered.append(message)
            waiting_before = set(waiting) - {message.name}
        return delivered

    def _reply_to_parent(self, session: Session, row: Instance, final: dict[str, Any], now: datetime) -> None:
        """Tell the parent instance how this one ended, through a job (never inside this transaction)."""
        payload = {"instance_id": row.id, "process_key": row.process_key, "status": row.status, "variables": final}
        session.info["gongzhi_new_jobs"] = True
        session.add(Job(kind="message", instance_id=row.id, task_id=None, element_id=None, due_at=now, status="pending",
                        attempts=0, created_at=now,
                        payload={"name": row.reply_message, "instance_id": row.parent_id, "message_id": f"reply:{row.id}",
                                 "variables": payload}))

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

    def _view(self, session: Session, live: _Live) -> InstanceView:
        variables = live.variables if live.variables is not None else queries.variables(live.workflow)
        return queries.instance_view(session, live.row, live.bundle.version or 0, variables)



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
