"""The audit trail is append-only and tamper-evident."""

from __future__ import annotations

from typing import Any

import orjson
from click.testing import CliRunner
from sqlalchemy import delete, select, update

from gongzhi import Engine
from gongzhi.cli import main
from gongzhi.store.models import AuditEvent


def run_case(engine: Engine, people: Any, start_vars: dict) -> str:
    inst = engine.start("approval", people.clerk, start_vars)
    engine.complete(inst.open_tasks[0].id, people.clerk, {"approved": False, "comment": "材料不全"})
    return inst.id


def test_events_record_who_what_and_changes(engine: Engine, people: Any, start_vars: dict) -> None:
    instance_id = run_case(engine, people, start_vars)
    events = engine.history(instance_id, people.leader)
    complete = events[1]
    assert complete["actor"] == {"id": "clerk-1", "name": "张三"}
    assert complete["element_id"] == "review" and complete["task_id"]
    assert complete["changed"]["comment"] == "材料不全" and complete["changed"]["hours"] == 16
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert events[1]["at"] == engine.clock.now().isoformat()


def test_clean_chain_verifies(engine: Engine, people: Any, start_vars: dict) -> None:
    run_case(engine, people, start_vars)
    report = engine.verify_audit()
    assert report.ok and report.events == 4 and report.chains == 2  # the deployment chain and the instance chain


def _tamper(engine: Engine, statement: Any) -> None:
    with engine.db.write() as session:
        session.execute(statement)


def test_edited_payload_is_detected(engine: Engine, people: Any, start_vars: dict) -> None:
    instance_id = run_case(engine, people, start_vars)
    with engine.db.read() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.chain == instance_id, AuditEvent.seq == 2)).one()
    body = orjson.loads(event.payload)
    body["changed"]["comment"] = "材料齐全"
    _tamper(engine, update(AuditEvent).where(AuditEvent.id == event.id).values(payload=orjson.dumps(body).decode()))
    report = engine.verify_audit()
    assert not report.ok and any("#2" in p and "hash mismatch" in p for p in report.problems)


def test_edited_column_is_detected(engine: Engine, people: Any, start_vars: dict) -> None:
    instance_id = run_case(engine, people, start_vars)
    _tamper(engine, update(AuditEvent).where(AuditEvent.chain == instance_id, AuditEvent.seq == 2).values(actor_id="someone-else"))
    assert any("indexed columns" in p for p in engine.verify_audit().problems)


def test_deleted_and_truncated_events_are_detected(engine: Engine, people: Any, start_vars: dict) -> None:
    first = run_case(engine, people, start_vars)
    second = run_case(engine, people, start_vars)
    _tamper(engine, delete(AuditEvent).where(AuditEvent.chain == first, AuditEvent.seq == 2))
    _tamper(engine, delete(AuditEvent).where(AuditEvent.chain == second, AuditEvent.seq == 3))
    problems = engine.verify_audit().problems
    assert any(first in p and "missing" in p for p in problems)
    assert any(second in p and "removed" in p for p in problems)


def test_cli_audit_verify(engine: Engine, people: Any, start_vars: dict) -> None:
    instance_id = run_case(engine, people, start_vars)
    runner = CliRunner()
    ok = runner.invoke(main, ["--database-url", engine.config.database_url, "audit", "verify"])
    assert ok.exit_code == 0 and "审计链完好" in ok.output
    _tamper(engine, update(AuditEvent).where(AuditEvent.chain == instance_id, AuditEvent.seq == 1).values(payload="{}"))
    broken = runner.invoke(main, ["--database-url", engine.config.database_url, "audit", "verify"])
    assert broken.exit_code == 1 and "hash mismatch" in broken.output


def test_history_masks_personal_data_without_the_pii_permission(engine: Engine, people: Any, start_vars: dict) -> None:
    inst = engine.start("approval", people.clerk, {**start_vars, "phone": "13812341234"})
    plain = engine.history(inst.id, people.leader)[0]
    assert plain["variables"]["phone"] == "138****1234" and plain["actor"]["name"] == "张三"
    officer = type(people.leader)("officer", "专员", frozenset({"leader"}), "110105", frozenset({"pii"}))
    assert engine.history(inst.id, officer)[0]["variables"]["phone"] == "13812341234"
    assert engine.verify_audit().ok  # masking is a view: the stored chain is untouched


def test_changes_of_nested_records_are_logged_leaf_by_leaf() -> None:
    from gongzhi.runtime.queries import changed

    before = {"case": {"status": "办理中", "departments": ["城管"], "notes": "x" * 500}, "n": 1, "gone": 2}
    after = {"case": {"status": "已办结", "departments": ["城管"], "notes": "x" * 500}, "n": 1, "new": True}
    assert changed(before, after) == {"case": {"status": "已办结"}, "new": True, "gone": None}
