"""Multi-instance activities with a cap on how many instances data may ask for.

The number of instances comes from data: ``loopCardinality`` (an expression)
or the size of the input collection. SpiffWorkflow creates the parallel
children all at once, so a cardinality of ten million would exhaust memory in
one step. After parsing, each multi-instance task spec is switched to a
subclass that checks the number first against ``Limits.multi_instance`` and
fails with ``LimitExceeded`` naming the element.
"""

from __future__ import annotations

from collections.abc import Sized
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask

from ..limits import at_element, exceeded, limits_of

__all__ = ["adopt_multi_instance"]


class _Capped:
    """Mixed in before SpiffWorkflow's multi-instance classes: checks the count, then carries on."""

    def create_children(self, my_task: Any) -> Any:  # parallel: every instance at once
        _check(self, my_task, _count(self, my_task))
        return super().create_children(my_task)  # type: ignore[misc]

    def add_next_child(self, my_task: Any) -> Any:  # sequential: one at a time; the count is known by now
        if not my_task.internal_data.get("merged"):  # before the first instance
            data = my_task.internal_data
            _check(self, my_task, len(data["remaining"]) if "remaining" in data else data.get("cardinality"))
        return super().add_next_child(my_task)  # type: ignore[misc]


def _count(spec: Any, my_task: Any) -> Any:
    if spec.data_input is not None:
        collection = spec.data_input.get(my_task) if spec.data_input.exists(my_task) else None
        return len(collection) if isinstance(collection, Sized) else None
    return my_task.workflow.script_engine.evaluate(my_task, spec.cardinality)


def _check(spec: Any, my_task: Any, count: Any) -> None:
    limits = limits_of(my_task.workflow)
    if isinstance(count, int) and count > limits.multi_instance:
        what = (f"多实例的输入集合 {spec.data_input.bpmn_id} 的大小" if spec.data_input is not None
                else "多实例的数量（loopCardinality）")
        error = exceeded("multi_instance", limits.multi_instance, f"{what} {count} ", value=count)
        child = my_task.workflow.spec.task_specs.get(spec.task_spec)  # the activity's name is on its instances' spec
        raise at_element(error, spec.bpmn_id, spec.bpmn_name or getattr(child, "bpmn_name", None))


_CAPPED: dict[type, type] = {}


def adopt_multi_instance(spec: Any) -> None:
    """Switch every multi-instance task spec of a parsed process spec to its capped subclass, and
    connect its instances' completion to it.

    SpiffWorkflow connects an instance's completion to the activity (``merge_child``) only when it
    creates an instance, or when it deserializes a spec. A spec parsed afresh — by another process
    of the service, after a restart, or as the target of a migration — never created the instances
    of a case that was already waiting in them: without this, their completion would reach nothing
    and the activity would wait forever."""
    for task_spec in spec.task_specs.values():
        cls = type(task_spec)
        if isinstance(task_spec, MultiInstanceTask) and not issubclass(cls, _Capped):
            if cls not in _CAPPED:
                _CAPPED[cls] = type(f"Capped{cls.__name__}", (_Capped, cls), {})
            task_spec.__class__ = _CAPPED[cls]
        if isinstance(task_spec, MultiInstanceTask):
            child = spec.task_specs.get(task_spec.task_spec)
            if child is not None and not child.completed_event.is_connected(task_spec.merge_child):
                child.completed_event.connect(task_spec.merge_child)
