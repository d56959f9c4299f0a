"""The runtime: the Python API integrators call (the HTTP layer only translates it).

Every command runs in one database transaction: it loads the instance, moves
the workflow, writes the state, the work-list rows, the timer jobs and the
audit events together, and either all of it commits or none of it does.
Concurrent commands on one instance: exactly one wins, the others get a
``Conflict`` (``TaskNotOpen`` or ``ConcurrentUpdate``).
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence
from uuid import UUID

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from ..status import Action, InstanceStatus, MessageStatus, TaskStatus
from ..calendar import WORKING_HOURS, add_working_hours as calendar_add_hours, parse_working_hours
from ..calendar import add_working_days as calendar_add
from ..clock import Clock, SystemClock, utc
from ..config import Config
from ..definitions.model import DefinitionSet
from ..definitions.repository import DeployResult, Repository
from ..definitions.sources import SourceFile, bundled_path, load_sources
from ..definitions.validate import validate
from ..errors import (
    ConcurrentUpdate,
    ConfigurationError,
    Conflict,
    DefinitionInvalid,
    IdempotencyConflict,
    InvalidInput,
    NotAllowed,
    NotFound,
    Problem,
    TaskNotOpen,
    UnknownDecision,
    UnknownInstance,
    UnknownTask,
)
from ..security.identity import ADMIN_GROUP, SYSTEM, Actor, normalize_region
from ..limits import Limits
from ..rules import RuleLimits
from ..security.masking import rule_from_config
from ..hooks.directory import Directory, provided as provided_directory
from ..hooks.manager import Registry, get_plugin_manager
from ..hooks.objects import Channel, ServiceCall, ServiceTask
from ..store.db import Database
from ..store.models import Incident, Instance, Message, TaskRow
from . import audit, catalog, jobs, messages, migration, queries
from .access import Access
from .form_lists import decision_choices, directory_choices, fill_options
from .forms import Forms, bind_form, check_variable_names
from .readmodel import ReadModel
from .cases import Case, CaseRow
from .claims import Claims
from .commands import NOTIFY_CHANNEL, Command, CommandRunner, Loader
from .watchdog import Watchdog
from ..spiff.snapshot import correlation_key
from ..spiff.script_engine import ScriptEngine
from ..checks import check_json, max_json_depth, plain_id
from .views import InstanceView, Page, TaskView

__all__ = ["Engine", "NOTIFY_CHANNEL"]

_UNSET = object()
_TASK_INSTANCE = select(TaskRow.instance_id, TaskRow.status).where(TaskRow.id == bindparam("k_id"))



class Engine:
    """One Gongzhi engine: a database, deployed definitions, plugins and a clock.

    Its commands (``start``, ``complete``, ``send_message``, ...) say what to load and what to
    change; ``self.runner`` (a ``CommandRunner``) runs every one of them the same way.
    """

    def __init__(
        self,
        config: Config | Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
        plugins: Sequence[Any] = (),
    ) -> None:
        self.config = config if isinstance(config, Config) else Config.load(config)
        self.clock = clock or SystemClock()
        self.pm = get_plugin_manager(plugins, self.config.disable_plugins)
        self.services: Registry[ServiceTask] = Registry.collect(self.pm, "gongzhi_register_service_tasks", "service task")
        self.channels: Registry[Channel] = Registry.collect(self.pm, "gongzhi_register_channels", "outbox channel")
        self.forms = Forms(Registry.collect(self.pm, "gongzhi_register_form_formats", "form format").values())
        self.services.add(ServiceTask("gongzhi.start_process", self._start_child, "发起另一个流程并可等待其结果"), "gongzhi.engine")
        self.db = Database(self.config.database_url)
        self.claims = Claims(self.db, self.clock, timedelta(seconds=self.config.idempotency_stale_seconds))
        audit.bind_engine(self)  # the audit key ring, found again from each session's database
        self.repository = Repository()
        self.calendar = self.pm.hook.gongzhi_calendar()
        self._directory: object = _UNSET
        self.working_hours = _working_hours(self.config.extra.get("working_hours"))
        self.limits = Limits.from_config(self.config.extra)
        self.rule_limits = RuleLimits.from_config(self.config.extra)
        self.script_engine = ScriptEngine(self.clock, self.services, self._expression_functions(), engine=self)
        self.script_engine.decisions = self._decision_in_force  # business-rule tasks bind when they run
        self.access = Access(self.config.resident_groups, rule_from_config(self.config.extra))
        self.watchdog = Watchdog(self.db, self.clock, self.limits.command_deadline_seconds,
                                 grace_seconds=float(self.config.extra.get("stuck_grace_seconds") or 5.0))
        self._json_depth = max_json_depth(self.config)  # how deeply nested variables may be
        self.runner = CommandRunner(
            db=self.db, repository=self.repository, access=self.access, script_engine=self.script_engine,
            channels=self.channels, clock=self.clock, watchdog=self.watchdog, limits=self.limits, plugins=self.pm,
            cache_size=self.config.cache_size)
        self.read = ReadModel(self)  # the public read model (cases, tasks, variables, audit records)
        self.pm.hook.gongzhi_engine_ready(engine=self)  # last: plugins may keep the finished engine

    # --- set-up ------------------------------------------------------------------

    @property
    def directory(self) -> Directory | None:
        """The organisation directory a plugin provides (``gongzhi_directory``), or None; read once."""
        if self._directory is _UNSET:
            self._directory = provided_directory(self.pm)
        return self._directory  # type: ignore[return-value]

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """An ORM write transaction for the writes outside the command runner (deploy, claim, messages kept
        for later, incidents); a lost race is ConcurrentUpdate."""
        try:
            with self.db.write() as session:
                yield session
        except StaleDataError as exc:
            raise ConcurrentUpdate() from exc
        except IntegrityError as exc:
            if "uq_gz_audit_chain_seq" in str(exc.orig) or "gz_audit_event.chain" in str(exc.orig):
                raise ConcurrentUpdate() from exc  # two commands appended to one chain at once; the other won
            raise Conflict("并发写入冲突，请重试 (integrity conflict)") from exc

    def close(self) -> None:
        """Close the database connections (the engine can be used again; it reconnects)."""
        self.watchdog.stop()
        self.db.dispose()

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _expression_functions(self) -> dict[str, Callable[..., Any]]:
        """Functions every BPMN expression and script may call."""

        def add_working_days(days: int) -> str:
            """ISO time ``days`` working days from now, e.g. a timeDate of ``add_working_days(3)``."""
            return calendar_add(self.calendar, self.clock.now(), int(days)).isoformat()

        def add_working_hours(hours: float) -> str:
            """ISO time ``hours`` of office time from now (``GONGZHI_WORKING_HOURS``), e.g. a sign-in limit."""
            return calendar_add_hours(self.calendar, self.clock.now(), float(hours), self.working_hours).isoformat()

        def now() -> str:
            """The engine clock's time, ISO 8601 (so tests that move the clock see it)."""
            return self.clock.now().isoformat()

        return {"add_working_days": add_working_days, "add_working_hours": add_working_hours, "now": now}

    def upgrade_db(self) -> None:
        """Create or upgrade the database schema (Alembic migrations).

        After an upgrade from 0.1 it also takes the first audit checkpoint, which seals
        the events written without a key (see docs/audit.md).
        """
        self.db.upgrade()
        audit.seal_legacy(self)

    def definition_paths(self) -> list[Path]:
        """The bundled definitions, configured folders, and folders plugins add."""
        paths = [bundled_path(), *map(Path, self.config.definitions)]
        for extra in self.pm.hook.gongzhi_definition_paths():
            paths.extend(Path(p) for p in extra or ())
        return paths

    def validate(self, paths: Sequence[str | Path] | None = None) -> list[Problem]:
        """Every problem in the definitions at ``paths`` (default: ``definition_paths()``)."""
        sources = load_sources(paths or self.definition_paths())
        return validate(DefinitionSet(sources), set(self.services))

    def deploy(self, paths: Sequence[str | Path] | None = None, actor: Actor = SYSTEM,
               sources: Sequence[SourceFile] | None = None, region: str | None = None) -> DeployResult:
        """Validate and deploy; unchanged processes and decisions create no new version.

        Without ``region`` the files are in force everywhere: that needs the ``admin`` group (or a
        deploy account tied to no region). A designer with the ``deploy`` permission and a region
        deploys decision tables for a ``region`` they govern (their street, or their district):
        that region's own versions, which win over the wider ones for its cases. Processes and
        forms are never regional.
        """
        region = self._deploy_region(actor, region)
        files = list(sources) if sources is not None else load_sources(paths or self.definition_paths())
        if region and any(f.kind != "dmn" for f in files):
            raise DefinitionInvalid([Problem(f.name, "按区域部署只能是决策表（.dmn）；流程与表单只能由管理员部署到全区",
                                             code="regional-deploy") for f in files if f.kind != "dmn"])
        prepared = self.repository.prepare(files, set(self.services))
        now = self.clock.now()
        with self._write() as session:
            result = self.repository.deploy(session, prepared, actor.id, now, region=region)
            if result.created:
                audit.append(session, "system", actor, "deploy", now, created=result.created)
        return result

    @staticmethod
    def _deploy_region(actor: Actor, region: str | None) -> str:
        """The region a deployment is for, if the actor may deploy there."""
        if not actor.is_admin and "deploy" not in actor.permissions:
            raise NotAllowed("部署流程定义需要管理员或 deploy 权限")
        target = normalize_region(region) if region else ""
        if actor.is_admin:
            return target
        if not target:
            if not actor.scoped_regions:  # an installation's deploy account, tied to no region
                return target
            raise NotAllowed("部署到全区需要管理员；请指定本人管辖的区域（部署该区域自己的决策表）", permission="admin")
        if not actor.can_see(target):
            raise NotAllowed(f"只能为本人管辖的区域部署决策表，{target} 不在其中", region=target)
        return target

    # --- commands ------------------------------------------------------------------

    def start(self, process_key: str, actor: Actor, variables: Mapping[str, Any] | None = None, *,
              business_key: str | None = None, region: str | None = None, parent_id: str | None = None,
              reply_message: str | None = None, owner: str | None = None) -> InstanceView:
        """Start the latest version of ``process_key`` with ``variables``.

        The case belongs to ``owner`` (default: the actor); only an admin (an adapter acting for a
        resident) may start a case for someone else. An instance started by another one names it in
        ``parent_id``; when it ends, message ``reply_message`` (if given) tells the parent how it ended.
        """
        variables = dict(variables or {})
        check_json(variables, max_depth=self._json_depth)
        check_variable_names(variables)
        region = normalize_region(actor.region if region is None else region)
        if not actor.can_see(region):
            raise NotAllowed(f"不能在管辖范围以外的区域 '{region}' 发起流程", region=region)
        if business_key is not None and (not plain_id(business_key) or not business_key.strip()):
            raise InvalidInput("business_key 必须是非空字符串", errors=[{"field": "business_key", "message": "非空字符串"}])
        if owner is not None and owner != actor.id and not actor.is_admin:
            raise NotAllowed("只有管理员（如接入渠道）可以代居民发起流程", owner=owner)
        if owner is not None and not plain_id(owner):
            raise InvalidInput("owner 无效", errors=[{"field": "owner", "message": "1–128 个字符"}])

        def load(loader: Loader) -> Case:
            version = self.repository.latest(loader.session, process_key)
            bundle = self.repository.bundle(loader.session, version.id)
            if bundle.start_form is not None:
                self.forms.validate(self.served_form(bundle.start_form, region=region, session=loader.session), variables)
            now = self.clock.now()
            row = CaseRow(id=str(uuid.uuid4()), process_key=process_key, version_id=version.id, status=InstanceStatus.RUNNING,
                          business_key=business_key, region=region, started_by=actor.id, owner=owner or actor.id,
                          created_at=now, updated_at=now, parent_id=parent_id, reply_message=reply_message,
                          audit_seq=0, audit_hash=audit.GENESIS, lock_version=0)
            workflow = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=self.script_engine)
            data = workflow.get_tasks(state=TaskState.READY)[0].data
            data.update(variables)
            if bundle.started_by_variable:  # after the form data, so the form cannot set it
                data[bundle.started_by_variable] = {"id": actor.id, "name": actor.name or actor.id, "admin": actor.is_admin}
            return Case(row, bundle, workflow, {}, fresh=True)

        return self.runner.run(Command(Action.START, actor, load, lambda case: {"variables": variables}))

    def complete(self, task_id: str, actor: Actor, data: Mapping[str, Any] | None = None) -> InstanceView:
        """Complete an open user task with form ``data`` (validated against its form)."""
        data = dict(data or {})
        check_json(data, "data", max_depth=self._json_depth)
        check_variable_names(data, "data")

        def load(loader: Loader) -> Case:
            case, task = self._open_task(loader, task_id, actor)
            if task.assignee not in (None, actor.id) and not actor.is_admin:
                raise NotAllowed(f"“{task.name}” 已由他人认领", task_id=task_id, assignee=task.assignee)
            spiff = self._ready_task(case, task_id)
            meta = case.bundle.meta(spiff.workflow.spec.name, spiff.task_spec.bpmn_id)
            if meta is not None and meta.form is not None:
                served = self.served_form(meta.form, spiff.data, case.row.region, loader.session)
                self.forms.validate(served, data, task_id=task_id)  # as served
            loader.element_id = task.element_id
            return case

        def act(case: Case) -> dict[str, Any]:
            spiff = self._ready_task(case, task_id)
            spiff.data.update(data)
            meta = case.bundle.meta(spiff.workflow.spec.name, spiff.task_spec.bpmn_id)
            if meta is not None and meta.completed_by_variable:  # after the form data, so the form cannot set it
                spiff.data[meta.completed_by_variable] = {"id": actor.id, "name": actor.name or actor.id}
            spiff.run()
            return {"data": data}

        return self.runner.run(Command(Action.COMPLETE, actor, load, act, task_id=task_id))

    def claim(self, task_id: str, actor: Actor) -> TaskView:
        """Take an open task so it leaves the group's list and only ``actor`` may complete it."""
        with self._write() as session:
            row = self._open_task_row(session, task_id, actor)
            if row.assignee == actor.id:
                return queries.task_view(row)
            if row.assignee is not None:
                raise Conflict("任务已被他人认领", task_id=task_id, assignee=row.assignee)
            # A conditional update, so two simultaneous claims cannot both win: on PostgreSQL the second
            # waits for the first's row lock and then finds the task taken (0 rows), like SQLite's serial writes.
            won = session.execute(update(TaskRow).where(
                TaskRow.id == task_id, TaskRow.assignee.is_(None), TaskRow.status == TaskStatus.OPEN,
            ).values(assignee=actor.id).execution_options(synchronize_session=False)).rowcount
            if not won:
                raise Conflict("任务已被他人认领", task_id=task_id)
            set_committed_value(row, "assignee", actor.id)
            instance = session.get(Instance, row.instance_id)
            audit.append(session, row.instance_id, actor, "claim", self.clock.now(), instance=instance,
                         element_id=row.element_id, task_id=task_id)
            return queries.task_view(row)

    def correlate(self, message_name: str, actor: Actor, variables: Mapping[str, Any] | None = None, *,
                  business_key: str | None = None, instance_id: str | None = None,
                  correlation: Mapping[str, Any] | None = None) -> InstanceView:
        """Deliver a message to the one instance waiting for it now, found by business key,
        instance id or the values of the message's correlation properties; NotFound if none waits."""
        variables = dict(variables or {})
        key = self._check_message(message_name, variables, business_key, instance_id, correlation, None)

        def load(loader: Loader) -> Case:
            return self._subscriber(loader, message_name, actor, business_key, instance_id, key)

        def deliver(case: Case) -> dict[str, Any]:
            messages.catch(case.workflow, message_name, variables)
            return {"message": message_name, "variables": variables}

        return self.runner.run(Command(Action.MESSAGE, actor, load, deliver))

    def send_message(self, message_name: str, actor: Actor, variables: Mapping[str, Any] | None = None, *,
                     business_key: str | None = None, instance_id: str | None = None,
                     correlation: Mapping[str, Any] | None = None, message_id: str | None = None,
                     ttl_seconds: float | None = None) -> messages.MessageReceipt:
        """Deliver a message, or keep it until an instance with that key waits for it.

        Kept for ``ttl_seconds`` (default ``MESSAGE_TTL_SECONDS``); ``ttl_seconds=0`` means
        now or never: NotFound when no instance waits. The same ``message_id`` twice is
        accepted once: the second call returns the first receipt. A kept message keeps its
        sender and is delivered only if the sender may send it to the instance that then waits.
        """
        variables = dict(variables or {})
        key = self._check_message(message_name, variables, business_key, instance_id, correlation, message_id,
                                  internal=actor is SYSTEM)
        ttl = self.config.message_ttl_seconds if ttl_seconds is None else ttl_seconds
        with self.db.read() as session:
            seen = self._seen_message(session, message_id, message_name, business_key, variables)
            if seen is not None:
                return seen
            try:
                queries.subscriber(session, message_name, actor, business_key, instance_id, key)
                waiting = True
            except NotFound:
                waiting = False
        if not waiting:
            if ttl <= 0:
                raise NotFound(f"没有正在等待消息 '{message_name}' 的流程实例", message_name=message_name)
            kept = self._keep_message(message_name, actor, variables, business_key, instance_id, key, message_id, ttl)
            if kept is not None:
                return kept
        record: dict[str, Any] = {}

        def load(loader: Loader) -> Case:
            return self._subscriber(loader, message_name, actor, business_key, instance_id, key)

        def deliver(case: Case) -> dict[str, Any]:
            messages.catch(case.workflow, message_name, variables)
            return {"message": message_name, "message_id": message_id, "variables": variables}

        def store(conn: Any, case: Case) -> None:
            now = self.clock.now()
            record.update(message_id=message_id, name=message_name, business_key=business_key, correlation=key,
                          instance_id=case.id, region=actor.region, sender=actor.snapshot(), variables=variables,
                          status=MessageStatus.DELIVERED, created_at=now, expires_at=now + timedelta(seconds=max(ttl, 0)),
                          delivered_at=now)
            conn.execute(insert(Message.__table__).values(record))  # the unique message id decides a race

        def answer(conn: Any, case: Case) -> messages.MessageReceipt:
            return messages.MessageReceipt(MessageStatus.DELIVERED, message_id, case.id, utc(record["expires_at"]),
                                           self.runner.view(case, actor))

        try:
            return self.runner.run(Command(Action.MESSAGE, actor, load, deliver, before_persist=store, answer=answer))
        except Conflict:
            with self.db.read() as session:
                seen = self._seen_message(session, message_id, message_name, business_key, variables)
            if seen is None:
                raise
            return seen

    def _seen_message(self, session: Session, message_id: str | None, name: str, business_key: str | None,
                      variables: dict[str, Any]) -> messages.MessageReceipt | None:
        if not message_id:
            return None
        seen = session.scalar(select(Message).where(Message.message_id == message_id))
        if seen is None:
            return None
        if (seen.name, seen.business_key, seen.variables) != (name, business_key, variables):
            raise IdempotencyConflict(f"消息编号 {message_id} 已用于另一条消息", message_id=message_id)
        return messages.receipt_of(seen)

    def _keep_message(self, name: str, actor: Actor, variables: dict[str, Any], business_key: str | None,
                      instance_id: str | None, key: str | None, message_id: str | None,
                      ttl: float) -> messages.MessageReceipt | None:
        """Buffer a message nobody waits for; None when an instance started waiting meanwhile."""
        try:
            with self._write() as session:
                try:
                    queries.subscriber(session, name, actor, business_key, instance_id, key)
                    return None  # someone waits now: deliver instead
                except NotFound:
                    pass
                now = self.clock.now()
                record = Message(message_id=message_id, name=name, business_key=business_key, correlation=key,
                                 instance_id=instance_id, region=actor.region, sender=actor.snapshot(),
                                 variables=variables, status=MessageStatus.BUFFERED, created_at=now,
                                 expires_at=now + timedelta(seconds=ttl), delivered_at=None)
                session.add(record)
                session.flush()  # the unique message id decides a race between two sends of it
                return messages.receipt_of(record)
        except Conflict:
            with self.db.read() as session:
                seen = self._seen_message(session, message_id, name, business_key, variables)
            if seen is None:
                raise
            return seen

    def _subscriber(self, loader: Loader, message_name: str, actor: Actor, business_key: str | None,
                    instance_id: str | None, key: str | None) -> Case:
        """The waiting case, if the actor may send it this message (403 if not)."""
        target, element_id = queries.subscriber(loader.session, message_name, actor, business_key, instance_id, key)
        case = loader.case(target)
        if not self.access.may_send(actor, case.row, case.bundle, element_id):
            groups = "、".join(case.bundle.senders(element_id)) or "管理员"
            raise NotAllowed(f"消息“{message_name}”只能由 {groups} 发送", message_name=message_name)
        return case

    def _check_message(self, name: str, variables: dict[str, Any], business_key: str | None, instance_id: str | None,
                       correlation: Mapping[str, Any] | None, message_id: str | None, internal: bool = False) -> str | None:
        check_json(variables, max_depth=self._json_depth)
        check_variable_names(variables)
        for field, value in (("name", name), ("business_key", business_key), ("instance_id", instance_id),
                             ("message_id", message_id)):
            if value is not None and not plain_id(value):
                raise InvalidInput(f"{field} 无效", errors=[{"field": field, "message": "1–128 个字符，不含空字符"}])
        if message_id and message_id.startswith(messages.SYSTEM_PREFIX) and not internal:
            raise InvalidInput(f"消息编号不能以 {messages.SYSTEM_PREFIX} 开头（系统保留）",
                               errors=[{"field": "message_id", "message": "系统保留的前缀"}])
        if correlation is not None:
            check_json(dict(correlation), "correlation", max_depth=self._json_depth)
        if not business_key and not instance_id and not correlation:
            raise InvalidInput("消息需要 business_key、correlation 或 instance_id 之一来找到流程实例",
                               errors=[{"field": "business_key", "message": "必填其一"}])
        return correlation_key(dict(correlation)) if correlation else None

    def cancel(self, instance_id: str, actor: Actor, reason: str = "") -> InstanceView:
        """Stop a running instance; its open tasks and timers are withdrawn."""

        def load(loader: Loader) -> Case:
            case = loader.case(instance_id, actor)
            if not actor.is_admin and actor.id != case.row.started_by:
                raise NotAllowed("只有发起人或管理员可以撤销流程", instance_id=instance_id)
            return case

        def stop(case: Case) -> dict[str, Any]:
            case.workflow.cancel()
            return {"reason": reason}

        return self.runner.run(Command(Action.CANCEL, actor, load, stop, status=InstanceStatus.CANCELLED))

    def migrate(self, process_key: str, to_version: int, actor: Actor, *, instance_ids: Sequence[str] | None = None,
                mapping: Mapping[str, str] | None = None, dry_run: bool = True) -> migration.MigrationResult:
        """Move running cases of ``process_key`` to its version ``to_version`` (admins only).

        With ``dry_run`` (the default) nothing changes: the answer says, per case, whether it can
        move and why not. A case moves when every task it has is in the new version (or
        ``mapping`` names the renamed element: old id -> new id) and the elements where it stands
        are unchanged; each move is audited (``migrate``) and can be reverted.
        """
        run = migration.plan if dry_run else migration.apply
        return run(self, process_key, to_version, actor, instance_ids=instance_ids, mapping=mapping)

    def revert_migration(self, instance_id: str, actor: Actor) -> migration.InstancePlan:
        """Move a migrated case back to the version it came from (admins only)."""
        return migration.revert(self, instance_id, actor)

    def fire_due_timers(self) -> int:
        """Fire every timer due by the engine clock, here and now; returns how many jobs ran."""
        return self.run_due_jobs(kinds=("timer",))

    def run_due_jobs(self, kinds: tuple[str, ...] | None = None, worker_id: str = "inline") -> int:
        """Run due background jobs in this thread until none is left (what ``gongzhi worker --once`` does);
        returns how many ran."""
        return jobs.run_due(self, worker_id, kinds=kinds)

    def incidents(self, actor: Actor) -> list[dict[str, Any]]:
        """Jobs that failed after their retries, inside the actor's region; for admins only (an
        error may quote a case's data)."""
        if not actor.is_admin:
            return []
        with self.db.read() as session:
            return [jobs.describe(i) for i in jobs.open_incidents(session, queries.in_region(Incident.region, actor))]

    def retry_incident(self, incident_id: int, actor: Actor) -> dict[str, Any]:
        """After fixing the cause: run the failed job again with a fresh set of tries."""
        with self._write() as session:
            incident = session.get(Incident, incident_id) if isinstance(incident_id, int) else None
            if incident is None or not actor.can_see(incident.region):
                raise NotFound(f"故障 {incident_id} 不存在或不在您的管辖范围内", incident_id=incident_id)
            if incident.resolved_at is not None:
                raise Conflict(f"故障 {incident_id} 已于 {incident.resolved_at} 处理", incident_id=incident_id)
            if not actor.is_admin:
                raise NotAllowed("只有管理员可以重试故障", incident_id=incident_id)
            now = self.clock.now()
            jobs.retry_incident(session, incident, actor.id, now)
            if incident.instance_id:
                audit.append(session, incident.instance_id, actor, "incident_retry", now,
                             instance=session.get(Instance, incident.instance_id), element_id=incident.element_id,
                             incident_id=incident.id)
            return jobs.describe(incident)

    # --- forms -----------------------------------------------------------------------

    def served_form(self, form: Mapping[str, Any], data: Mapping[str, Any] | None = None, region: str = "",
                    session: Session | None = None) -> Any:
        """``form`` as clients see it and submissions are checked against: ``x-bind`` limits from the
        case's ``data``, ``x-options`` lists from the directory and the decisions in force in ``region``."""
        bound = bind_form(form, data) if data is not None else form
        return fill_options(bound, lambda spec: self._form_choices(spec, region, session))

    def _form_choices(self, spec: Mapping[str, Any], region: str, session: Session | None) -> list[tuple[Any, str]]:
        if spec.get("source") == "directory":
            return directory_choices(self.directory, str(spec.get("list")), region)
        if spec.get("source") == "decision" and isinstance(spec.get("decision"), str):
            try:
                if session is not None:  # inside a command: its own session sees what it deployed
                    deployed = self.repository.decision(session, spec["decision"], region)
                else:
                    with self.db.read() as reading:
                        deployed = self.repository.decision(reading, spec["decision"], region)
            except UnknownDecision:
                return []  # not deployed (yet): the form's literal list, if any, stands
            column = spec.get("input")
            return decision_choices(deployed.model, deployed.decision_id, str(spec.get("output")),
                                    input_column=None if column is None else str(column))
        return []

    # --- queries ---------------------------------------------------------------------

    def definitions(self) -> list[dict[str, Any]]:
        """Every deployed process: key, name, latest version and how many versions exist."""
        return catalog.definitions(self)

    def definition(self, key: str) -> dict[str, Any]:
        """A deployed process with its versions and the start form of the latest one."""
        return catalog.definition(self, key)

    def definition_xml(self, key: str, version: int | None = None) -> tuple[str, bytes]:
        """(file name, BPMN XML) of a process version (default: the latest), for modelers."""
        return catalog.definition_xml(self, key, version)

    def decisions(self) -> list[dict[str, Any]]:
        """Every deployed decision with its inputs, outputs and rules (id, number, description, cells)."""
        return catalog.decisions(self)

    def instance(self, instance_id: str, actor: Actor) -> InstanceView:
        """One case with its variables and open tasks, if the actor may read it (masked without ``pii``)."""
        with self.db.read() as session:
            return self.runner.view(self.runner.case(session, instance_id, actor, workflow=False), actor)

    def instances(self, actor: Actor, **filters: Any) -> Page[InstanceView]:
        """The cases the actor may read (see ``runtime.access``), newest first; no variables."""
        with self.db.read() as session:
            readable = self.access.readable(session, actor, self.repository)
            return queries.instances(session, actor, readable=readable, **filters)

    def task(self, task_id: str, actor: Actor) -> TaskView:
        """One task with its form, rendered instructions and the data the actor may see.

        The person who may work on an open task sees the personal variables the task declares it
        needs (property ``personalDataNeeded``) unmasked; everything else is masked without ``pii``.
        """
        with self.db.read() as session:
            row, case = self._readable_task(session, task_id, actor)
            may_act = row.status == TaskStatus.OPEN and self.access.may_act(actor, row, case.row.owner)

            def masking(meta: Any) -> Any:
                reveal = meta.reveal if meta is not None and may_act else ()
                return self.access.masker(actor, case.bundle, case.variables, reveal)

            def serve(form: Any, data: Mapping[str, Any]) -> Any:
                return self.served_form(form, data, case.row.region, session)

            return queries.task_detail(row, case.bundle, case.workflow, masking, serve)

    def tasks(self, actor: Actor, **filters: Any) -> Page[TaskView]:
        """The actor's work list: open tasks offered to their groups in their regions, or claimed by them."""
        with self.db.read() as session:
            return queries.tasks(session, actor, self.clock.now(), resident_groups=self.access.resident_groups,
                                 **filters)

    def history(self, instance_id: str, actor: Actor) -> list[dict[str, Any]]:
        """The instance's audit trail; residents' personal data masked unless the actor has ``pii``;
        values erased by retention read ``已删除``."""
        with self.db.read() as session:
            case = self.runner.case(session, instance_id, actor, workflow=False)
            events = queries.history(session, instance_id, erased=audit.ERASED)
        masker = self.access.masker(actor, case.bundle, case.variables)
        return events if masker is None else [masker.event(e) for e in events]

    def evaluate_decision(self, decision: str, inputs: Mapping[str, Any], region: str = "",
                          at: datetime | None = None) -> dict[str, Any]:
        """Evaluate a deployed DMN decision (by id or name): the version in force for ``region``,
        resolved as a business-rule task of a case there resolves it (a street's own table first);
        ``at``: the version that was in force then (a report's period), not the latest."""
        check_json(dict(inputs), "inputs", max_depth=self._json_depth)
        region = normalize_region(region) if region else ""
        if at is not None and not isinstance(at, datetime):
            raise InvalidInput("at 须为时间（datetime）", errors=[{"field": "at", "message": "datetime"}])
        with self.db.read() as session:
            deployed = self.repository.decision(session, decision, region, at)
        outcome = deployed.model.evaluate(deployed.decision_id, inputs, limits=self.rule_limits, now=self.clock.now())
        return {**outcome.as_dict(), "decision_version": deployed.version, "decision_region": deployed.region}

    def _decision_in_force(self, decision_id: str, region: str) -> Any:
        """The DeployedDecision a business-rule task of a case in ``region`` evaluates (None: none deployed)."""
        try:
            with self.db.read() as session:
                return self.repository.decision(session, decision_id, region)
        except UnknownDecision:
            return None  # only parsed, never deployed (a dry run): the table that came with the process

    def verify_audit(self, checkpoints: bool = False) -> audit.VerifyReport:
        """Recompute every audit chain and keyed hash; with ``checkpoints``, compare with the signed checkpoints too."""
        docs = list(audit.sink_for(self).read()) if checkpoints else None
        with self.db.read() as session:
            return audit.verify(session, checkpoints=docs)

    def verify_instance_audit(self, instance_id: str, actor: Actor) -> audit.VerifyReport:
        """Recompute the audit chain of one case the actor may read (what ``gongzhi audit verify`` does for all)."""
        with self.db.read() as session:
            self.runner.case(session, instance_id, actor, workflow=False)  # NotFound unless readable
            return audit.verify_chain(session, instance_id)

    # --- command helpers -----------------------------------------------------------

    def _readable_task(self, session: Session, task_id: str, actor: Actor) -> tuple[TaskRow, Case]:
        """A task the actor may work on, or whose case they may read; UnknownTask otherwise."""
        row = session.get(TaskRow, task_id) if plain_id(task_id) else None
        if row is None:
            raise UnknownTask(str(task_id))
        instance = session.get(Instance, row.instance_id)
        reader = SYSTEM if self.access.may_act(actor, row, instance.owner) else actor
        try:
            return row, self.runner.case(session, row.instance_id, reader, workflow=row.status == TaskStatus.OPEN)
        except UnknownInstance:
            raise UnknownTask(str(task_id)) from None

    def _open_task_row(self, session: Session, task_id: str, actor: Actor) -> TaskRow:
        """An open task's row the actor may work on: 404 if they cannot see it, 403 if they can see it but
        it is not theirs to do, 409 if it is not open."""
        row = session.get(TaskRow, task_id) if plain_id(task_id) else None
        if row is None:
            raise UnknownTask(str(task_id))
        instance = session.get(Instance, row.instance_id)
        if not self.access.may_act(actor, row, instance.owner):
            if not actor.can_see(row.region) or not self.access.may_read(
                    session, instance, self.repository.bundle(session, instance.version_id), actor):
                raise UnknownTask(str(task_id))
            raise NotAllowed(f"“{row.name}” 不在您的办理范围内", task_id=task_id)
        if row.status != TaskStatus.OPEN:
            raise TaskNotOpen(task_id, row.status)
        return row

    def _open_task(self, loader: Loader, task_id: str, actor: Actor) -> tuple[Case, Any]:
        """The case and the open task the actor may work on, checked on the case: 404 if they may not see it,
        403 if they may see it but it is not theirs to do, 409 if it is not open."""
        instance_id = self.runner.cache.instance_of(task_id) if plain_id(task_id) else None
        status = TaskStatus.OPEN
        if instance_id is None:
            found = loader.session.connection().execute(_TASK_INSTANCE, {"k_id": task_id}).first() \
                if plain_id(task_id) else None
            if found is None:
                raise UnknownTask(str(task_id))
            instance_id, status = found
        try:
            case = loader.case(instance_id)
        except UnknownInstance:
            raise UnknownTask(str(task_id)) from None
        task = case.tasks.get(task_id)
        if task is not None and self.access.may_act(actor, task, case.row.owner):
            return case, task
        if not self.access.may_read(loader.session, case.row, case.bundle, actor):
            raise UnknownTask(str(task_id))
        if task is None:
            raise TaskNotOpen(task_id, status if status != TaskStatus.OPEN else "unknown")
        raise NotAllowed(f"“{task.name}” 不在您的办理范围内", task_id=task_id)

    @staticmethod
    def _ready_task(case: Case, task_id: str) -> Any:
        task = case.workflow.get_task_from_id(UUID(task_id))
        if task is None or task.state != TaskState.READY:
            raise TaskNotOpen(task_id, TaskState.get_name(task.state) if task else "missing")
        return task

    def _start_child(self, call: ServiceCall) -> dict[str, Any]:
        """Operator ``gongzhi.start_process``: start another process for this instance (idempotently)."""
        params = call.params
        key, reply = params.get("process_key"), params.get("reply_message")
        if not isinstance(key, str) or not key:
            raise InvalidInput("gongzhi.start_process 需要参数 process_key")
        # The task id keeps two passes of one element (a loop, a multi-instance) apart; a retried job
        # of the same pass finds the child it already started.
        business_key = params.get("business_key") or f"{call.instance_id}:{call.element_id}:{call.task_id}"
        with self.db.read() as session:
            parent = session.get(Instance, call.instance_id)
            existing = session.scalar(select(Instance.id).where(Instance.business_key == business_key,
                                                                Instance.process_key == key))
        if existing is None:  # a retried job finds the child it already started
            starter = Actor.of(parent.started_by, "", (ADMIN_GROUP,), parent.region)
            existing = self.start(key, starter, dict(params.get("variables") or {}), business_key=business_key,
                                  region=parent.region, parent_id=parent.id, reply_message=reply,
                                  owner=parent.owner).id
        return {"instance_id": existing, "business_key": business_key}


def _working_hours(raw: Any) -> Any:
    """Office periods from ``GONGZHI_WORKING_HOURS`` (``"08:30-12:00,13:30-17:30"``), or the default."""
    if raw in (None, ""):
        return WORKING_HOURS
    try:
        return parse_working_hours(str(raw))
    except ValueError as exc:
        raise ConfigurationError(f"invalid GONGZHI_WORKING_HOURS = {raw!r}: {exc}") from exc
