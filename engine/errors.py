"""Exceptions raised by Gongzhi.

Every public entry point raises one of these; each carries the context a
caller needs (element id, task id, field) as attributes, and ``str(exc)`` is a
plain-language message a process designer can act on. The HTTP layer maps
``http_status`` onto RFC 9457 problem details.

    GongzhiError
    ├── ConfigurationError          bad settings, duplicate plugin registrations
    ├── DefinitionError             BPMN/DMN/form files that cannot be deployed
    │   └── DefinitionInvalid       carries the full list of Problems
    ├── NotFound
    │   ├── UnknownProcess
    │   ├── UnknownInstance
    │   ├── UnknownTask
    │   └── UnknownDecision
    ├── NotAllowed                  actor lacks the group, region or permission
    ├── Conflict
    │   ├── TaskNotOpen             completed, cancelled or never open
    │   ├── InstanceNotRunning
    │   ├── ConcurrentUpdate        someone else changed the instance first
    │   └── IdempotencyConflict
    ├── InvalidInput
    │   ├── FormValidationError     data that violates a task's JSON Schema form
    │   └── NotSerializable         variables that are not JSON values
    ├── ExecutionError              the process itself failed while running
    │   ├── ScriptError             a script task or expression raised
    │   ├── ServiceTaskError        a service-task handler raised
    │   ├── DecisionError           a DMN decision could not be evaluated
    │   │   └── HitPolicyViolation  e.g. two rules matched a UNIQUE table
    │   └── LimitExceeded           runaway work stopped at a configured limit
    │       └── DeadlineExceeded    the command ran past its deadline
    └── AuditChainBroken            the audit trail was tampered with
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "GongzhiError",
    "ConfigurationError",
    "Problem",
    "DefinitionError",
    "DefinitionInvalid",
    "NotFound",
    "UnknownProcess",
    "UnknownInstance",
    "UnknownTask",
    "UnknownDecision",
    "NotAllowed",
    "Conflict",
    "TaskNotOpen",
    "InstanceNotRunning",
    "ConcurrentUpdate",
    "IdempotencyConflict",
    "InvalidInput",
    "FormValidationError",
    "NotSerializable",
    "ExecutionError",
    "ScriptError",
    "ServiceTaskError",
    "DecisionError",
    "HitPolicyViolation",
    "LimitExceeded",
    "DeadlineExceeded",
    "AuditChainBroken",
    "DeliveryDeferred",
]


class GongzhiError(Exception):
    """Base class of every error Gongzhi raises on purpose."""

    http_status = 500
    title = "内部错误"

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context = context
        for key, value in context.items():
            setattr(self, key, value)

    def __str__(self) -> str:
        return self.message


class ConfigurationError(GongzhiError):
    title = "配置错误"


# --- definitions -----------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition file, located as precisely as known."""

    file: str
    message: str
    element_id: str | None = None
    line: int | None = None
    code: str = "invalid"
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}"
        if self.element_id:
            where += f" [{self.element_id}]"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "element_id": self.element_id,
            "code": self.code,
            "message": self.message,
            **self.extra,
        }


class DefinitionError(GongzhiError):
    http_status = 422
    title = "流程定义有误"


class DefinitionInvalid(DefinitionError):
    def __init__(self, problems: list[Problem]) -> None:
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the definitions:\n{lines}", problems=list(problems))


# --- lookups ------------------------------------------------------------------


class NotFound(GongzhiError):
    http_status = 404
    title = "未找到"


class UnknownProcess(NotFound):
    def __init__(self, process_key: str) -> None:
        super().__init__(f"没有已部署的流程 '{process_key}' (unknown process key)", process_key=process_key)


class UnknownInstance(NotFound):
    def __init__(self, instance_id: str) -> None:
        super().__init__(f"流程实例 {instance_id} 不存在或不在您的管辖范围内", instance_id=instance_id)


