"""``engine.claims``: the one claim primitive behind ``Idempotency-Key`` and the adapters' intake."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any, Callable

import pytest
from gongzhi import ConfigurationError, Engine, InstanceView, MovableClock
from gongzhi.adapters.intake import Intake, IntakeBusy, IntakeConflict
from gongzhi.adapters.base import service_actor


def test_one_owner_then_its_answer_and_conflicts_for_other_requests(make_engine: Callable[..., Engine]) -> None:
    claims = make_engine().claims
    assert claims.claim("actor-1", "k", "POST /x", "hash-a").state == "owned"
    assert claims.claim("actor-1", "k", "POST /x", "hash-a").state == "pending"  # the owner still works
    assert claims.claim("actor-2", "k", "POST /x", "hash-b").state == "owned"  # keys are scoped by owner
    claims.finish("actor-1", "k", 201, '{"id": "i-1"}')
    replay = claims.claim("actor-1", "k", "POST /x", "hash-a")
    assert (replay.state, replay.status, replay.body) == ("done", 201, '{"id": "i-1"}')
    assert claims.claim("actor-1", "k", "POST /x", "hash-other").state == "conflict"  # another body
    assert claims.claim("actor-1", "k", "POST /y", "hash-a").state == "conflict"  # another operation
    claims.release("actor-2", "k")
    assert claims.claim("actor-2", "k", "POST /x", "hash-c").state == "owned"  # released: free again


def test_a_waiting_claim_gets_the_answer_the_owner_finishes_with(make_engine: Callable[..., Engine]) -> None:
    claims = make_engine().claims
    assert claims.claim("intake:kiosk", "K-1", "adapter-intake", "h").owned
    timer = threading.Timer(0.3, claims.finish, ("intake:kiosk", "K-1", 201, "i-7"))
    timer.start()
    started = time.monotonic()
    answer = claims.claim("intake:kiosk", "K-1", "adapter-intake", "h", wait_seconds=10)
    timer.join()
    assert (answer.state, answer.body) == ("done", "i-7") and time.monotonic() - started < 5
    assert claims.claim("intake:kiosk", "K-2", "adapter-intake", "h").owned
    assert claims.claim("intake:kiosk", "K-2", "adapter-intake", "h", wait_seconds=0.2).state == "pending"


def test_the_stale_after_setting_decides_when_a_dead_owner_is_taken_over(make_engine: Callable[..., Engine],
                                                                       clock: MovableClock) -> None:
    engine = make_engine(idempotency_stale_seconds="60")
    assert engine.claims.stale_after == timedelta(seconds=60)
    assert engine.claims.claim("a", "k", "op", "h").owned  # its process dies here: never finished nor released
    clock.advance(seconds=59)
    assert engine.claims.claim("a", "k", "op", "h").state == "pending"
    clock.advance(seconds=2)
    assert engine.claims.claim("a", "k", "op", "h").owned  # taken over, once
    assert engine.claims.claim("a", "k", "op", "h").state == "pending"  # the take-over touched the row
    assert make_engine().claims.stale_after == timedelta(minutes=5)  # the documented default
    for bad in ("0", "-1", "soon"):
        with pytest.raises(ConfigurationError, match="(?i)idempotency_stale_seconds|invalid configuration"):
            make_engine(idempotency_stale_seconds=bad)


INTAKE = {"channel": "政务门户", "category_l1": "生态环境", "category_l2": "餐饮油烟", "category_l3": "油烟直排",
          "case_type": "投诉", "description": "楼下餐馆油烟直排，影响居民生活", "address": "翠苑路 1 号",
          "grid": "990101/001/001/01", "reporter_name": "张三", "reporter_mobile": "13800138000",
          "urgency": "一般", "emergency": "无"}


def test_intake_claims_through_the_engine_and_takes_over_a_dead_delivery(whistle_engine: Callable[..., Engine],
                                                                       clock: MovableClock) -> None:
    engine = whistle_engine(idempotency_stale_seconds=30)
    actor = service_actor("kiosk")
    intake = Intake(engine, "kiosk", actor, wait_seconds=0.2)
    assert intake.process_key == "whistle_dispatch"  # the bundled process profile's
    started: list[str] = []

    def start(business_key: str, ref: dict[str, Any]) -> InstanceView:
        started.append(business_key)
        return engine.start(intake.process_key, actor, {**INTAKE, "intake_ref": ref}, business_key=business_key,
                            region=INTAKE["grid"])

    report = {"text": "楼下餐馆油烟直排"}
    from gongzhi.adapters.intake import OPERATION, content_hash

    # A delivery claimed the id, then its process died before starting the case.
    assert engine.claims.claim(intake.owner, "K-1", OPERATION, content_hash(report)).owned
    with pytest.raises(IntakeBusy):
        intake.submit("K-1", report, start)
    clock.advance(seconds=31)
    first = intake.submit("K-1", report, start)
    again = intake.submit("K-1", report, start)
    assert first.created and not again.created and again.instance_id == first.instance_id
    assert started == ["kiosk:K-1"]
    with pytest.raises(IntakeConflict):
        intake.submit("K-1", {"text": "另一件事"}, start)
    # A failed start releases the id: the corrected report goes through under it.
    with pytest.raises(ValueError):
        intake.submit("K-2", report, lambda key, ref: (_ for _ in ()).throw(ValueError("boom")))
    assert intake.submit("K-2", report, start).created
