"""Retention: the personal data of cases closed longer than RETENTION_DAYS is pseudonymised or erased."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from gongzhi import SYSTEM, Actor, Engine, MovableClock, bpmn_package_path
from gongzhi.runtime.retention import ERASED, apply_retention
from gongzhi.store.models import Instance

RESIDENT = Actor.of("res-1", "王大妈", ["resident"], "110105/001/03")
PARTY = Actor.of("party-1", "社区书记", ["party_org"], "110105/001")
PHONE = "13812345678"


def closed_wish(engine: Engine, requester: str = "王秀英", phone: str = PHONE) -> str:
    case = engine.start("micro_wish", RESIDENT, {"wish": f"{requester}想预约体检，电话 {phone}", "category": "就医",
                                                 "requester": requester, "phone": phone})
    place = engine.instance(case.id, PARTY).open_tasks[0]
    engine.complete(place.id, PARTY, {"accepted": False, "reason": "已由家属办理"})
    return case.id


@pytest.fixture
def wishes(make_engine: Callable[..., Engine]) -> Callable[..., Engine]:
    def make(**options: Any) -> Engine:
        engine = make_engine(**{"retention_days": 365, **options})
        engine.deploy([bpmn_package_path() / "micro_wish"])
        return engine

    return make


def test_closed_cases_past_the_period_are_pseudonymised(wishes: Callable[..., Engine], clock: MovableClock) -> None:
    engine = wishes()
    first, second = closed_wish(engine), closed_wish(engine, requester="王秀英")
    running = engine.start("micro_wish", RESIDENT, {"wish": "修门锁", "category": "生活帮扶", "requester": "李四",
                                                    "phone": "13900001111"}).id
    clock.advance(days=300)
    assert apply_retention(engine).instances == 0  # not yet
    clock.advance(days=100)
    assert apply_retention(engine).instances == 2
    assert apply_retention(engine).instances == 0  # once

    one, two = (engine.instance(i, SYSTEM).variables for i in (first, second))
    assert one["requester"].startswith("匿名-") and one["requester"] == two["requester"]  # same person, same pseudonym
    assert one["phone"].startswith("匿名-") and PHONE not in one["wish"] and "王秀英" not in one["wish"]
    assert one["handle_days"] == 2 and one["accepted"] is False  # what the figures need stays
    assert engine.instance(running, SYSTEM).variables["phone"] == "13900001111"  # an open case is untouched
    with engine.db.read() as session:
        assert session.get(Instance, first).erased_at is not None
        assert session.get(Instance, running).erased_at is None
    assert engine.verify_audit().ok


def test_erase_mode_and_zero_days(wishes: Callable[..., Engine], clock: MovableClock) -> None:
    engine = wishes(retention_mode="erase")
    case = closed_wish(engine)
    clock.advance(days=400)
    apply_retention(engine)
    variables = engine.instance(case, SYSTEM).variables
    assert variables["requester"] == ERASED and variables["phone"] == ERASED

    keeper = wishes(retention_days=0)
    kept = closed_wish(keeper)
    clock.advance(days=4000)
    assert apply_retention(keeper).instances == 0
    assert keeper.instance(kept, SYSTEM).variables["phone"] == PHONE