class UnknownTask(NotFound):
    def __init__(self, task_id: str) -> None:
        super().__init__(f"任务 {task_id} 不存在或不在您的管辖范围内", task_id=task_id)


class UnknownDecision(NotFound):
    def __init__(self, decision: str, known: list[str] | None = None) -> None:
        hint = f"; known decisions: {', '.join(known)}" if known else ""
        super().__init__(f"没有决策 '{decision}'{hint}", decision=decision, known=known or [])


# --- authorization ---------------------------------------------------------


class NotAllowed(GongzhiError):
    http_status = 403
    title = "无权操作"


# --- conflicts ----------------------------------------------------------------


class Conflict(GongzhiError):
    http_status = 409
    title = "冲突"


class TaskNotOpen(Conflict):
    def __init__(self, task_id: str, status: str) -> None:
        super().__init__(f"任务 {task_id} 已不是待办状态（当前：{status}）", task_id=task_id, status=status)


class InstanceNotRunning(Conflict):
    def __init__(self, instance_id: str, status: str) -> None:
        super().__init__(
            f"流程实例 {instance_id} 已不在运行中（当前：{status}）", instance_id=instance_id, status=status
        )


class ConcurrentUpdate(Conflict):
    def __init__(self, instance_id: str | None = None) -> None:
        which = f"流程实例 {instance_id} " if instance_id else "流程实例"
        super().__init__(f"{which}刚被他人更新，请刷新后重试 (concurrent update)", instance_id=instance_id)


class IdempotencyConflict(GongzhiError):
    http_status = 422
    title = "幂等键冲突"


# --- bad input ----------------------------------------------------------------


class InvalidInput(GongzhiError):
    http_status = 422
    title = "输入数据无效"


class FormValidationError(InvalidInput):
    """``errors`` is a list of ``{"field": "a.b", "message": "..."}``."""

    def __init__(self, message: str, errors: list[dict[str, str]], task_id: str | None = None) -> None:
        super().__init__(message, errors=errors, task_id=task_id)


class NotSerializable(InvalidInput):
    def __init__(self, path: str, type_name: str) -> None:
        super().__init__(
            f"变量 '{path}' 的值类型 {type_name} 不能保存为 JSON", errors=[{"field": path, "message": type_name}]
        )


# --- execution ----------------------------------------------------------------


class ExecutionError(GongzhiError):
    http_status = 422
    title = "流程执行出错"


class ScriptError(ExecutionError):
    pass


class ServiceTaskError(ExecutionError):
    pass


class DecisionError(ExecutionError):
    """A decision failed. Context: ``decision_id``, and where known ``rule`` (1-based) and ``column``."""


class HitPolicyViolation(DecisionError):
    pass


class LimitExceeded(ExecutionError):
    """Work a definition or a request asked for went past a configured limit; the command fails.

    Context: ``limit`` (the setting's name, e.g. ``script_iterations``), ``maximum``
    (its value), and where known ``value`` (what was asked for) and ``element_id``.
    """

    def __init__(self, message: str, *, limit: str, maximum: Any = None, **context: Any) -> None:
        super().__init__(message, limit=limit, maximum=maximum, **context)


class DeadlineExceeded(LimitExceeded):
    """The command ran longer than ``COMMAND_DEADLINE_SECONDS`` and was stopped."""


class AuditChainBroken(GongzhiError):
    title = "审计链被篡改"


# --- the outbox ----------------------------------------------------------------


class DeliveryDeferred(GongzhiError):
    """A channel will not take a delivery before ``until`` (an aware datetime), on purpose: quiet hours.

    Not a failure: the outbox moves the delivery's due time to exactly ``until`` and does not
    count an attempt, so a deferral never turns into an incident however long it lasts.
    """

    title = "暂缓发送"

    def __init__(self, message: str, *, until: datetime) -> None:
        if not isinstance(until, datetime) or until.tzinfo is None:
            raise TypeError("DeliveryDeferred needs until as an aware datetime")  # a channel's bug: a failed try
        super().__init__(message, until=until)
