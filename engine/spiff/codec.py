"""Workflow state in and out of the database: a compressed base and small deltas.

The state of a running instance is SpiffWorkflow's own serialized form (its
``to_dict``), without the process spec — the spec comes from the deployed
version's cached bundle. It is stored as a **base** (``gz_instance.state``:
``GZS2`` + zlib-compressed JSON) and the **deltas** written since
(``gz_state_delta``, compressed too): a command writes only the tasks it changed, the tasks it
removed, and the workflow attributes that changed. Every ``COMPACT_EVERY``
deltas, or once the deltas outgrow the base, the next command writes a fresh
base instead and the deltas go. Restoring applies the deltas to the base and
builds the workflow once.

Which tasks changed is known without serializing them: a finished or predicted
task that kept its state, its state-change time, its ``triggered`` flag and its
children is unchanged (SpiffWorkflow never edits such a task's data); a task
that is ready, waiting or running is always written again, because timers and
messages change its internal data without changing its state.

A base written by 0.1 (plain JSON, no header) is read the same way: the task
format is the same; the first command after the upgrade writes a new base.
"""

from __future__ import annotations

import threading
import zlib
from copy import copy
from dataclasses import dataclass, field
from typing import Any, Iterable
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from ..definitions.model import ProcessBundle

__all__ = ["Codec", "Prints", "Delta", "FinishedWorkflow", "FINISHED", "HEADER", "COMPACT_EVERY", "decode_blob",
           "encode_blob", "finished_blob", "is_finished_blob"]

FINISHED = "gongzhi_finished"  # the key of a finished instance's compact state
HEADER = b"GZS2"
COMPACT_EVERY = 16
TOP = ""  # the key of the top workflow among the workflows of a state
# States whose tasks are written by every command: timers and messages change their internal data in place.
_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
_MUTABLE = (dict, list, set)


def encode_blob(dct: dict[str, Any], default: Any = None) -> bytes:
    return HEADER + zlib.compress(orjson.dumps(dct, default=default, option=orjson.OPT_PASSTHROUGH_DATETIME), 1)


def decode_blob(blob: bytes) -> dict[str, Any]:
    """A base (``GZS2`` + zlib) or a 0.1 state (plain JSON)."""
    if blob[:4] == HEADER:
        return orjson.loads(zlib.decompress(blob[4:]))
    return orjson.loads(blob)


def finished_blob(variables: dict[str, Any]) -> bytes:
    return orjson.dumps({FINISHED: variables}, default=str)


def is_finished_blob(blob: bytes) -> bool:
    return blob[:4] != HEADER and FINISHED.encode() in blob[:40]


class FinishedWorkflow:
    """What is kept of an instance once it has ended: its final variables.

    The task tree is only needed to move an instance, and a finished one never
    moves again; its history is in the audit trail.
    """

    tasks: dict = {}
    subprocesses: dict = {}
    last_task = None

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def is_completed(self) -> bool:
        return True

    def get_task_from_id(self, task_id: Any) -> None:
        return None

    def get_tasks(self, *args: Any, **kwargs: Any) -> list:
        return []


# --- what a command changed ---------------------------------------------------------------------


@dataclass
class Prints:
    """What the stored state says of each task and workflow, to tell what a command changed."""

    tasks: dict[UUID, tuple] = field(default_factory=dict)  # task id -> (workflow key, fingerprint)
    metas: dict[str, bytes] = field(default_factory=dict)  # workflow key -> its serialized attributes
    deltas: int = 0  # deltas written since the base
    delta_bytes: int = 0
    base_bytes: int = 0


@dataclass(frozen=True)
class Delta:
    """One command's change to the stored state."""

    body: bytes
    prints: Prints


def _fingerprint(task: Task) -> tuple:
    return task._state, task.last_state_change, task.triggered, tuple(task._children)


def _workflows(workflow: BpmnWorkflow) -> Iterable[tuple[str, Any]]:
    yield TOP, workflow
    for key, sub in workflow.subprocesses.items():
        yield str(key), sub


# --- the fast task converter ------------------------------------------------------------------------


