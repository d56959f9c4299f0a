"""The background worker: leases, retries and incidents, the outbox, early messages, crashes."""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import signal
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from gongzhi import Channel, Engine, MovableClock, ServiceCall, ServiceTask, SystemClock, hookimpl
from gongzhi.cli import main
from gongzhi.store.models import Job
from gongzhi.worker import Worker

FIXTURES = Path(__file__).parent / "fixtures"


def async_approval(tmp_path: Path, operator: str = "sms.send") -> Path:
    """The approval process whose notification is an asynchronous service task of ``operator``."""
    folder = tmp_path / "async_approval"
    if not folder.exists():
        shutil.copytree(FIXTURES / "approval", folder)
        bpmn = folder / "approval.bpmn"
        text = bpmn.read_text(encoding="utf-8").replace('id="gongzhi.echo"', f'id="{operator}"').replace(
            '<spiffworkflow:serviceTaskOperator',
            '<spiffworkflow:properties><spiffworkflow:property name="async" value="true" /></spiffworkflow:properties>\n'
            '        <spiffworkflow:serviceTaskOperator', 1)
        bpmn.write_text(text, encoding="utf-8")
    return folder


class Gateway:
    """An SMS gateway stand-in whose failures the test controls."""

    def __init__(self, failures: int = 0, delay: float = 0.0) -> None:
        self.failures, self.delay, self.calls = failures, delay, []

    def send(self, call: ServiceCall) -> dict:
        self.calls.append(call.instance_id)
        if self.delay:
            time.sleep(self.delay)
        if self.failures:
            self.failures -= 1
            raise ConnectionError("短信网关不可用")
        return {"sent": call.params["text"]}

    def plugin(self) -> Any:
        return SimpleNamespace(__name__="sms", gongzhi_register_service_tasks=hookimpl(
            lambda: [ServiceTask("sms.send", self.send)]))


def approve(engine: Engine, people: Any, start_vars: dict, key: str | None = None) -> str:
    inst = engine.start("approval", people.clerk, start_vars, business_key=key)
    engine.complete(inst.open_tasks[0].id, people.clerk, {"approved": True})
    return inst.id


def job_rows(engine: Engine, kind: str) -> list[tuple[str, int]]:
    with engine.db.read() as session:
        return [(j.status, j.attempts) for j in session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id))]


def test_async_service_task_runs_in_the_worker(make_engine: Callable[..., Engine], tmp_path: Path, people: Any,
                                               start_vars: dict) -> None:
    gateway = Gateway()
    engine = make_engine(plugins=[gateway.plugin()])
    engine.deploy([async_approval(tmp_path)])
    instance_id = approve(engine, people, start_vars, "A-1")
    assert gateway.calls == [] and job_rows(engine, "service") == [("pending", 0)]
    assert Worker(engine).run_once() == 1
    assert gateway.calls == [instance_id]
    view = engine.instance(instance_id, people.leader)
    assert view.variables["notice"] == {"sent": "已批准：修路灯"}
    assert [e["action"] for e in engine.history(instance_id, people.leader)][-1] == "service"
    assert engine.correlate("confirmation", people.leader, {}, business_key="A-1").open_tasks[0].element_id == "archive"


def test_failing_task_becomes_an_incident_and_completes_after_retry(make_engine: Callable[..., Engine], tmp_path: Path,
                                                                    clock: MovableClock, people: Any, start_vars: dict) -> None:
    gateway = Gateway(failures=10)
    engine = make_engine(plugins=[gateway.plugin()], job_max_attempts=3, job_backoff_seconds=10)
    engine.deploy([async_approval(tmp_path)])
    instance_id = approve(engine, people, start_vars)
    worker = Worker(engine)
    assert worker.run_once() == 0 and job_rows(engine, "service") == [("pending", 1)]
    assert worker.run_once() == 0  # backing off: not due yet
    clock.advance(seconds=10)
    assert worker.run_once() == 0 and job_rows(engine, "service") == [("pending", 2)]
    clock.advance(seconds=19)
    assert worker.run_once() == 0  # the second wait is twice as long
    clock.advance(seconds=1)
    assert worker.run_once() == 1 and job_rows(engine, "service") == [("failed", 3)]
    [incident] = engine.incidents(people.admin)
    assert incident["instance_id"] == instance_id and incident["element_id"] == "notify"
    assert "短信网关不可用" in incident["error"]
    assert engine.incidents(people.other_clerk) == []  # not an admin, and another region
    assert engine.incidents(people.clerk) == []  # the same region, but not an admin
    other_admin = type(people.admin)("admin-2", "他区管理员", frozenset({"admin"}), "110105/002")
    assert engine.incidents(other_admin) == []  # an admin of another region does not see it
    assert engine.instance(instance_id, people.leader).status == "running"  # the instance waits, nothing lost

    gateway.failures = 0  # the cause is fixed
    engine.retry_incident(incident["id"], people.admin)
    assert engine.incidents(people.admin) == []
    assert worker.run_once() == 1
    assert engine.instance(instance_id, people.leader).variables["notice"] == {"sent": "已批准：修路灯"}
    assert [e["action"] for e in engine.history(instance_id, people.admin)][-2:] == ["incident_retry", "service"]


