"""What an instance is waiting for, before and after a command.

Comparing the two tells which task, timer-job and subscription rows to write,
so a command never has to query those tables to keep them in sync.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator

import orjson

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from .async_tasks import is_async_service
from .timers import is_timer, timer_due

__all__ = ["WaitState", "snapshot", "all_tasks", "correlation_key"]


@dataclass
class WaitState:
    user_tasks: dict[str, Any] = field(default_factory=dict)  # task id -> spiff task
    timers: dict[str, datetime] = field(default_factory=dict)  # task id -> due
    timer_tasks: dict[str, Any] = field(default_factory=dict)
    messages: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # name -> (element id, correlation)
    services: dict[str, Any] = field(default_factory=dict)  # task id -> started asynchronous service task
    live: list[Any] = field(default_factory=list)  # ready, waiting and started tasks (their data is the case's)
    completed: bool = False  # the top workflow has no unfinished task


_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
_NOT_FINISHED = TaskState.NOT_FINISHED_MASK


def _workflows(workflow: Any) -> Iterator[Any]:
    yield workflow
    yield from workflow.subprocesses.values()


def all_tasks(workflow: Any, state: int) -> Iterator[Any]:
    for wf in _workflows(workflow):
        yield from wf.get_tasks(state=state)


# The correlation columns of messages and subscriptions hold this many characters.
CORRELATION_KEY_LENGTH = 512


def correlation_key(values: dict[str, Any] | None) -> str | None:
    """Correlation property values as canonical JSON, the form they are stored and matched in.

    A key longer than its column is stored as a digest of that JSON instead: keys are only
    compared for equality, equal values give equal digests, and shorter keys keep their form.
    """
    if not values:
        return None
    key = orjson.dumps(values, option=orjson.OPT_SORT_KEYS).decode()
    if len(key) > CORRELATION_KEY_LENGTH:
        return "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def correlation_of(task: Any) -> str | None:
    """The values of a waiting message's correlation properties, from this instance's data,
    keyed by the ``bpmn:correlationProperty`` id (its retrieval expression is evaluated on the
    instance's data). A property that cannot be evaluated yet is left out.
    """
    values = {}
    environment = task.workflow.script_engine.environment
    for prop in task.task_spec.event_definition.correlation_properties:
        try:
            values[prop.name] = environment.evaluate(prop.retrieval_expression, task.data)
        except Exception:  # noqa: BLE001 - the property is simply not known for this instance
            continue
    return correlation_key(values)


def snapshot(workflow: Any) -> WaitState:
    """One pass over every task of the instance and its subprocesses (SpiffWorkflow's own iterators walk
    the task tree once per question; this answers all of a command's questions in one loop)."""
    ws = WaitState()
    unfinished = False
    for wf in _workflows(workflow):
        top = wf is workflow
        for task in wf.tasks.values():
            state, spec = task.state, task.task_spec
            if top and not unfinished and state & _NOT_FINISHED:
                unfinished = True
            if not state & _LIVE:
                continue
            ws.live.append(task)
            if state == TaskState.READY:
                if spec.manual:
                    ws.user_tasks[str(task.id)] = task
            elif state == TaskState.WAITING:
                if is_timer(spec):
                    due = timer_due(task)
                    if due is not None:
                        ws.timers[str(task.id)] = due
                        ws.timer_tasks[str(task.id)] = task
                elif isinstance(getattr(spec, "event_definition", None), MessageEventDefinition):
                    ws.messages[spec.event_definition.name] = (spec.bpmn_id or spec.name, correlation_of(task))
            elif state == TaskState.STARTED and is_async_service(spec):
                ws.services[str(task.id)] = task
    ws.completed = workflow.completed or not unfinished  # as BpmnWorkflow.is_completed says, without its walk
    return ws
