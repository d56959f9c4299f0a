"""The bundled micro-wish loop (微心愿): a FEEL decision, working-day deadlines, dynamic groups."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

import pytest

from gongzhi import Actor, Engine, FormValidationError, MovableClock, bpmn_package_path
from gongzhi.calendar import CST

PARTY = Actor.of("party-1", "社区书记", ["party_org"], "110105/001")
UNIT = Actor.of("unit-1", "志愿者", ["volunteers_a"], "110105/001")
RESIDENT = Actor.of("res-1", "居民王大妈", ["resident"], "110105/001/03")

ORDER = {"wish": "帮忙预约体检", "category": "就医", "requester": "王大妈", "phone": "13812341234"}


@pytest.fixture
def wish(make_engine: Callable[..., Engine], clock: MovableClock) -> Engine:
    clock.set(datetime(2026, 11, 5, 10, 0, tzinfo=CST))  # a Thursday
    engine = make_engine()
    engine.deploy([bpmn_package_path() / "micro_wish"])
    return engine


def open_task(engine: Engine, instance_id: str) -> Any:
    [task] = engine.instance(instance_id, PARTY).open_tasks
    return task


@pytest.mark.parametrize(
    ("category", "urgent", "days", "rule"),
    [("就医", False, 2, "DecisionRule_medical"), ("助老", False, 3, "DecisionRule_elderly"),
     ("助学", False, 5, "DecisionRule_living"), ("其他", False, 7, "DecisionRule_other"),
     ("助老", True, 1, "DecisionRule_urgent")],
)
def test_deadline_decision_is_evaluated_and_audited(wish: Engine, category: str, urgent: bool, days: int, rule: str) -> None:
    inst = wish.start("micro_wish", RESIDENT, {**ORDER, "category": category, "urgent": urgent})
    assert inst.variables["handle_days"] == days
    [decision] = [e for e in wish.history(inst.id, PARTY) if e["action"] == "decision"]
    assert decision["decision_id"] == "wish_deadline" and decision["matched_rules"] == [rule]
    assert decision["element_id"] == "decide_deadline" and decision["result"] == days
    assert decision["decision_source"].startswith("micro_wish_rules.dmn@")
    assert (decision["decision_version"], decision["decision_binding"], decision["decision_region"]) == (1, "latest", "")


def test_order_taken_and_evaluated(wish: Engine, clock: MovableClock) -> None:
    inst = wish.start("micro_wish", RESIDENT, ORDER)
    place = open_task(wish, inst.id)
    assert place.candidate_groups == ["party_org"]
    assert "王大妈" in wish.task(place.id, PARTY).instructions
    with pytest.raises(FormValidationError) as exc:
        wish.complete(place.id, PARTY, {"accepted": True})  # who takes it is required once accepted
    assert exc.value.errors[0]["field"] == "unit_group"
    wish.complete(place.id, PARTY, {"accepted": True, "unit_group": "volunteers_a"})
    take = open_task(wish, inst.id)
    assert take.candidate_groups == ["volunteers_a"]
    # Two working days from Thursday 10:00 is Monday 10:00.
    assert take.due_at.astimezone(CST) == datetime(2026, 11, 9, 10, 0, tzinfo=CST)
    wish.complete(take.id, UNIT, {"result": "已预约周二上午体检"})
    evaluate = open_task(wish, inst.id)
    assert wish.task(evaluate.id, RESIDENT).instructions.endswith("已预约周二上午体检。请评价。")
    done = wish.complete(evaluate.id, RESIDENT, {"rating": 5})
    assert done.status == "completed" and done.variables["rating"] == 5


def test_overdue_order_returns_to_the_party_organisation(wish: Engine, clock: MovableClock) -> None:
    inst = wish.start("micro_wish", RESIDENT, ORDER)
    wish.complete(open_task(wish, inst.id).id, PARTY, {"accepted": True, "unit_group": "volunteers_a"})
    clock.set(datetime(2026, 11, 9, 9, 59, tzinfo=CST))
    assert wish.fire_due_timers() == 0
    clock.set(datetime(2026, 11, 9, 10, 0, tzinfo=CST))
    assert wish.fire_due_timers() == 1
    again = open_task(wish, inst.id)
    assert again.element_id == "place_order"
    assert "已超时退回 1 次" in wish.task(again.id, PARTY).instructions
    assert wish.instance(inst.id, PARTY).variables["overdue_units"] == ["volunteers_a"]


def test_rejection_needs_a_reason(wish: Engine) -> None:
    inst = wish.start("micro_wish", RESIDENT, ORDER)
    place = open_task(wish, inst.id)
    with pytest.raises(FormValidationError):
        wish.complete(place.id, PARTY, {"accepted": False})
    assert wish.complete(place.id, PARTY, {"accepted": False, "reason": "不属于微心愿范围"}).status == "completed"
