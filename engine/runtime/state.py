"""Workflow state in and out of the database, and the script engine workflows run with.

The stored blob holds the instance's tasks and data but not the process spec:
the spec comes from the deployed version's cached bundle. Blobs are written
with orjson; SpiffWorkflow's registry still converts its own types.
"""

from __future__ import annotations

import threading
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Callable
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from ..clock import Clock
from ..definitions.model import ProcessBundle
from ..errors import LimitExceeded, ServiceTaskError
from ..limits import DEFAULT_LIMITS, Limits, at_element
from ..plugin_manager import Registry
from ..sandbox import run_expression, run_script
from ..services import ServiceCall, ServiceTask

__all__ = ["StateCodec", "ScriptEngine", "CommandLog", "current_log", "FinishedWorkflow"]

FINISHED = "gongzhi_finished"  # the key of a finished instance's compact state


# --- what happened during one command, for the audit trail -------------------


@dataclass
class CommandLog:
    instance_id: str = ""
    decisions: list[dict[str, Any]] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)


current_log: ContextVar[CommandLog | None] = ContextVar("gongzhi_command_log", default=None)


# --- the script engine ---------------------------------------------------------


class _SandboxEnvironment(BasePythonScriptEngineEnvironment):
    def __init__(self, functions: dict[str, Callable[..., Any]], limits: Limits) -> None:
        super().__init__()
        self.functions = MappingProxyType(dict(functions))  # immutable: the sandbox merges it with its helpers once
        self.limits = limits

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        extra = {**self.functions, **external_context} if external_context else self.functions
        return run_expression(expression, context, extra, limits=self.limits)

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        extra = {**self.functions, **external_context} if external_context else self.functions
        run_script(script, context, extra, limits=self.limits)
        return True


class ScriptEngine(PythonScriptEngine):
    """Runs scripts in the sandbox within the engine's ``Limits``, reads the engine clock, calls plugin
    service tasks."""

    def __init__(self, clock: Clock, services: Registry[ServiceTask], functions: dict[str, Callable[..., Any]] | None = None,
                 engine: Any = None) -> None:
        self.limits: Limits = getattr(engine, "limits", None) or DEFAULT_LIMITS
        super().__init__(environment=_SandboxEnvironment(functions or {}, self.limits))
        self.clock = clock
        self.services = services
        self.engine = engine  # handed to service handlers as ``ServiceCall.engine``
        self.rule_limits = getattr(engine, "rule_limits", None)  # business-rule tasks evaluate under these

    def now(self) -> datetime:
        return self.clock.now()

    # A limit error names the element it happened in; SpiffWorkflow's wrapping would bury it.

    def evaluate(self, task: Any, expression: str, external_context: dict | None = None) -> Any:
        try:
            return super().evaluate(task, expression, external_context)
        except Exception as exc:
            _raise_located(exc, task)
            raise

    def execute(self, task: Any, script: str, external_context: dict | None = None) -> Any:
        try:
            return super().execute(task, script, external_context)
        except Exception as exc:
            _raise_located(exc, task)
            raise

    def call_service(self, task: Any, operation_name: str = "", operation_params: dict | None = None, **_: Any) -> str:
        # SpiffWorkflow's own error path here is broken (``script`` undefined); errors are ours.
        params = {name: p["value"] for name, p in (operation_params or {}).items()}
        log = current_log.get()
        result = self.call_operator(operation_name, params, log.instance_id if log else "", task.task_spec.bpmn_id,
                                    dict(task.data), task.task_spec.bpmn_name, str(task.id))
        if log is not None:
            log.services.append({"element_id": task.task_spec.bpmn_id, "operator": operation_name, "params": params})
        return orjson.dumps(result, default=str).decode()

    def call_operator(self, operator: str, params: dict[str, Any], instance_id: str, element_id: str,
                      data: dict[str, Any], element_name: str | None = None, task_id: str = "") -> Any:
        """Call the plugin handler for ``operator``; any failure becomes a ServiceTaskError naming the element."""
        service = self.services.get(operator)
        if service is None:
            raise ServiceTaskError(f"没有插件提供服务操作 '{operator}'", element_id=element_id, operator=operator)
        try:
            return service.handler(ServiceCall(operator, params, instance_id, element_id, data, self.now(), task_id,
                                                   engine=self.engine))
        except Exception as exc:
            raise ServiceTaskError(f"服务任务 '{element_name or element_id}' 调用 '{operator}' 失败：{exc}",
                                   element_id=element_id, operator=operator) from exc

    def record_decision(self, task: Any, call: Any, outcome: Any) -> None:
        log = current_log.get()
        if log is not None:
            entry = outcome.as_dict()
            log.decisions.append({
                "element_id": task.task_spec.name,
                "decision_id": call.decision_id,
                "decision_version": call.source,
                "inputs": entry.get("inputs"),
                "matched_rules": entry.get("matched_rules"),
                "result": entry.get("result"),
                # Context entries, BKM calls and tables inside them (empty for a plain table).
                "explanation": entry.get("explanation") or None,
            })


def _raise_located(exc: BaseException, task: Any) -> None:
    seen: BaseException | None = exc
    for _ in range(8):  # SpiffWorkflow wraps once or twice
        if seen is None:
            return
        if isinstance(seen, LimitExceeded):
            raise at_element(seen, task.task_spec.bpmn_id, task.task_spec.bpmn_name) from None
        seen = getattr(seen, "error", None) or seen.__cause__ or seen.__context__


# --- the codec -----------------------------------------------------------------


class FinishedWorkflow:
    """What is kept of an instance once it has ended: its final variables.

    The task tree is only needed to move an instance, and a finished one never
    moves again; its history is in the audit trail. Storing just the data makes
    a finished case several times smaller.
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


class StateCodec:
    """Serialize workflows of one process version without their specs."""

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
            serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
            self._local.serializer = serializer
            self._local.default = serializer._encoder_cls().default
        return serializer

    @staticmethod
    def dumps_finished(variables: dict[str, Any]) -> bytes:
        return orjson.dumps({FINISHED: variables}, default=str)

    def dumps(self, workflow: BpmnWorkflow) -> bytes:
        serializer = self._serializer()
        registry = serializer.registry
        registry._encoder_mode = True  # convert SpiffWorkflow's own types only; orjson does the rest
        try:
            dct = serializer.to_dict(workflow)
            dct[serializer.VERSION_KEY] = serializer.VERSION
            return orjson.dumps(dct, default=self._local.default, option=orjson.OPT_PASSTHROUGH_DATETIME)
        finally:
            registry._encoder_mode = False

    def loads(self, blob: bytes, script_engine: ScriptEngine) -> BpmnWorkflow:
        dct = orjson.loads(blob)
        if FINISHED in dct:
            return FinishedWorkflow(dct[FINISHED])  # type: ignore[return-value]
        serializer = self._serializer()
        serializer.migrate(dct)
        workflow = serializer.from_dict(dct)
        workflow.script_engine = script_engine
        return workflow
