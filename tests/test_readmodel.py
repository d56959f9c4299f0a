"""The public read model (``engine.read``): scoped, masked, bounded reads with typed audit records."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from gongzhi import (
    MAX_BATCH,
    SYSTEM,
    Actor,
    AuditRecord,
    CaseSummary,
    CompleteRecord,
    Engine,
    InvalidInput,
    StartRecord,
    TaskRecord,
)
from gongzhi.runtime.audit.actions import parse_record


def _cases(engine: Engine, people: Any, start_vars: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Three cases of the first community (one reviewed), two of the second."""
    first = [engine.start("approval", people.clerk, {**start_vars, "phone": "13812341234"}).id for _ in range(3)]
    second = [engine.start("approval", people.other_clerk, start_vars).id for _ in range(2)]
    task = engine.instance(first[0], SYSTEM).open_tasks[0]
    engine.complete(task.id, people.clerk, {"approved": False, "comment": "材料不全"})
    return first, second


def test_cases_are_summaries_the_reader_may_see(engine: Engine, people: Any, start_vars: dict[str, Any]) -> None:
    first, second = _cases(engine, people, start_vars)
    everything = engine.read.cases(SYSTEM, "approval")
    # Oldest first, then by id (the cases here share one clock time).
    assert [c.id for c in everything.items] == sorted(first + second) and everything.next is None
    assert all(isinstance(c, CaseSummary) for c in everything.items)
    assert {c.id: c.region for c in everything.items}[second[0]] == "110105/002"
    mine = engine.read.cases(people.clerk, "approval")
    assert {c.id for c in mine.items} == set(first)  # the sibling community's cases are not the clerk's
    assert {c.id for c in engine.read.cases(SYSTEM, "approval", region="110105/002").items} == set(second)
    [closed] = engine.read.cases(SYSTEM, "approval", status="completed").items  # the refused application ended
    assert closed.id == first[0] and closed.ended_at == engine.clock.now()
    assert all(c.ended_at is None for c in engine.read.cases(SYSTEM, "approval", status="running").items)
    later = engine.clock.now() + timedelta(seconds=1)
    assert engine.read.cases(SYSTEM, "approval", created_from=later).items == ()
    assert len(engine.read.cases(SYSTEM, "approval", created_before=later).items) == 5


def test_cases_come_in_bounded_batches_with_a_cursor(engine: Engine, people: Any, start_vars: dict[str, Any]) -> None:
    first, second = _cases(engine, people, start_vars)
    batch = engine.read.cases(SYSTEM, "approval", limit=2)
    assert len(batch.items) == 2 and batch.next
    seen = [c.id for b in engine.read.iter_cases(SYSTEM, "approval", limit=2) for c in b.items]
    assert seen == sorted(first + second)  # each once, in order
    with pytest.raises(InvalidInput, match="limit"):
        engine.read.cases(SYSTEM, "approval", limit=MAX_BATCH + 1)
    with pytest.raises(InvalidInput, match="after"):
        engine.read.cases(SYSTEM, "approval", after="not-a-cursor")


@pytest.mark.parametrize(("call", "field"), [
    (lambda r: r.cases(None, "approval"), "actor"),
    (lambda r: r.cases(SYSTEM, ""), "process_key"),
    (lambda r: r.cases(SYSTEM, "approval", created_from=datetime(2026, 1, 1)), "created_from"),  # naive
    (lambda r: r.cases(SYSTEM, "approval", status="closed"), "status"),
    (lambda r: r.cases(SYSTEM, "approval", region="东湖"), "region"),
    (lambda r: r.tasks(SYSTEM, "one-id"), "instance_ids"),
    (lambda r: r.tasks(SYSTEM, [str(i) for i in range(MAX_BATCH + 1)]), "instance_ids"),
    (lambda r: r.variables(SYSTEM, ["x\x00"]), "instance_ids"),
    (lambda r: r.events(SYSTEM, "approval", since=None), "since"),
])
def test_bad_arguments_are_refused_with_the_field_named(engine: Engine, call: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        call(engine.read)
    assert caught.value.context["errors"][0]["field"] == field


def test_tasks_of_many_instances(engine: Engine, people: Any, start_vars: dict[str, Any]) -> None:
    first, second = _cases(engine, people, start_vars)
    tasks = engine.read.tasks(SYSTEM, first + second)
    assert all(isinstance(t, TaskRecord) for t in tasks)
    reviews = [t for t in tasks if t.element_id == "review"]
    assert {t.instance_id for t in reviews} == set(first + second)
    done = next(t for t in reviews if t.instance_id == first[0])
    assert done.status == "completed" and done.completed_by == "clerk-1" and done.completed_at is not None
    assert engine.read.tasks(SYSTEM, first + second, element_ids="review", status="open") == [
        t for t in reviews if t.status == "open"]
    assert {t.instance_id for t in engine.read.tasks(people.clerk, first + second)} <= set(first)


def test_variables_from_the_column_masked_without_pii(engine: Engine, people: Any, start_vars: dict[str, Any]) -> None:
    first, second = _cases(engine, people, start_vars)
    raw = engine.read.variables(SYSTEM, first + second)
    assert set(raw) == set(first + second) and raw[first[1]]["phone"] == "13812341234"
    assert raw[first[0]]["comment"] == "材料不全"  # what the last command left
    masked = engine.read.variables(people.clerk, first + second, names=("phone", "title"))
    assert set(masked) == set(first) and masked[first[1]] == {"phone": "138****1234", "title": "修路灯"}
    officer = Actor("officer", "专员", frozenset({"clerk"}), "110105/001", frozenset({"pii"}))
    assert engine.read.variables(officer, [first[1]], names="phone")[first[1]]["phone"] == "13812341234"


def test_events_are_typed_per_action(engine: Engine, people: Any, start_vars: dict[str, Any]) -> None:
    since = engine.clock.now() - timedelta(seconds=1)
    first, second = _cases(engine, people, start_vars)
    starts = engine.read.events(SYSTEM, "approval", since=since, actions="start").items
    assert [e.instance_id for e in starts] == first + second and all(isinstance(e, StartRecord) for e in starts)
    assert starts[0].variables["phone"] == "13812341234" and starts[0].actor_id == "clerk-1"
    [complete] = engine.read.events(SYSTEM, "approval", since=since, actions="complete").items
    assert isinstance(complete, CompleteRecord) and complete.element_id == "review"
    assert complete.data == {"approved": False, "comment": "材料不全"} and complete.changed["hours"] == 16
    task = next(t for t in engine.read.tasks(SYSTEM, [first[0]]) if t.element_id == "review")
    assert complete.task_id == task.id
    masked = engine.read.events(people.clerk, "approval", since=since, actions="start").items
    assert [e.instance_id for e in masked] == first and masked[0].variables["phone"] == "138****1234"
    assert engine.read.events(SYSTEM, "approval", since=engine.clock.now() + timedelta(seconds=1)).items == ()
    paged = [e for b in engine.read.iter_events(SYSTEM, "approval", since=since, limit=2) for e in b.items]
    assert len(paged) == len(engine.read.events(SYSTEM, "approval", since=since).items) > 6


def test_an_unknown_action_reads_as_a_generic_record() -> None:
    body = {"action": "plugin_note", "seq": 4, "instance_id": "i-1", "at": "2026-11-02T01:00:00+00:00",
            "actor": {"id": "a", "name": "甲"}, "note": "已电话联系"}
    record = parse_record(body)
    assert type(record) is AuditRecord and record.body["note"] == "已电话联系"
    assert record.at == datetime(2026, 11, 2, 1, tzinfo=timezone.utc) and record.actor_name == "甲"
