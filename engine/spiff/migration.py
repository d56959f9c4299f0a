"""Moving a running case to another version of its process (SpiffWorkflow's spec alignment, made safe).

A case may move when nothing it has done or is doing changes meaning: every task of the case
(finished or live) has an element of the same id in the new version — or a mapped one, for a
renamed element — and every live task's element (where its tokens are: a waiting user task, a
timer, a message catch) is unchanged. Changes downstream of the tokens are what a migration is
for; they take effect as the case reaches them. The live tasks keep their state, data and due
times; only what SpiffWorkflow predicted after them is predicted again from the new version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.util.task import TaskState

from .snapshot import all_tasks

__all__ = ["MigrationCheck", "check", "migrate"]

_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
_PREDICTED = TaskState.PREDICTED_MASK | TaskState.FUTURE
# Not what an element *is*: where it comes from and leads to (upstream and downstream changes are
# allowed), back-references, and SpiffWorkflow's event hooks.
_SKIP = {"wf_spec", "_wf_spec", "parent", "inputs", "outputs", "_inputs", "_outputs", "id", "update_event",
         "ready_event", "completed_event", "error_event", "cancelled_event", "run_event"}


@dataclass
class MigrationCheck:
    """What moving one workflow would do: the reasons it cannot, and the live elements it keeps."""

    refusals: list[str] = field(default_factory=list)
    live: list[str] = field(default_factory=list)  # element names where the case stands
    alignment: dict[str, str] = field(default_factory=dict)  # old spec name -> new spec name

    @property
    def ok(self) -> bool:
        return not self.refusals


def _label(spec: TaskSpec) -> str:
    return f"“{spec.bpmn_name or spec.bpmn_id or spec.name}”"


def _shape(value: Any, depth: int = 0) -> Any:
    """A comparable form of a spec attribute: names for specs, plain values, objects by their fields."""
    if isinstance(value, TaskSpec):
        return value.name
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_shape(v, depth + 1) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, Mapping):
        return {str(k): _shape(v, depth + 1) for k, v in value.items()}
    if depth > 3:
        return type(value).__name__
    attributes = getattr(value, "__dict__", None)
    if attributes is None:
        return repr(value)
    return {"type": type(value).__name__.removeprefix("Capped").removeprefix("Clock"),
            **{k: _shape(v, depth + 1) for k, v in attributes.items() if k not in _SKIP and not k.startswith("__")}}


def signature(spec: TaskSpec) -> dict[str, Any]:
    """What a task's element is, for comparison across versions (its own definition; not where it leads)."""
    shape = {k: _shape(v, 1) for k, v in vars(spec).items() if k not in _SKIP and not k.startswith("__")}
    shape["type"] = type(spec).__name__.removeprefix("Capped")
    return shape


def check(workflow: Any, specs: Mapping[str, Any], mapping: Mapping[str, str] | None = None) -> MigrationCheck:
    """Whether ``workflow`` (and its subprocesses) can move to ``specs`` (process id -> new spec)."""
    mapping = dict(mapping or {})
    result = MigrationCheck()
    dropped = _repredicted(workflow)
    for task in all_tasks(workflow, TaskState.ANY_MASK):
        if task.id in dropped:
            continue  # only a prediction: predicted again from the new version
        old = task.task_spec
        new_spec = specs.get(task.workflow.spec.name)
        if new_spec is None:
            result.refusals.append(f"子流程 {task.workflow.spec.name} 在新版本中不存在")
            continue
        target = new_spec.task_specs.get(mapping.get(old.name, old.name))
        if target is None:
            where = "当前停在" if task.has_state(_LIVE) else "已办的环节"
            result.refusals.append(f"{where}{_label(old)}，新版本中没有这个环节（可给出改名后的对应关系）")
            continue
        result.alignment[old.name] = target.name
        if task.has_state(_LIVE):
            result.live.append(_label(old))
            if signature(old) != signature(target) and not _only_renamed(old, target, mapping):
                result.refusals.append(f"当前停在{_label(old)}，这个环节在新版本中有改动；只能迁移改动都在当前环节之后的案件")
    result.refusals = sorted(set(result.refusals))
    result.live = sorted(set(result.live))
    return result


def _only_renamed(old: TaskSpec, new: TaskSpec, mapping: Mapping[str, str]) -> bool:
    a, b = signature(old), signature(new)
    renamed = {k: v for k, v in a.items() if k not in ("name", "bpmn_id")}
    return renamed == {k: v for k, v in b.items() if k not in ("name", "bpmn_id")} and mapping.get(old.name) == new.name


def migrate(workflow: Any, specs: Mapping[str, Any], mapping: Mapping[str, str] | None = None) -> MigrationCheck:
    """Move ``workflow`` to ``specs`` in place, after ``check`` says it may (raises ValueError otherwise)."""
    found = check(workflow, specs, mapping)
    if not found.ok:
        raise ValueError("；".join(found.refusals))
    live = list(all_tasks(workflow, _LIVE))
    for task in live:  # what was predicted after a live task came from the old version
        for child in list(task.children):
            if child.has_state(_PREDICTED):
                task.workflow._remove_task(child.id)
    for wf in _workflows(workflow):
        wf.spec = specs[wf.spec.name]
    if hasattr(workflow, "subprocess_specs"):
        workflow.subprocess_specs = {name: specs[name] for name in workflow.subprocess_specs if name in specs}
    for task in all_tasks(workflow, TaskState.ANY_MASK):
        task.task_spec = task.workflow.spec.task_specs[found.alignment[task.task_spec.name]]
    for task in live:  # predicted again, from the new version
        task.task_spec._predict(task, mask=TaskState.PREDICTED_MASK | TaskState.DEFINITE_MASK)
    return found


def _repredicted(workflow: Any) -> set[Any]:
    """Ids of the predicted tasks after live ones (and everything below them): ``migrate`` drops them."""
    found: set[Any] = set()
    for task in all_tasks(workflow, _LIVE):
        for child in task.children:
            if child.has_state(_PREDICTED):
                found.update(t.id for t in child)  # a Task iterates over its subtree
    return found


def _workflows(workflow: Any) -> list[Any]:
    return [workflow, *getattr(workflow, "subprocesses", {}).values()]
