"""Message events whose correlation properties may be missing from a message.

Gongzhi finds the receiving instance itself (business key, instance id, or the
correlation values stored with its subscription), so a message sent by
business key need not repeat the correlation values in its payload.
SpiffWorkflow would fail evaluating the retrieval expression on such a payload;
this subclass leaves a property out instead. Events sent to instances must use
the same class, because SpiffWorkflow compares event definitions by class.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition

__all__ = ["Message", "adopt_messages"]


class Message(MessageEventDefinition):
    def calculate_correlations(self, script_engine: Any, cp: Any, ctx: Any) -> dict[str, dict[str, Any]]:
        correlations: dict[str, dict[str, Any]] = {}
        for prop in cp:
            try:
                value = script_engine.environment.evaluate(prop.retrieval_expression, ctx)
            except Exception:  # noqa: BLE001 - the payload does not carry this property
                continue
            for key in prop.correlation_keys:
                correlations.setdefault(key, {})[prop.name] = value
        return correlations


def adopt_messages(spec: Any) -> None:
    for task_spec in spec.task_specs.values():
        definition = getattr(task_spec, "event_definition", None)
        if type(definition) is MessageEventDefinition:
            definition.__class__ = Message
