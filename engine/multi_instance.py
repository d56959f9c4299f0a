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

from .limits import at_element, exceeded, limits_of

__all__ = ["adopt_multi_instance"]


class _Capped:
    """Mixed in before SpiffWorkflow's multi-instance class: checks the count, then carries on."""

    def _update_hook(self, my_task: Any) -> Any:
        _check_count(self, my_task)
        return super()._update_hook(my_task)  # type: ignore[misc]


def _check_count(spec: Any, my_task: Any) -> None:
    limits = limits_of(my_task.workflow)
    if spec.data_input is not None:
        if not spec.data_input.exists(my_task):
            return  # SpiffWorkflow reports the missing input itself
        collection = spec.data_input.get(my_task)
        count = len(collection) if isinstance(collection, Sized) else None
        what = f"多实例的输入集合 {spec.data_input.bpmn_id} 的大小"
    else:
        value = my_task.workflow.script_engine.evaluate(my_task, spec.cardinality)
        count = value if isinstance(value, int) else None
        what = "多实例的数量（loopCardinality）"
    if count is not None and count > limits.multi_instance:
        error = exceeded("multi_instance", limits.multi_instance, f"{what} {count} ", value=count)
        raise at_element(error, spec.bpmn_id, spec.bpmn_name)


_CAPPED: dict[type, type] = {}


def adopt_multi_instance(spec: Any) -> None:
    """Switch every multi-instance task spec of a parsed process spec to its capped subclass."""
    for task_spec in spec.task_specs.values():
        cls = type(task_spec)
        if isinstance(task_spec, MultiInstanceTask) and not issubclass(cls, _Capped):
            if cls not in _CAPPED:
                _CAPPED[cls] = type(f"Capped{cls.__name__}", (_Capped, cls), {})
            task_spec.__class__ = _CAPPED[cls]
