"""A database written by the 0.1 engine upgrades, verifies and carries every running case to its end.

``fixtures/legacy/v0_1.sqlite3`` was written by the engine at commit 598136f (see
``fixtures/legacy/build.py``): cases wait at user tasks, a boundary timer, a message,
a child process, a cycle timer and the whistle intake; one message is buffered; the
audit chains are unkeyed. On PostgreSQL the same rows are copied into a schema
migrated to that engine's revision (0005) before upgrading.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pytest
from sqlalchemy import MetaData, create_engine, insert, select

from gongzhi import Actor, Engine, MovableClock, bpmn_package_path
from gongzhi.plugins.whistle import Outbox, WhistlePlugin
from gongzhi.store.migrate import upgrade
from gongzhi.store.models import Message

LEGACY = Path(__file__).parent / "fixtures" / "legacy" / "v0_1.sqlite3"
BUILT_AT = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)
TABLES = ["gz_definition_file", "gz_definition_version", "gz_instance", "gz_task", "gz_task_candidate", "gz_job",
          "gz_message_subscription", "gz_audit_event", "gz_audit_head", "gz_incident", "gz_message",
          "gz_idempotency_key"]

clerk = Actor.of("clerk-1", "张三", ["clerk"], "110105/001")
leader = Actor.of("leader-1", "李四", ["leader"], "110105")
archivist = Actor.of("arch-1", "王五", ["archivist"], "110105/001")
admin = Actor.of("admin", "管理员", ["admin"], "", ["pii"])
department = Actor.of("d-1", "城管", ["department"], "110105/001")


def _legacy_url(db_url: str, tmp_path: Path) -> str:
    if db_url.startswith("sqlite"):
        copy = tmp_path / "legacy.sqlite3"
        shutil.copy(LEGACY, copy)
        return f"sqlite:///{copy}"
    target = create_engine(db_url)
    upgrade(target, "0005")  # the schema of the engine that wrote the fixture
    source = create_engine(f"sqlite:///{LEGACY}")
    old, new = MetaData(), MetaData()
    old.reflect(source)
    new.reflect(target)
    with source.connect() as read, target.begin() as write:
        for name in TABLES:
            rows = [dict(r._mapping) for r in read.execute(select(old.tables[name]))]
            if rows:
                write.execute(insert(new.tables[name]), rows)
        for name in ("gz_job", "gz_audit_event", "gz_incident", "gz_message", "gz_definition_version"):
            write.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                  f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)")
    source.dispose()
    target.dispose()
    return db_url


@pytest.fixture
def legacy(db_url: str, tmp_path: Path, make_engine: Callable[..., Engine]) -> tuple[Engine, MovableClock]:
    clock = MovableClock(BUILT_AT)
    engine = make_engine(_legacy_url(db_url, tmp_path), clock=clock, plugins=[WhistlePlugin(notifier=Outbox())],
                         disable_plugins=["whistle"])
    return engine, clock


def _case(engine: Engine, key: str) -> Any:
    [item] = engine.instances(admin, business_key=key).items
    return engine.instance(item.id, admin)


def _task(engine: Engine, case_id: str, element_id: str) -> Any:
    [task] = [t for t in engine.instance(case_id, admin).open_tasks if t.element_id == element_id]
    return task


def test_the_legacy_database_upgrades_and_verifies(legacy: tuple[Engine, MovableClock]) -> None:
    engine, _ = legacy
    report = engine.verify_audit()
    assert report.ok, report.problems
    assert report.events >= 18
    # Cases keep their owners (the starter) and their versions.
    assert _case(engine, "L-REVIEW").started_by == "clerk-1"
    assert engine.instances(clerk).total >= 4


def test_every_legacy_case_runs_to_its_end(legacy: tuple[Engine, MovableClock]) -> None:
    engine, clock = legacy
    engine.deploy([bpmn_package_path() / "whistle"])  # unchanged files: no new version

    # approval at the review: approve, confirm, archive
    review = _case(engine, "L-REVIEW")
    engine.complete(_task(engine, review.id, "review").id, clerk, {"approved": True, "comment": "同意"})
    engine.correlate("confirmation", leader, {"confirmed_by": "李四"}, business_key="L-REVIEW")
    assert engine.complete(_task(engine, review.id, "archive").id, archivist, {"note": "归档"}).status == "completed"

    # approval waiting for its message
    confirm = _case(engine, "L-CONFIRM")
    engine.correlate("confirmation", leader, {"confirmed_by": "李四"}, business_key="L-CONFIRM")
    assert engine.complete(_task(engine, confirm.id, "archive").id, archivist, {}).status == "completed"

    # a message kept by 0.1 has no recorded sender: it is refused, not delivered on anyone's behalf
    early = _case(engine, "L-EARLY")
    engine.complete(_task(engine, early.id, "review").id, clerk, {"approved": True})
    with engine.db.read() as session:
        assert session.scalar(select(Message.status).where(Message.business_key == "L-EARLY")) == "refused"
    engine.correlate("confirmation", leader, {"confirmed_by": "李四"}, business_key="L-EARLY")
    assert engine.complete(_task(engine, early.id, "archive").id, archivist, {}).status == "completed"

    # the parent waits for its child, which waits at a user task
    parent = _case(engine, "L-PARENT")
    [child] = engine.instances(admin, process_key="child_case").items
    engine.complete(_task(engine, child.id, "handle").id, department, {"result": "已修复"})
    engine.run_due_jobs()
    assert engine.instance(parent.id, admin).status == "completed"

    # the boundary timers of the open reviews, the working-day timer and the cycle of reminders
    reminder = _case(engine, "L-REMINDER")
    clock.advance(days=7)
    assert engine.fire_due_timers() >= 1
    while engine.fire_due_timers():
        clock.advance(hours=1)
    remind = _task(engine, reminder.id, "handle")
    assert engine.complete(remind.id, clerk, {}).status == "completed"

    # the whistle case, from the street's whistle to the follow-up
    whistle = _case(engine, "L-WHISTLE")
    steps = [
        ("blow_whistle", {"whistle_level": "常规哨", "lead_department": "huanjing", "co_departments": [],
                          "whistle_reason": "需部门报到处置"}),
        ("sign_in", {"sign_decision": "签收"}),
        ("onsite_report", {"arrived_at": "2026-11-09T15:00:00+08:00", "onsite_staff": "执法队员两名",
                           "onsite_situation": "现场核实属实"}),
        ("handle_feedback", {"handle_outcome": "办结反馈", "accepted_at": "2026-11-09T10:00:00+08:00",
                             "contacted": "反映人及餐馆业主", "measures": "责令安装油烟净化设施并复查",
                             "resolve_by": "2026-11-20", "handle_result": "已解决"}),
        # the 0.1 case keeps its own version (its 街道吹哨 changed since, so it cannot migrate): the 0.1 form
        ("street_rate", {"street_signed_on_time": True, "street_arrived_on_time": True, "street_resolved": True,
                         "street_cooperation": 5, "street_score": 5, "street_refused": False}),
        ("community_rate", {"community_score": 5}),
        ("resident_followup", {"followup_resolved": "已解决", "followup_satisfaction": "满意"}),
    ]
    for element_id, data in steps:
        view = engine.complete(_task(engine, whistle.id, element_id).id, admin, data)
    assert view.status == "completed"

    running = [i for i in engine.instances(admin, per_page=100).items if i.status == "running"]
    assert running == []
    report = engine.verify_audit()
    assert report.ok, report.problems