def test_outbox_survives_a_receiver_failing_30_percent(make_engine: Callable[..., Engine], clock: MovableClock,
                                                        people: Any, start_vars: dict) -> None:
    rng = random.Random(7)
    received: list[str] = []
    failures = Counter()

    def deliver(delivery: Any) -> None:
        if rng.random() < 0.3:
            failures["fail"] += 1
            raise ConnectionError("503 from receiver")
        received.append(delivery.event_id)

    hook = SimpleNamespace(__name__="receiver", gongzhi_register_channels=hookimpl(
        lambda: [Channel("receiver", deliver, accepts=lambda event: event.kind in ("start", "complete"))]))
    engine = make_engine(plugins=[hook], job_max_attempts=50, job_backoff_seconds=1)
    engine.deploy([FIXTURES / "approval"])
    for _ in range(40):
        inst = engine.start("approval", people.clerk, start_vars)
        engine.complete(inst.open_tasks[0].id, people.clerk, {"approved": False})
    worker = Worker(engine, concurrency=2)
    for _ in range(200):
        worker.run_once()
        if len(set(received)) == 80:
            break
        clock.advance(seconds=60)
    assert failures["fail"] > 10
    assert len(set(received)) == 80 and len(received) == 80  # every event, each acknowledged once
    assert set(s for s, _ in job_rows(engine, "delivery")) == {"done"}


def test_early_message_waits_for_its_instance(engine: Engine, clock: MovableClock, people: Any, start_vars: dict) -> None:
    inst = engine.start("approval", people.clerk, start_vars, business_key="E-1")
    receipt = engine.send_message("confirmation", people.leader, {"by": "李四"}, business_key="E-1", message_id="m-1")
    assert receipt.status == "buffered" and receipt.expires_at is not None
    again = engine.send_message("confirmation", people.leader, {"by": "李四"}, business_key="E-1", message_id="m-1")
    assert again.status == "buffered"  # the same message id is accepted once
    view = engine.complete(inst.open_tasks[0].id, people.clerk, {"approved": True})
    assert [t.element_id for t in view.open_tasks] == ["archive"]  # delivered as soon as the catch event waited
    assert view.variables["confirmation"] == {"by": "李四"}
    assert engine.send_message("confirmation", people.leader, {"by": "李四"}, business_key="E-1",
                               message_id="m-1").status == "delivered"


def test_expired_message_is_not_delivered(engine: Engine, clock: MovableClock, people: Any, start_vars: dict) -> None:
    inst = engine.start("approval", people.clerk, start_vars, business_key="E-2")
    engine.send_message("confirmation", people.leader, {}, business_key="E-2", ttl_seconds=60)
    clock.advance(seconds=61)
    view = engine.complete(inst.open_tasks[0].id, people.clerk, {"approved": True})
    assert view.open_tasks == [] and "confirmation" not in view.variables


def test_cli_worker_once(engine: Engine, clock: MovableClock, people: Any, start_vars: dict) -> None:
    engine.start("approval", people.clerk, start_vars)
    clock.advance(hours=2)  # the CLI worker runs on the wall clock, which is long past this
    result = CliRunner().invoke(main, ["--database-url", engine.config.database_url, "worker", "--once"])
    assert result.exit_code == 0 and "已处理 1 个作业" in result.output
    assert engine.tasks(people.leader).items[0].element_id == "escalated"


# --- many worker processes on PostgreSQL -------------------------------------------------


def _work(url: str, seconds: float, concurrency: int, plugins: tuple = (), lease: float = 30.0) -> None:
    engine = Engine({"database_url": url, "job_lease_seconds": lease, "worker_poll_seconds": 0.2},
                    clock=SystemClock(), plugins=plugins)
    worker = Worker(engine, concurrency)
    deadline = time.monotonic() + seconds
    worker.run_forever(on_idle=lambda delay: worker.stop() if time.monotonic() > deadline else None)


def _spawn(*args: Any) -> multiprocessing.Process:
    process = multiprocessing.get_context("fork").Process(target=_work, args=args, daemon=True)
    process.start()
    return process


@pytest.mark.slow
@pytest.mark.postgres
def test_four_workers_fire_500_timers_exactly_once(make_engine: Callable[..., Engine], pg_url: str, people: Any,
                                                  start_vars: dict) -> None:
    engine = make_engine(pg_url, clock=SystemClock())
    engine.deploy([FIXTURES / "approval"])
    for _ in range(500):
        engine.start("approval", people.clerk, {**start_vars, "review_within": "PT3S"})
    workers = [_spawn(pg_url, 12.0, 2) for _ in range(4)]
    for process in workers:
        process.join(60)
    assert all(p.exitcode == 0 for p in workers)
    assert Counter(s for s, _ in job_rows(engine, "timer")) == Counter({"done": 500})
    with engine.db.read() as session:
        from gongzhi.store.models import AuditEvent

        fired = session.execute(select(AuditEvent.chain, func.count()).where(AuditEvent.action == "timer")
                                .group_by(AuditEvent.chain)).all()
    assert len(fired) == 500 and {n for _, n in fired} == {1}
    assert engine.tasks(people.leader, per_page=1).total == 500


