"""Timer events that read the engine's clock, with values checked and capped before they are used.

SpiffWorkflow's timer definitions call ``datetime.now()`` directly and parse
values with a month-by-month loop that accepts ``"P"`` and spins for minutes on
``"P99999999Y"``. After parsing, each timer definition is switched to a
subclass below: it asks ``workflow.script_engine.now()`` (the engine's clock)
and reads every value with ``gongzhi.spiff.iso8601``, within the script engine's
``Limits`` (``max_duration``, ``max_repetitions``, ``min_cycle_seconds``). A
bad value fails the command with ``InvalidInput``, an excessive one with
``LimitExceeded``; both name the element and the value.

Due times live in ``internal_data['event_value']`` in SpiffWorkflow's format
(an ISO string; for a cycle ``{"cycles", "next", "duration"}``), so saved state
written by earlier versions still fires.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    LOCALTZ,
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from ..errors import InvalidInput, LimitExceeded
from .iso8601 import Duration, ISOFormatError, ValueTooLarge, as_utc, parse_datetime, parse_duration, parse_recurrence
from ..limits import Limits, exceeded, limits_of

__all__ = ["adopt_timers", "timer_due", "is_timer", "Where", "duration_due", "moment_due", "cycle_plan", "due_time"]


class Where:
    """The element a value belongs to and what it is (``timeDuration``, ``dueDateExpression``), for messages."""

    def __init__(self, element_id: str | None, name: str | None = None, what: str = "计时器") -> None:
        self.element_id = element_id
        self.label = name or element_id or "?"
        self.what = what

    @classmethod
    def of(cls, task: Any, what: str = "计时器") -> "Where":
        spec = task.task_spec
        return cls(spec.bpmn_id, spec.bpmn_name, what)

    def invalid(self, value: Any, reason: str) -> InvalidInput:
        return InvalidInput(f"“{self.label}” 的{self.what}值 '{_show(value)}' 无效：{reason}", element_id=self.element_id,
                            value=_show(value), errors=[{"field": self.element_id or "", "message": reason}])

    def too_large(self, value: Any, limit: str, maximum: Any, what: str | None = None) -> LimitExceeded:
        exc = exceeded(limit, maximum, what, element_id=self.element_id, value=_show(value))
        return LimitExceeded(f"“{self.label}” 的{self.what}值 '{_show(value)}'：{exc.message}", **exc.context)


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:60] + "…"


# --- checked values ------------------------------------------------------------------------


def _cap(limits: Limits, now: datetime) -> datetime:
    try:
        return limits.max_duration.after(now)
    except ValueTooLarge:
        return datetime.max.replace(tzinfo=timezone.utc)


def _after(duration: Duration, start: datetime, limits: Limits, where: Where, value: Any) -> datetime:
    """``start + duration``, refusing durations longer than ``max_duration`` before computing them."""
    if duration.upper_seconds() > 2 * limits.max_duration.upper_seconds():
        raise where.too_large(value, "max_duration", str(limits.max_duration))
    try:
        due = duration.after(start)
    except ValueTooLarge:
        raise where.too_large(value, "max_duration", str(limits.max_duration)) from None
    if due > _cap(limits, start):
        raise where.too_large(value, "max_duration", str(limits.max_duration))
    return due


def _parse(parser: Any, value: Any, where: Where, limits: Limits) -> Any:
    try:
        return parser(value)
    except ValueTooLarge as exc:
        if exc.kind == "repetitions":
            raise where.too_large(value, "max_repetitions", limits.max_repetitions) from None
        raise where.too_large(value, "max_duration", str(limits.max_duration)) from None
    except ISOFormatError as exc:
        raise where.invalid(value, exc.reason) from None


def duration_due(value: Any, now: datetime, limits: Limits, where: Where) -> datetime:
    """When a ``timeDuration`` value started ``now`` is due."""
    return _after(_parse(parse_duration, value, where, limits), now, limits, where, value)


def moment_due(value: Any, now: datetime, limits: Limits, where: Where, naive: tzinfo = LOCALTZ) -> datetime:
    """A ``timeDate`` value (a datetime, date or ISO text) as an aware UTC moment, at most ``max_duration``
    ahead; a value without an offset is in ``naive`` (timers: the server's time zone, as SpiffWorkflow reads it)."""
    if isinstance(value, datetime):
        due = as_utc(value, naive)
    elif isinstance(value, date):
        due = as_utc(datetime.combine(value, time()), naive)
    else:
        due = _parse(lambda text: parse_datetime(text, naive), value, where, limits)
    if due > _cap(limits, now):
        raise where.too_large(value, "max_duration", str(limits.max_duration), "距今的时长")
    return due


def cycle_plan(value: Any, now: datetime, limits: Limits, where: Where) -> dict[str, Any]:
    """A ``timeCycle`` value as SpiffWorkflow stores it: ``{"cycles", "next", "duration"}`` (seconds).

    ``Rn/<duration>`` first fires one interval from now; an unbounded ``R/``
    repeats ``max_repetitions`` times.
    """
    plan = _parse(parse_recurrence, value, where, limits)
    cycles = limits.max_repetitions if plan.repetitions is None else plan.repetitions
    if cycles < 1:
        raise where.invalid(value, "重复次数至少为 1")
    if cycles > limits.max_repetitions:
        raise where.too_large(value, "max_repetitions", limits.max_repetitions)
    if plan.duration is None:  # R/<start>/<end>
        start, interval = plan.start, plan.end - plan.start  # type: ignore[operator]
    elif plan.end is not None:  # R/<duration>/<end>
        if plan.duration.upper_seconds() > 2 * limits.max_duration.upper_seconds():
            raise where.too_large(value, "max_duration", str(limits.max_duration), "重复间隔")
        try:
            start = plan.duration.before(plan.end)
        except ValueTooLarge:
            raise where.too_large(value, "max_duration", str(limits.max_duration), "重复间隔") from None
        interval = plan.end - start
    else:
        start = plan.start or now
        interval = _after(plan.duration, start, limits, where, value) - start
        start = plan.start or now + interval
    if interval.total_seconds() < limits.min_cycle_seconds:
        raise where.too_large(value, "min_cycle_seconds", limits.min_cycle_seconds,
                              f"重复间隔 {interval.total_seconds():g} 秒")
    if start > _cap(limits, now) or start + interval > _cap(limits, start):
        raise where.too_large(value, "max_duration", str(limits.max_duration), "重复间隔或起点距今的时长")
    return {"cycles": cycles, "next": start.isoformat(), "duration": interval.total_seconds()}


def due_time(value: Any, now: datetime, limits: Limits, where: Where) -> datetime | None:
    """A due date from ``dueDateExpression``: a datetime, an ISO date-time (UTC without an offset), or a
    duration from now."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().upper().startswith("P"):
        return duration_due(value, now, limits, where)
    return moment_due(value, now, limits, where, naive=timezone.utc)


def _stored(value: str) -> datetime | None:
    """A due time stored in ``event_value`` (by this version or an earlier one)."""
    try:
        return parse_datetime(value)
    except ISOFormatError:
        return None


# --- the timer definitions ---------------------------------------------------------------


def _now(my_task: Any) -> datetime:
    clock = getattr(my_task.workflow.script_engine, "now", None)
    return clock() if clock else datetime.now(timezone.utc)


def _evaluate(my_task: Any, expression: str) -> Any:
    return my_task.workflow.script_engine.evaluate(my_task, expression)


def _fire_when_due(my_task: Any, due: datetime | None) -> bool:
    if due is not None and due <= _now(my_task):
        my_task._set_internal_data(event_fired=True)
    return my_task._get_internal_data("event_fired", False)


class ClockTimeDate(TimeDateEventDefinition):
    def has_fired(self, my_task: Any) -> bool:
        if my_task._get_internal_data("event_value") is None:
            due = moment_due(_evaluate(my_task, self.expression), _now(my_task), limits_of(my_task.workflow),
                             Where.of(my_task, "计时器（timeDate）"))
            my_task._set_internal_data(event_value=due.isoformat())
        return _fire_when_due(my_task, _stored(my_task._get_internal_data("event_value")))


class ClockDuration(DurationTimerEventDefinition):
    def has_fired(self, my_task: Any) -> bool:
        if my_task._get_internal_data("event_value") is None:
            due = duration_due(_evaluate(my_task, self.expression), _now(my_task), limits_of(my_task.workflow),
                               Where.of(my_task, "计时器（timeDuration）"))
            my_task._set_internal_data(event_value=due.isoformat())
        return _fire_when_due(my_task, _stored(my_task._get_internal_data("event_value")))


class ClockCycle(CycleTimerEventDefinition):
    def cycle_complete(self, my_task: Any) -> bool:
        now = _now(my_task)
        limits = limits_of(my_task.workflow)
        value = my_task._get_internal_data("event_value")
        if value is None:
            value = cycle_plan(_evaluate(my_task, self.expression), now, limits, Where.of(my_task, "计时器（timeCycle）"))
        elif value["cycles"] < 0:  # unbounded, saved by an earlier version: capped like a new one
            value = {**value, "cycles": limits.max_repetitions}
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
    return _stored(value) if isinstance(value, str) else None
