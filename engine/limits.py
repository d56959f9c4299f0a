"""Bounded work: the limits on what definitions and data may ask of the engine, and a command's budget.

Every place where user-supplied definitions or data run has a limit here:
timers and due dates, scripts and expressions, instructions templates, engine
steps, multi-instance cardinality. The defaults suit ordinary processes by a
wide margin; each is set with a ``GONGZHI_LIMIT_<NAME>`` environment variable
or a ``limit_<name>`` key of the mapping given to ``Engine`` (they arrive in
``Config.extra``). ``docs/limits.md`` lists them with the error a designer sees.

A *command* (start, complete, a timer firing, ...) runs inside
``command_budget``: it may take ``engine_steps`` engine steps and, when a
deadline is set, must finish by it. Guards in scripts look at the budget's
deadline every few thousand iterations, so a runaway loop stops there too. The
per-evaluation limits (iterations, sizes) apply with or without a budget.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields, replace
from typing import Any, Iterator, Mapping

from .errors import ConfigurationError, DeadlineExceeded, LimitExceeded
from .spiff.iso8601 import Duration, ISOFormatError, parse_duration

__all__ = ["Limits", "Budget", "current_budget", "command_budget", "run_engine_steps", "exceeded", "at_element",
           "limits_of", "DEFAULT_LIMITS", "CONFIG_PREFIX"]

CONFIG_PREFIX = "limit_"

# What each limit bounds, as a process designer reads it.
_WHAT = {
    "max_duration": "时长",
    "max_repetitions": "重复次数",
    "min_cycle_seconds": "重复间隔",
    "script_iterations": "脚本中的循环和函数调用次数",
    "sequence_size": "文本或列表的长度",
    "int_bits": "整数的位数",
    "data_size": "脚本或表达式产生的数据量",
    "literal_size": "代码中常量的长度",
    "engine_steps": "一次操作中连续执行的流程步数",
    "multi_instance": "多实例的数量",
    "template_output": "任务说明的长度",
    "template_iterations": "任务说明模板中的循环和调用次数",
    "command_deadline_seconds": "一次操作的运行时间（秒）",
}


@dataclass(frozen=True)
class Limits:
    """Every limit, with its default. ``min_cycle_seconds`` is a floor; all others are ceilings."""

    max_duration: Duration = Duration(years=10)  # timers, due dates, cycle intervals: at most this far ahead
    max_repetitions: int = 1000  # Rn/...; an unbounded R/... repeats this many times
    min_cycle_seconds: float = 60.0  # shortest interval of a cycle timer
    script_iterations: int = 1_000_000  # loop iterations and function calls of one script, expression or template
    sequence_size: int = 1_000_000  # longest str/bytes/list/tuple an operation may build; longest range()
    int_bits: int = 10_000  # largest integer an operation may build (about 3000 decimal digits)
    data_size: int = 10_000_000  # weight (items + characters) of the values a script or expression produces
    literal_size: int = 100_000  # longest constant in a script (validation)
    engine_steps: int = 10_000  # engine steps in one command
    multi_instance: int = 1000  # instances of one multi-instance activity
    template_output: int = 100_000  # characters of a rendered instructions template
    template_iterations: int = 100_000  # loop iterations and calls of one template render (macros are slow)
    command_deadline_seconds: float = 30.0  # cooperative deadline of one command; 0 disables it

    @classmethod
    def from_config(cls, extra: Mapping[str, Any]) -> "Limits":
        """Limits from ``Config.extra``: keys ``limit_<field>`` (``GONGZHI_LIMIT_<FIELD>``); others are ignored."""
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in extra.items():
            if not key.startswith(CONFIG_PREFIX):
                continue
            name = key[len(CONFIG_PREFIX):]
            if name not in known:
                raise ConfigurationError(f"unknown limit '{key}'; known: {', '.join(CONFIG_PREFIX + n for n in known)}")
            values[name] = _convert(name, raw)
        return replace(cls(), **values)


DEFAULT_LIMITS = Limits()
_INTEGERS = {"max_repetitions", "script_iterations", "sequence_size", "int_bits", "data_size", "literal_size",
             "engine_steps", "multi_instance", "template_output", "template_iterations"}


def _convert(name: str, raw: Any) -> Any:
    try:
        if name == "max_duration":
            if isinstance(raw, Duration):
                return raw
            if isinstance(raw, (int, float)) or (isinstance(raw, str) and not raw.strip().upper().startswith("P")):
                value = Duration(seconds=float(raw))
            else:
                value = parse_duration(raw)
            if not 0 < value.upper_seconds() <= 1000 * 366 * 86400:
                raise ValueError("must be longer than 0 and at most P1000Y")
            return value
        if name in _INTEGERS:
            value = int(raw)
            if value < 1:
                raise ValueError("must be at least 1")
            return value
        value = float(raw)
        if value < 0:
            raise ValueError("must not be negative")
        return value
    except (TypeError, ValueError, ISOFormatError) as exc:
        raise ConfigurationError(f"invalid {CONFIG_PREFIX}{name} = {raw!r}: {exc}") from exc


def exceeded(limit: str, maximum: Any, what: str | None = None, **context: Any) -> LimitExceeded:
    """The error for ``limit``, in the words a designer reads: ``<what>超过上限 <maximum>（<limit>）``
    (``低于下限`` for the ``min_`` limits, which are floors)."""
    bound = "低于下限" if limit.startswith("min_") else "超过上限"
    shown = f"{maximum:g}" if isinstance(maximum, float) else maximum
    return LimitExceeded(f"{what or _WHAT[limit]}{bound} {shown}（{limit}）", limit=limit, maximum=maximum, **context)


def at_element(exc: LimitExceeded, element_id: str | None, name: str | None = None) -> LimitExceeded:
    """The same error, naming the element it happened in (unless it already does)."""
    if getattr(exc, "element_id", None) or not element_id:
        return exc
    return type(exc)(f"“{name or element_id}”：{exc.message}", **{**exc.context, "element_id": element_id})


def limits_of(workflow: Any) -> Limits:
    """The limits a workflow runs with (its script engine's), or the defaults."""
    return getattr(getattr(workflow, "script_engine", None), "limits", None) or DEFAULT_LIMITS


# --- the budget of one command ----------------------------------------------------------


class Budget:
    """The work one command may still do: engine steps, and time until its deadline."""

    def __init__(self, limits: Limits, deadline: float | None = None) -> None:
        self.limits = limits
        self.deadline = deadline  # time.monotonic() value, or None
        self.steps = 0

    def step(self) -> None:
        """Count one engine step; raises LimitExceeded past ``engine_steps``, DeadlineExceeded past the deadline."""
        self.steps += 1
        if self.steps > self.limits.engine_steps:
            raise exceeded("engine_steps", self.limits.engine_steps, "一次操作中连续执行的流程步数（可能是没有等待节点的循环）")
        self.check_deadline()

    def check_deadline(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise deadline_error(self.limits)


def deadline_error(limits: Limits) -> DeadlineExceeded:
    seconds = limits.command_deadline_seconds
    return DeadlineExceeded(f"操作运行超过 {seconds:g} 秒，已停止（command_deadline_seconds）",
                            limit="command_deadline_seconds", maximum=seconds)


current_budget: ContextVar[Budget | None] = ContextVar("gongzhi_budget", default=None)


@contextmanager
def command_budget(limits: Limits, deadline_seconds: float | None) -> Iterator[Budget]:
    """Run a command with a fresh step count and a deadline ``deadline_seconds`` from now (None or 0: none).

    A command started inside another (a child process started by a service task)
    keeps the outer deadline when that comes first.
    """
    deadline = time.monotonic() + deadline_seconds if deadline_seconds else None
    outer = current_budget.get()
    if outer is not None and outer.deadline is not None:
        deadline = outer.deadline if deadline is None else min(deadline, outer.deadline)
    budget = Budget(limits, deadline)
    token = current_budget.set(budget)
    try:
        yield budget
    finally:
        current_budget.reset(token)


def run_engine_steps(workflow: Any) -> None:
    """``workflow.do_engine_steps()``, counting each step against the command's budget."""
    budget = current_budget.get() or Budget(limits_of(workflow))

    def will_run(task: Any) -> None:
        try:
            budget.step()
        except LimitExceeded as exc:
            raise at_element(exc, task.task_spec.bpmn_id, task.task_spec.bpmn_name) from None

    workflow.do_engine_steps(will_complete_task=will_run)
