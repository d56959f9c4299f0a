"""The script engine workflows run with, and what a command records of its run for the audit trail.

(The workflow's state in and out of the database is ``runtime.codec``.)
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Callable

import orjson
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from ..clock import Clock
from ..errors import LimitExceeded, ServiceTaskError
from ..limits import DEFAULT_LIMITS, Limits, at_element
from ..hooks.manager import Registry
from ..sandbox import run_expression, run_script
from ..hooks.objects import ServiceCall, ServiceTask

__all__ = ["ScriptEngine", "CommandLog", "current_log"]


# --- what happened during one command, for the audit trail -------------------


@dataclass
class CommandLog:
    instance_id: str = ""
    region: str = ""  # the case's: decisions bound at run time resolve the version in force there
    narrowed_from: str | None = None  # set by ``gongzhi.narrow_region``: the region the case leaves
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
        # decision id, case region -> the DeployedDecision in force (set by the Engine)
        self.decisions: Callable[[str, str], Any] | None = None
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

    def resolve_decision(self, call: Any) -> Any:
        """The deployed version of ``call``'s decision in force for this command's case, or None to
        evaluate the table deployed with the process (no resolver, or nothing deployed)."""
        if self.decisions is None:
            return None
        log = current_log.get()
        return self.decisions(call.decision_id, log.region if log is not None else "")

    def record_decision(self, task: Any, call: Any, outcome: Any, bound: Any = None) -> None:
        log = current_log.get()
        if log is not None:
            entry = outcome.as_dict()
            log.decisions.append({
                "element_id": task.task_spec.name,
                "decision_id": call.decision_id,
                "decision_version": bound.version if bound is not None else None,
                "decision_source": bound.source if bound is not None else call.source,
                "decision_binding": call.binding if bound is not None else "deployment",
                "decision_region": bound.region if bound is not None else "",
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