class _TaskConverter(TaskConverter):
    """SpiffWorkflow's own task format, restored faster than its deep merge, to the same data.

    A task's data is its parent's, minus the delta's deletions, plus its updates. A task that is
    still to run gets its own copy of each mutable value, as ``DeepMerge.merge({}, parent)`` gives
    it (SpiffWorkflow changes such a task's data in place); a finished task is never changed
    again, so it shares its parent's values. Ids are parsed once per restore.
    """

    def from_dict(self, dct: dict, workflow: Any) -> Task:
        ids = workflow.__dict__.setdefault("_gz_ids", {})  # id text -> UUID, for this restore only

        def uuid(text: str) -> UUID:
            found = ids.get(text)
            if found is None:
                found = ids[text] = UUID(text)
            return found

        task_spec = workflow.spec.task_specs.get(dct["task_spec"])
        state = dct["state"]
        task = Task(workflow, task_spec, state=state, id=uuid(dct["id"]))
        parent = dct["parent"]
        task._parent = uuid(parent) if parent is not None else None
        task._children = [uuid(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        internal = dct["internal_data"]
        task.internal_data = self.registry.restore(internal) if internal else {}
        if state & TaskState.WAITING and isinstance(task_spec, CatchingEvent):
            task.workflow.top_workflow.event_manager.add_task(task)
        delta = dct.get("delta")
        parent_task = workflow.tasks.get(task._parent) if task._parent is not None else None
        if delta and parent_task is not None:
            deletions, updates = delta.get("deletions"), delta.get("updates")
            if deletions:
                gone = set(deletions)
                data = {k: v for k, v in parent_task.data.items() if k not in gone}
            else:
                data = dict(parent_task.data)
            if not state & TaskState.FINISHED_MASK:
                for key, value in data.items():
                    if isinstance(value, _MUTABLE):
                        data[key] = copy(value)
            if updates:
                data.update(self.registry.restore(updates))
        else:
            data = self.registry.restore(dct["data"]) if dct["data"] else {}
        task.data = data
        return task


# --- the codec ----------------------------------------------------------------------------------------------


class Codec:
    """Serialize and restore workflows of one process version, whole or by what changed."""

    def __init__(self, bundle: ProcessBundle) -> None:
        self.specs = {bundle.spec.name: bundle.spec, **bundle.subprocess_specs}
        self._local = threading.local()

    def _serializer(self) -> BpmnWorkflowSerializer:
        serializer = getattr(self._local, "serializer", None)
        if serializer is None:
            specs = self.specs

            class SpecByReference(BpmnWorkflowConverter):
                def to_dict(self, workflow: BpmnWorkflow) -> dict:
                    dct = WorkflowConverter.to_dict(self, workflow)
                    dct["spec"] = workflow.spec.name
                    dct["subprocess_specs"] = sorted(workflow.subprocess_specs)
                    dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
                    dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
                    return dct

                def from_dict(self, dct: dict) -> BpmnWorkflow:
                    spec = specs[dct.pop("spec")]
                    subprocess_specs = {name: specs[name] for name in dct.pop("subprocess_specs", [])}
                    workflow = self.target_class(spec, subprocess_specs, deserializing=True)
                    workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
                    workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
                    self.set_default_attributes(workflow, dct)
                    self.subprocesses_from_dict(dct["subprocesses"], workflow)
                    workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
                    return workflow

            config = dict(SPIFF_CONFIG)
            config[BpmnWorkflow] = SpecByReference
            config[Task] = _TaskConverter
            serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
            self._local.serializer = serializer
            self._local.default = serializer._encoder_cls().default
        return serializer

    def _encoding(self) -> Any:
        """A context in which the registry converts SpiffWorkflow's own types only (orjson does the rest)."""
        serializer = self._serializer()
        return _EncoderMode(serializer.registry)

    # --- whole ---------------------------------------------------------------------------------------

    def full(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        serializer = self._serializer()
        with self._encoding():
            dct = serializer.to_dict(workflow)
        dct[serializer.VERSION_KEY] = serializer.VERSION
        return dct

    def base(self, workflow: BpmnWorkflow) -> tuple[bytes, Prints]:
        """The whole state, compressed, and the prints of what it holds."""
        blob = encode_blob(self.full(workflow), self._local.default)
        prints = self.prints(workflow)
        prints.base_bytes = len(blob)
        return blob, prints

    def prints(self, workflow: BpmnWorkflow) -> Prints:
        prints = Prints()
        for key, wf in _workflows(workflow):
            prints.metas[key] = orjson.dumps(self._meta(wf, key), default=self._local_default())
            for task_id, task in wf.tasks.items():
                prints.tasks[task_id] = (key, _fingerprint(task))
        return prints

    def _local_default(self) -> Any:
        self._serializer()
        return self._local.default

    def _meta(self, wf: Any, key: str) -> dict[str, Any]:
        """A workflow's attributes besides its tasks (and, for the top one, its subprocesses)."""
        registry = self._serializer().registry
        with self._encoding():
            meta = {
                "data": registry.convert(registry.clean(wf.data)),
                "correlations": wf.correlations,
                "last_task": str(wf.last_task.id) if wf.last_task is not None else None,
                "success": wf.success,
                "completed": wf.completed,
                "root": str(wf.task_tree.id),
            }
            if key == TOP:
                meta["spec"] = wf.spec.name
                meta["subprocess_specs"] = sorted(wf.subprocess_specs)
                meta["bpmn_events"] = registry.convert(wf.bpmn_events)
            else:
                meta["parent_task_id"] = str(wf.parent_task_id)
                meta["spec"] = wf.spec.name
                meta["typename"] = registry.typenames[wf.__class__]
        return meta

    # --- by what changed ---------------------------------------------------------------------------------

    def delta(self, workflow: BpmnWorkflow, before: Prints) -> Delta | None:
        """The change since ``before`` (None: a new base is due instead)."""
        registry = self._serializer().registry
        default = self._local.default
        after = Prints(deltas=before.deltas + 1, base_bytes=before.base_bytes)
        tasks: dict[str, dict[str, Any]] = {}
        metas: dict[str, Any] = {}
        seen: set[str] = set()
        with self._encoding():
            for key, wf in _workflows(workflow):
                seen.add(key)
                meta = self._meta(wf, key)
                encoded = orjson.dumps(meta, default=default)
                after.metas[key] = encoded
                if before.metas.get(key) != encoded:
                    metas[key] = meta
                for task_id, task in wf.tasks.items():
                    fingerprint = _fingerprint(task)
                    after.tasks[task_id] = (key, fingerprint)
                    known = before.tasks.get(task_id)
                    if known is None or known[1] != fingerprint or task._state & _LIVE:
                        tasks.setdefault(key, {})[str(task_id)] = registry.convert(task)
        removed: dict[str, list[str]] = {}
        for task_id, (key, _) in before.tasks.items():
            if task_id not in after.tasks and key in seen:
                removed.setdefault(key, []).append(str(task_id))
        gone = sorted(set(before.metas) - seen)
        body = zlib.compress(orjson.dumps({"w": metas, "t": tasks, "r": removed, "gone": gone}, default=default,
                                          option=orjson.OPT_PASSTHROUGH_DATETIME), 1)
        after.delta_bytes = before.delta_bytes + len(body)
        if after.deltas > COMPACT_EVERY or after.delta_bytes > max(before.base_bytes, 4096):
            return None
        return Delta(body, after)

    @staticmethod
    def apply(dct: dict[str, Any], deltas: Iterable[bytes]) -> dict[str, Any]:
        """The base with the deltas applied, in order."""
        for blob in deltas:
            delta = orjson.loads(zlib.decompress(blob))
            subprocesses = dct.setdefault("subprocesses", {})
            for key, meta in delta["w"].items():
                target = dct if key == TOP else subprocesses.setdefault(key, {"tasks": {}})
                target.update(meta)
            for key, tasks in delta["t"].items():
                (dct if key == TOP else subprocesses.setdefault(key, {"tasks": {}}))["tasks"].update(tasks)
            for key, ids in delta["r"].items():
                target_tasks = (dct if key == TOP else subprocesses.get(key, {"tasks": {}}))["tasks"]
                for task_id in ids:
                    target_tasks.pop(task_id, None)
            for key in delta["gone"]:
                subprocesses.pop(key, None)
        return dct

    def restore(self, dct: dict[str, Any], script_engine: Any) -> Any:
        """A workflow from its state (``dct`` is consumed)."""
        if FINISHED in dct:
            return FinishedWorkflow(dct[FINISHED])
        serializer = self._serializer()
        serializer.migrate(dct)
        workflow = serializer.from_dict(dct)
        for _, wf in _workflows(workflow):
            wf.__dict__.pop("_gz_ids", None)  # the restore's id cache has done its work
        workflow.script_engine = script_engine
        return workflow

    def load(self, base: bytes, deltas: list[bytes], script_engine: Any) -> tuple[Any, Prints]:
        """The workflow stored as ``base`` and ``deltas``, and the prints to write its next delta from."""
        dct = self.apply(decode_blob(base), deltas)
        workflow = self.restore(dct, script_engine)
        if isinstance(workflow, FinishedWorkflow):
            return workflow, Prints()
        prints = self.prints(workflow)
        prints.deltas = len(deltas)
        prints.delta_bytes = sum(len(d) for d in deltas)
        prints.base_bytes = len(base) if base[:4] == HEADER else 0  # a 0.1 state: the next command writes a base
        if base[:4] != HEADER:
            prints.deltas = COMPACT_EVERY + 1
        return workflow, prints


class _EncoderMode:
    """Re-entrant: ``delta`` converts tasks inside it and calls ``_meta``, which enters it again."""

    def __init__(self, registry: Any) -> None:
        self.registry = registry

    def __enter__(self) -> None:
        self.previous = getattr(self.registry, "_encoder_mode", False)
        self.registry._encoder_mode = True

    def __exit__(self, *exc: object) -> None:
        self.registry._encoder_mode = self.previous
