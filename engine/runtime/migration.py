"""Instance migration: running cases of a process moved to another of its versions, with a dry run.

``plan`` says, per running case, whether it can move and why not (``gongzhi.spiff.migration``
decides: every task's element exists in the target version, or is mapped, and the elements
where the case stands are unchanged). ``apply`` moves the cases that can, each in its own
command: the state, the version, the audit event ``migrate`` (from and to, the mapping) and the
work-list rows commit together; task history, data and the audit chain stay. A migration is
reverted by migrating back (``revert`` finds the version each case came from in its audit).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Mapping, Sequence
from uuid import UUID

from sqlalchemy import select, update

from ..checks import plain_id
from ..errors import Conflict, InvalidInput, NotAllowed, UnknownInstance, UnknownProcess
from ..security.identity import SYSTEM, Actor
from ..spiff import migration as spiff_migration
from ..status import InstanceStatus
from ..store.models import AuditEvent, DefinitionVersion, Instance
from .cases import INSTANCES, TASKS, Case
from .commands import Command, Loader

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine

__all__ = ["InstancePlan", "MigrationResult", "plan", "apply", "revert", "MAX_INSTANCES"]

MAX_INSTANCES = 1000  # one request moves at most this many cases
ACTION = "migrate"


@dataclass(frozen=True)
class InstancePlan:
    """What migrating one case would do (or did)."""

    instance_id: str
    from_version: int
    to_version: int
    ok: bool
    refusals: list[str] = field(default_factory=list)
    live: list[str] = field(default_factory=list)  # where the case stands (element names)
    migrated: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"instance_id": self.instance_id, "from_version": self.from_version, "to_version": self.to_version,
                "ok": self.ok, "refusals": self.refusals, "live": self.live, "migrated": self.migrated}


@dataclass(frozen=True)
class MigrationResult:
    process_key: str
    to_version: int
    dry_run: bool
    instances: list[InstancePlan]

    def as_dict(self) -> dict[str, Any]:
        return {"process_key": self.process_key, "to_version": self.to_version, "dry_run": self.dry_run,
                "instances": [i.as_dict() for i in self.instances],
                "movable": sum(i.ok for i in self.instances), "refused": sum(not i.ok for i in self.instances)}


def _admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise NotAllowed("迁移运行中的案件需要管理员", permission="admin")


def _check_mapping(mapping: Mapping[str, str] | None) -> dict[str, str]:
    mapping = dict(mapping or {})
    bad = [k for k, v in mapping.items() if not (plain_id(k) and plain_id(v))]
    if bad or len(mapping) > 500:
        raise InvalidInput("环节对应关系应为“原环节编号 → 新环节编号”，每项都是不超过 128 个字符的编号，最多 500 项",
                           errors=[{"field": f"mapping.{k}", "message": "编号无效"} for k in bad[:20]] or
                           [{"field": "mapping", "message": "最多 500 项"}])
    return mapping


def _target(engine: "Engine", session: Any, process_key: str, to_version: int) -> Any:
    if not isinstance(to_version, int) or isinstance(to_version, bool) or not 1 <= to_version <= 2**31 - 1:
        raise InvalidInput("目标版本应为正整数", errors=[{"field": "to_version", "message": "正整数"}])
    row = session.scalar(select(DefinitionVersion).where(
        DefinitionVersion.kind == "process", DefinitionVersion.key == process_key, DefinitionVersion.version == to_version))
    if row is None:
        raise UnknownProcess(f"{process_key} v{to_version}")
    return engine.repository.bundle(session, row.id)


def _running(session: Any, process_key: str, instance_ids: Sequence[str] | None) -> list[str]:
    query = select(Instance.id).where(Instance.process_key == process_key, Instance.status == InstanceStatus.RUNNING)
    if instance_ids is not None:
        ids = [i for i in instance_ids if plain_id(i)]
        query = query.where(Instance.id.in_(ids))
    found = list(session.scalars(query.order_by(Instance.created_at, Instance.id).limit(MAX_INSTANCES + 1)))
    if len(found) > MAX_INSTANCES:
        raise InvalidInput(f"一次最多迁移 {MAX_INSTANCES} 个案件；请用 instance_ids 分批",
                           errors=[{"field": "instance_ids", "message": f"最多 {MAX_INSTANCES} 个"}])
    return found


def _specs(bundle: Any) -> dict[str, Any]:
    return {bundle.spec.name: bundle.spec, **bundle.subprocess_specs}


def _plan_case(case: Case, bundle: Any, mapping: Mapping[str, str]) -> InstancePlan:
    old_version = case.bundle.version or 0
    if case.row.version_id == bundle.version_id:
        return InstancePlan(case.id, old_version, bundle.version, False, ["已经是目标版本"])
    found = spiff_migration.check(case.workflow, _specs(bundle), mapping)
    return InstancePlan(case.id, old_version, bundle.version, found.ok, found.refusals, found.live)


def plan(engine: "Engine", process_key: str, to_version: int, actor: Actor, *,
         instance_ids: Sequence[str] | None = None, mapping: Mapping[str, str] | None = None) -> MigrationResult:
    """The dry run: per running case of ``process_key``, whether it can move to ``to_version``."""
    _admin(actor)
    mapping = _check_mapping(mapping)
    plans = []
    with engine.db.read() as session:
        bundle = _target(engine, session, process_key, to_version)
        for instance_id in _running(session, process_key, instance_ids):
            plans.append(_plan_case(engine.runner.case(session, instance_id, SYSTEM), bundle, mapping))
    return MigrationResult(process_key, to_version, True, plans)


def apply(engine: "Engine", process_key: str, to_version: int, actor: Actor, *,
          instance_ids: Sequence[str] | None = None, mapping: Mapping[str, str] | None = None) -> MigrationResult:
    """Move every case that can move; the others are listed with their reasons and left as they are."""
    mapping = _check_mapping(mapping)
    dry = plan(engine, process_key, to_version, actor, instance_ids=instance_ids, mapping=mapping)
    done = []
    for item in dry.instances:
        if not item.ok:
            done.append(item)
            continue
        done.append(_move(engine, item.instance_id, process_key, to_version, actor, mapping))
    return MigrationResult(process_key, to_version, False, done)


def _move(engine: "Engine", instance_id: str, process_key: str, to_version: int, actor: Actor,
          mapping: Mapping[str, str]) -> InstancePlan:
    found: dict[str, Any] = {}

    def load(loader: Loader) -> Case:
        found["bundle"] = _target(engine, loader.session, process_key, to_version)
        return loader.case(instance_id)

    def act(case: Case) -> dict[str, Any]:
        bundle = found["bundle"]
        checked = _plan_case(case, bundle, mapping)  # again, on the state this command holds
        found["plan"] = checked
        if not checked.ok:
            raise Conflict(f"案件 {instance_id} 不能迁移：{'；'.join(checked.refusals)}", instance_id=instance_id)
        spiff_migration.migrate(case.workflow, _specs(bundle), mapping)
        found["from_id"] = case.row.version_id
        case.bundle, case.prints = bundle, None  # the next state is a new base, for the new version
        case.row = case.with_row(version_id=bundle.version_id).row
        return {"from_version": checked.from_version, "to_version": checked.to_version,
                "mapping": dict(mapping) or None, "live": checked.live}

    def store(conn: Any, case: Case) -> None:
        conn.execute(update(INSTANCES).where(INSTANCES.c.id == case.id).values(version_id=case.row.version_id))
        for task_id, open_task in list(case.tasks.items()):  # open tasks now stand on the new version's elements
            task = case.workflow.get_task_from_id(UUID(task_id))
            spec = task.task_spec
            meta = case.bundle.meta(task.workflow.spec.name, spec.bpmn_id)
            name = spec.bpmn_name or spec.bpmn_id
            form = meta.form_name if meta is not None else open_task.form
            conn.execute(update(TASKS).where(TASKS.c.id == task_id).values(element_id=spec.bpmn_id, name=name, form=form))
            case.tasks[task_id] = replace(open_task, element_id=spec.bpmn_id, name=name, form=form)

    engine.runner.run(Command(ACTION, actor, load, act, before_persist=store))
    checked = found["plan"]
    return InstancePlan(instance_id, checked.from_version, checked.to_version, True, [], checked.live, migrated=True)


def revert(engine: "Engine", instance_id: str, actor: Actor) -> InstancePlan:
    """Move a migrated case back to the version its last migration came from (if it still can)."""
    _admin(actor)
    with engine.db.read() as session:
        row = session.get(Instance, instance_id) if plain_id(instance_id) else None
        if row is None:
            raise UnknownInstance(str(instance_id))
        events = session.scalars(select(AuditEvent).where(AuditEvent.chain == instance_id,
                                                          AuditEvent.action == ACTION)
                                 .order_by(AuditEvent.seq.desc()).limit(1)).all()
    if not events:
        raise Conflict(f"案件 {instance_id} 没有迁移记录，无从撤回", instance_id=instance_id)
    details = _details(events[0])
    back = {v: k for k, v in (details.get("mapping") or {}).items()}
    result = apply(engine, row.process_key, int(details["from_version"]), actor, instance_ids=[instance_id], mapping=back)
    return result.instances[0] if result.instances else InstancePlan(instance_id, 0, int(details["from_version"]), False,
                                                                     ["案件已不在运行"])


def _details(event: AuditEvent) -> dict[str, Any]:
    from . import audit

    return audit.event_body(event)
