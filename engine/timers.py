"""Timer events that read the engine's clock instead of the wall clock.

SpiffWorkflow's timer definitions call ``datetime.now()`` directly, so a test
could only fire them by sleeping. After parsing, each timer definition is
switched to the subclass below, which asks ``workflow.script_engine.now()``
(the engine's clock). Due times live in ``internal_data['event_value']`` as
SpiffWorkflow stores them, so saved state stays compatible.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

__all__ = ["adopt_timers", "timer_due", "is_timer"]


def _now(my_task: Any) -> datetime:
    clock = getattr(my_task.workflow.script_engine, "now", None)
    return clock() if clock else datetime.now(timezone.utc)


class ClockTimeDate(TimeDateEventDefinition):
    def has_fired(self, my_task: Any) -> bool:
        if my_task._get_internal_data("event_value") is None:
            value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            my_task._set_internal_data(event_value=value.isoformat() if isinstance(value, datetime) else value)
        due = TimerEventDefinition.parse_time_or_duration(my_task._get_internal_data("event_value"))
        if due <= _now(my_task):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockDuration(DurationTimerEventDefinition):
    def has_fired(self, my_task: Any) -> bool:
        if my_task._get_internal_data("event_value") is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            parsed = TimerEventDefinition.parse_iso_duration(expression)
            start = _now(my_task)
            due = start + TimerEventDefinition.get_timedelta_from_start(parsed, start)
            my_task._set_internal_data(event_value=due.isoformat())
        if TimerEventDefinition.get_datetime(my_task._get_internal_data("event_value")) <= _now(my_task):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockCycle(CycleTimerEventDefinition):
    def cycle_complete(self, my_task: Any) -> bool:
        now = _now(my_task)
        value = my_task._get_internal_data("event_value")
        if value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            cycles, start, duration = _recurring(expression, now)
            value = {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}
        ready = False
        if value["cycles"] != 0:
            next_event = datetime.fromisoformat(value["next"])
            if next_event <= now:
                # One firing per refresh; the next due time is rescheduled once.
                value["next"] = (next_event + timedelta(seconds=value["duration"])).isoformat()
                value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
            return False
        my_task._set_internal_data(event_value=value)
        return ready


def _recurring(expression: str, now: datetime) -> tuple[int, datetime, timedelta]:
    parts = expression.upper().replace("--", "/").strip("R").split("/")
    if len(parts) == 2 and parts[1].startswith("P"):
        # "R4/P3M": SpiffWorkflow would start from the wall clock; start from ours.
        cycles = int(parts[0]) if parts[0] else -1
        duration = TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(parts[1]), now)
        return cycles, now + duration, duration
    return TimerEventDefinition.parse_iso_recurring_interval(expression)


_SWAP = {TimeDateEventDefinition: ClockTimeDate, DurationTimerEventDefinition: ClockDuration, CycleTimerEventDefinition: ClockCycle}


def adopt_timers(spec: Any) -> None:
    """Switch every timer definition of a parsed process spec to the clock-aware subclass."""
    for task_spec in spec.task_specs.values():
        definition = getattr(task_spec, "event_definition", None)
        if definition is not None and type(definition) in _SWAP:
            definition.__class__ = _SWAP[type(definition)]


def is_timer(task_spec: Any) -> bool:
    return isinstance(getattr(task_spec, "event_definition", None), TimerEventDefinition)


def timer_due(task: Any) -> datetime | None:
    """When a waiting timer task is due, from the value SpiffWorkflow stored."""
    value = task._get_internal_data("event_value")
    if value is None:
        return None
    if isinstance(value, dict):  # cycle
        return datetime.fromisoformat(value["next"]) if value.get("cycles", 0) != 0 else None
    due = TimerEventDefinition.parse_time_or_duration(value)
    return due if isinstance(due, datetime) else None