@pytest.mark.slow
@pytest.mark.postgres
def test_killed_worker_jobs_complete_exactly_once(make_engine: Callable[..., Engine], pg_url: str, tmp_path: Path,
                                                  people: Any, start_vars: dict) -> None:
    slow = Gateway(delay=0.6)
    engine = make_engine(pg_url, clock=SystemClock(), plugins=[slow.plugin()])
    engine.deploy([async_approval(tmp_path)])
    for round_ in range(20):
        instance_id = approve(engine, people, start_vars, f"K-{round_}")
        victim = _spawn(pg_url, 5.0, 1, (slow.plugin(),), 1.0)
        time.sleep(0.35 + (round_ % 4) * 0.05)  # somewhere inside the handler
        os.kill(victim.pid, signal.SIGKILL)
        victim.join()
        rescuer = _spawn(pg_url, 1.8, 1, (Gateway().plugin(),), 1.0)
        rescuer.join(30)
        actions = [e["action"] for e in engine.history(instance_id, people.admin)]
        assert actions.count("service") == 1, (round_, actions)
        assert engine.instance(instance_id, people.admin).variables["notice"] == {"sent": "已批准：修路灯"}
    assert Counter(s for s, _ in job_rows(engine, "service")) == Counter({"done": 20})
    assert engine.verify_audit().ok


def test_a_process_starts_another_and_waits_for_its_end(make_engine: Callable[..., Engine], people: Any) -> None:
    engine = make_engine()
    engine.deploy([FIXTURES / "subcase"])
    parent = engine.start("parent_case", people.clerk, {"topic": "小区路灯"}, business_key="T-1")
    worker = Worker(engine)
    assert worker.run_once() == 1  # the asynchronous start of the child
    [listed] = engine.instances(people.admin, process_key="child_case").items
    child = engine.instance(listed.id, people.admin)
    assert child.business_key.startswith(f"{parent.id}:open_case:") and child.variables["topic"] == "小区路灯"
    assert engine.instance(parent.id, people.admin).variables["child"] == {"instance_id": child.id,
                                                                            "business_key": child.business_key}
    department = type(people.clerk)("d-1", "城管", frozenset({"department"}), "110105/001")
    engine.complete(child.open_tasks[0].id, department, {"result": "已修复"})
    assert engine.instance(parent.id, people.admin).status == "running"  # the reply is a job of its own
    assert worker.run_once() == 1
    done = engine.instance(parent.id, people.admin)
    assert done.status == "completed"
    outcome = done.variables["child_outcome"]
    assert (outcome["instance_id"], outcome["status"], outcome["variables"]["result"]) == (child.id, "completed", "已修复")


def test_purge_forgets_expired_messages_and_old_idempotency_answers(engine: Engine, clock: MovableClock,
                                                                   people: Any) -> None:
    from gongzhi.runtime.jobs import purge
    from gongzhi.store.models import IdempotencyRecord, Message

    engine.send_message("confirmation", people.leader, {}, business_key="nobody", ttl_seconds=60)
    with engine.db.write() as session:
        session.add(IdempotencyRecord(actor_id="a", key="k", operation="POST /x", request_hash="h", status="done",
                                      response_status=201, response_body="{}", created_at=clock.now(),
                                      updated_at=clock.now()))
    assert purge(engine) == 0
    clock.advance(days=2)
    assert purge(engine) == 2
    with engine.db.read() as session:
        assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0
        assert [m.status for m in session.scalars(select(Message))] == ["expired"]


def test_an_idle_worker_waits_for_a_lease_to_end_not_for_the_held_job(engine: Engine, clock: MovableClock,
                                                                     people: Any, start_vars: dict) -> None:
    from gongzhi.runtime.jobs import acquire, next_due

    engine.start("approval", people.clerk, start_vars)
    clock.advance(hours=2)
    assert next_due(engine) <= clock.now()  # a due timer: work now
    assert acquire(engine, "other-worker", 10) != []
    # Another worker holds it: the next chance is when its lease runs out, not "now" (no busy loop).
    assert next_due(engine) == clock.now() + timedelta(seconds=engine.config.job_lease_seconds)
    assert Worker(engine)._sleep_time() == engine.config.worker_poll_seconds


def test_a_message_with_no_time_to_live_is_delivered_now_or_refused(engine: Engine, people: Any, start_vars: dict) -> None:
    from gongzhi import NotFound
    from gongzhi.store.models import Message

    engine.start("approval", people.clerk, start_vars, business_key="N-1")
    with pytest.raises(NotFound):
        engine.send_message("confirmation", people.leader, {}, business_key="N-1", ttl_seconds=0)
    with engine.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 0  # nothing kept for later
