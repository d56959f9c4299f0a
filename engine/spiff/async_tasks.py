"""Asynchronous service tasks: the instance waits while the worker calls the handler.

A service task with the property ``async`` = ``true`` does not call its
handler inline. It stops in SpiffWorkflow's STARTED state, the runtime writes a
``service`` job in the same transaction, and a worker later calls the handler
in a transaction of its own — with retries and, when they run out, an incident.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.spiff.specs.defaults import ServiceTask

__all__ = ["AsyncServiceTask", "adopt_async", "is_async_service"]


class AsyncServiceTask(ServiceTask):
    def _run_hook(self, my_task: Any) -> None:
        return None  # leave the task STARTED; the worker calls the handler later

    def prepare(self, my_task: Any) -> dict[str, Any]:
        """The handler's parameters, evaluated on the task's data (before the call)."""
        return {name: p["value"] for name, p in self.evaluate_params(my_task).items()}

    def finish(self, my_task: Any, result: Any) -> None:
        """Store the handler's result and complete the task (after the call)."""
        my_task.data[self.result_variable] = result
        my_task.complete()


def adopt_async(spec: Any, element_ids: set[str]) -> None:
    for element_id in element_ids:
        task_spec = spec.task_specs.get(element_id)
        if isinstance(task_spec, ServiceTask):
            task_spec.__class__ = AsyncServiceTask


def is_async_service(task_spec: Any) -> bool:
    return isinstance(task_spec, AsyncServiceTask)
