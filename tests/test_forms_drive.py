"""What a form accepts, the process accepts: every bundled process driven from its forms alone.

For each process with a start form, data is generated from the served JSON Schema (required
fields, enum / oneOf, minimum, patterns, formats — a plugin's format gives its own example —,
``if``/``then`` branches found by validating and adding what the branch requires), the case is
started, and every user task it (or a case it starts) opens is completed the same way by an actor
holding the task's groups, until the cases end or wait on a timer or a message. A step the form
accepted must never be refused afterwards (a service-task error, an incident).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterator, Mapping

import pytest
from hypothesis import HealthCheck, find, settings
from hypothesis import strategies as st

from gongzhi import Actor, Engine, FormValidationError, MovableClock

GRID = "990101/001/001/01"
ADMIN = Actor.of("admin", "管理员", ["admin"])
MAX_STEPS = 200
TODAY = dt.date(2026, 11, 2)


def _pattern_sample(pattern: str) -> str:
    return find(st.from_regex(pattern, fullmatch=True), lambda _: True,
                settings=settings(database=None, suppress_health_check=list(HealthCheck)))


class Sample:
    """Valid data for a JSON Schema, as small as the schema lets it be."""

    def __init__(self, formats: Mapping[str, Any], pick: int = 0) -> None:
        self.formats, self.pick = formats, pick  # pick: the first choice of every list, or the last (-1)

    def value(self, schema: Mapping[str, Any]) -> Any:
        if "const" in schema:
            return schema["const"]
        if "default" in schema and self.pick == 0:
            return schema["default"]
        if schema.get("enum"):
            return schema["enum"][self.pick]
        choices = [c for c in schema.get("oneOf") or schema.get("anyOf") or [] if isinstance(c, Mapping)]
        if choices:
            first = choices[self.pick]
            return first["const"] if "const" in first else self.value({**schema, **first, "oneOf": None, "anyOf": None})
        kind = schema.get("type")
        kind = next((k for k in kind if k != "null"), "string") if isinstance(kind, list) else kind
        return getattr(self, f"_{kind or 'string'}")(schema)

    def _object(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        props = schema.get("properties") or {}
        return {name: self.value(props.get(name, {})) for name in schema.get("required", [])}

    def _array(self, schema: Mapping[str, Any]) -> list[Any]:
        items = schema.get("items") or {}
        count = max(schema.get("minItems", 1), 1)
        options = items.get("enum") or [c["const"] for c in items.get("oneOf") or [] if "const" in c]
        if options:
            return list(options[:count])
        return [self.value(items) for _ in range(count)]

    def _number(self, schema: Mapping[str, Any]) -> float | int:
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + (1 if "exclusiveMinimum" in schema else 0))
        high = schema.get("maximum", schema.get("exclusiveMaximum", low + 2) - (1 if "exclusiveMaximum" in schema else 0))
        return min(max(low, 1), high)

    _integer = _number

    def _boolean(self, schema: Mapping[str, Any]) -> bool:
        return self.pick == 0

    def _null(self, schema: Mapping[str, Any]) -> None:
        return None

    def _string(self, schema: Mapping[str, Any]) -> str:
        fmt = schema.get("format")
        if fmt in self.formats and self.formats[fmt].example:
            return self.formats[fmt].example
        if fmt == "date":
            return (TODAY + dt.timedelta(days=10)).isoformat()
        if fmt == "date-time":
            return dt.datetime(2026, 11, 12, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))).isoformat()
        if fmt == "email":
            return "someone@example.org"
        if "pattern" in schema:
            return _pattern_sample(schema["pattern"])
        text = "测试内容"
        low, high = schema.get("minLength", 1), schema.get("maxLength", 500)
        return (text * (low // len(text) + 1))[:max(low, min(len(text), high))]


def _property(schema: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """The schema of ``name`` wherever the form declares it (top level or inside a branch)."""
    found = (schema.get("properties") or {}).get(name)
    if found is not None:
        return found
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key) or []:
            for part in (sub, sub.get("then") or {}, sub.get("else") or {}):
                if (hit := _property(part, name)) is not None:
                    return hit
    for part in (schema.get("then") or {}, schema.get("else") or {}):
        if (hit := _property(part, name)) is not None:
            return hit
    return None  # type: ignore[return-value]


def fill(engine: Engine, schema: Mapping[str, Any], pick: int = 0) -> dict[str, Any]:
    """Data the engine accepts for ``schema``: a sample, then whatever the branches it meets require."""
    sample = Sample(engine.forms.formats, pick)
    data = sample.value(schema)
    for _ in range(20):
        try:
            engine.forms.validate(schema, data)
            return data
        except FormValidationError as exc:
            changed = False
            for error in exc.errors:
                top = error["field"].split(".")[0]
                prop = _property(schema, top)
                if prop is not None and "." not in error["field"]:
                    data[top] = sample.value(prop)
                    changed = True
            if not changed:
                raise
    raise AssertionError(f"no valid data found for {schema.get('title')}")


def _open_tasks(engine: Engine) -> Iterator[Any]:
    yield from engine.tasks(ADMIN, per_page=100).items


def settle(engine: Engine, clock: MovableClock) -> None:
    """Run the jobs due, and, while no task is open, their retries: a job failing on data the form
    accepted ends as an incident here instead of hiding as a pending retry."""
    for _ in range(6):
        engine.run_due_jobs()
        if any(True for _ in _open_tasks(engine)):
            return
        clock.advance(dt.timedelta(minutes=3))  # past the backoff of every retry
    engine.run_due_jobs()


def drive(engine: Engine, clock: MovableClock, key: str, form: Mapping[str, Any], pick: int = 0) -> list[str]:
    """Start ``key`` from its form and complete every task its cases open; the steps taken."""
    steps = [f"start {key}"]
    engine.start(key, ADMIN, fill(engine, form, pick), region=GRID)
    for _ in range(MAX_STEPS):
        settle(engine, clock)
        incidents = engine.incidents(ADMIN)  # a step the form accepted, refused later
        assert incidents == [], (steps, [(i["element_id"], i.get("error")) for i in incidents])
        tasks = list(_open_tasks(engine))
        if not tasks:
            return steps
        task = tasks[0]
        resident = set(task.candidate_groups) & set(engine.config.resident_groups)
        # a resident's task is the case owner's (who started it); others go to the task's groups
        actor = (Actor.of(ADMIN.id if resident or not task.candidate_groups else f"drv-{task.element_id}",
                          "测试办理人", list(task.candidate_groups) or ["admin"], task.region))
        steps.append(f"{task.process_key}.{task.element_id}")
        try:
            detail = engine.task(task.id, actor)
        except Exception as exc:
            raise AssertionError(f"{steps} {task.candidate_groups} {task.region} {task.assignee}") from exc
        # a loop the choices keep going (ask for an extension, refused, ask again) ends as people end it:
        # by taking the other answer after a few rounds
        again = steps.count(steps[-1]) > 2
        data = fill(engine, detail.form, 0 if again else pick) if detail.form else {}
        clock.advance(dt.timedelta(minutes=5))
        engine.complete(task.id, actor, data)
    raise AssertionError(f"{key}: more than {MAX_STEPS} steps: {steps[-10:]}")


@pytest.fixture
def bundled(make_engine: Any, clock: MovableClock) -> Engine:
    clock.set(dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.timezone.utc))  # a Monday, 09:00 Beijing time
    engine = make_engine()
    engine.deploy()
    return engine


@pytest.mark.parametrize("pick", [0, -1], ids=["first-choices", "last-choices"])
def test_every_bundled_process_runs_on_what_its_forms_accept(bundled: Engine, clock: MovableClock, pick: int) -> None:
    """Once with the first choice of every list (and 是, and defaults), once with the last (and 否): both
    sides of the forms' ``if``/``then`` branches."""
    started = []
    for item in bundled.definitions():
        form = bundled.definition(item["key"])["start_form"]
        if form is None:
            continue  # started by another process, with what that one gives it
        steps = drive(bundled, clock, item["key"], form, pick)
        started.append((item["key"], len(steps)))
        for case in bundled.instances(ADMIN, per_page=100).items:  # the next process starts on a clean slate
            if case.status == "running":
                bundled.cancel(case.id, ADMIN, "下一个流程")
    assert len(started) >= 5, started
    assert sum(n for _, n in started) > len(started) * 2, started  # the cases went past their start
