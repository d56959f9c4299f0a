"""The bundled micro-wish loop (微心愿): 点单-下单-接单-评价, assignment or a race-safe claim, two service modes."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any, Callable

import pytest

from gongzhi import Actor, Conflict, Engine, FormValidationError, MovableClock, bpmn_package_path
from gongzhi.calendar import CST

PARTY = Actor.of("party-1", "社区书记", ["party_org"], "110105/001")
UNIT = Actor.of("unit-1", "志愿者", ["volunteers_a"], "110105/001")
MEMBER_A = Actor.of("member-a", "党员甲", ["party_members"], "110105/001")
MEMBER_B = Actor.of("member-b", "党员乙", ["party_members"], "110105/001")
COMMITTEE = Actor.of("committee-1", "党工委委员", ["party_committee"], "110105/001")
RESIDENT = Actor.of("res-1", "居民王大妈", ["resident"], "110105/001/03")

ORDER = {"wish": "帮忙预约体检", "category": "就医", "requester": "王大妈", "phone": "13812341234"}
ASSIGN = {"accepted": True, "service_mode": "党员志愿服务", "dispatch": "指派", "unit_group": "volunteers_a"}
PUBLISH = {"accepted": True, "service_mode": "党员志愿服务", "dispatch": "发布认领"}


@pytest.fixture
def wish(make_engine: Callable[..., Engine], clock: MovableClock) -> Engine:
    clock.set(datetime(2026, 11, 5, 10, 0, tzinfo=CST))  # a Thursday
    engine = make_engine()
    engine.deploy([bpmn_package_path() / "micro_wish"])
    return engine


def open_task(engine: Engine, instance_id: str) -> Any:
    [task] = engine.instance(instance_id, COMMITTEE).open_tasks
    return task


def ordered(engine: Engine, order: dict[str, Any], place: dict[str, Any]) -> str:
    inst = engine.start("micro_wish", RESIDENT, order)
    engine.complete(open_task(engine, inst.id).id, PARTY, place)
    return inst.id


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


@pytest.mark.parametrize(
    ("category", "urgent", "mode", "days", "rule"),
    [("生活帮扶", False, "党员志愿服务", 5, "DecisionRule_mode_default"),
     ("生活帮扶", False, "社会化微利服务", 3, "DecisionRule_social_living"),
     ("生活帮扶", True, "社会化微利服务", 1, "DecisionRule_mode_urgent"),
     ("就医", False, "社会化微利服务", 2, "DecisionRule_mode_default")],
)
def test_the_service_mode_chosen_at_the_order_sets_the_deadline(wish: Engine, category: str, urgent: bool, mode: str,
                                                                days: int, rule: str) -> None:
    iid = ordered(wish, {**ORDER, "category": category, "urgent": urgent}, {**ASSIGN, "service_mode": mode})
    assert wish.instance(iid, COMMITTEE).variables["handle_days"] == days
    decision = [e for e in wish.history(iid, COMMITTEE) if e["action"] == "decision"][-2]  # then the confirm days
    assert (decision["decision_id"], decision["element_id"]) == ("wish_mode_deadline", "decide_mode")
    assert decision["matched_rules"] == [rule] and decision["result"] == days


def test_an_order_without_a_mode_is_a_party_members_volunteer_service(wish: Engine) -> None:
    iid = ordered(wish, ORDER, {"accepted": True, "unit_group": "volunteers_a"})
    assert wish.instance(iid, COMMITTEE).variables["service_mode"] == "党员志愿服务"
    assert open_task(wish, iid).candidate_groups == ["volunteers_a"]


def test_assigned_wish_is_handled_confirmed_and_evaluated_by_the_committee(wish: Engine) -> None:
    inst = wish.start("micro_wish", RESIDENT, ORDER)
    place = open_task(wish, inst.id)
    assert place.candidate_groups == ["party_org"]
    assert "王大妈" in wish.task(place.id, PARTY).instructions
    with pytest.raises(FormValidationError) as exc:
        wish.complete(place.id, PARTY, {"accepted": True, "service_mode": "党员志愿服务", "dispatch": "指派"})
    assert exc.value.errors[0]["field"] == "unit_group"  # who takes an assigned wish is required
    wish.complete(place.id, PARTY, ASSIGN)
    take = open_task(wish, inst.id)
    assert take.candidate_groups == ["volunteers_a"]
    # Two working days from Thursday 10:00 is Monday 10:00.
    assert take.due_at.astimezone(CST) == datetime(2026, 11, 9, 10, 0, tzinfo=CST)
    assert "以党员志愿服务方式办理" in wish.task(take.id, UNIT).instructions
    wish.complete(take.id, UNIT, {"result": "已预约周二上午体检"})
    confirm = open_task(wish, inst.id)
    assert confirm.element_id == "confirm" and confirm.candidate_groups == ["resident"]
    wish.complete(confirm.id, RESIDENT, {"resident_met": True})
    evaluate = open_task(wish, inst.id)
    assert evaluate.candidate_groups == ["party_committee"]  # the 党工委 evaluates, not the resident
    assert "居民已确认心愿达成" in wish.task(evaluate.id, COMMITTEE).instructions
    with pytest.raises(Exception):  # noqa: B017 - the resident may not evaluate
        wish.complete(evaluate.id, RESIDENT, {"done": True, "rating": 5})
    done = wish.complete(evaluate.id, COMMITTEE, {"done": True, "rating": 5})
    assert done.status == "completed"
    assert done.variables["party_service"] == {"member_task": "take_order", "kind": "志愿服务", "source": "微心愿"}


def test_resident_confirmation_is_optional(wish: Engine, clock: MovableClock) -> None:
    iid = ordered(wish, ORDER, ASSIGN)
    wish.complete(open_task(wish, iid).id, UNIT, {"result": "已陪同就医"})
    clock.set(datetime(2026, 11, 10, 9, 59, tzinfo=CST))  # confirm_days = 3 working days: Tuesday 10:00
    assert wish.fire_due_timers() == 0
    clock.set(datetime(2026, 11, 10, 10, 0, tzinfo=CST))
    assert wish.fire_due_timers() == 1
    evaluate = open_task(wish, iid)
    assert evaluate.element_id == "evaluate"
    assert "居民未确认" in wish.task(evaluate.id, COMMITTEE).instructions


def test_published_wish_first_claim_wins(wish: Engine) -> None:
    iid = ordered(wish, ORDER, PUBLISH)
    take = open_task(wish, iid)
    assert take.candidate_groups == ["party_members", "resident_units"]
    assert "先认领者办理" in wish.task(take.id, MEMBER_A).instructions
    assert wish.claim(take.id, MEMBER_A).assignee == "member-a"
    with pytest.raises(Conflict) as exc:
        wish.claim(take.id, MEMBER_B)
    assert exc.value.http_status == 409 and "已被他人认领" in str(exc.value)
    with pytest.raises(Exception):  # noqa: B017 - only the claimant may now handle it
        wish.complete(take.id, MEMBER_B, {"result": "抢先办理"})
    wish.complete(take.id, MEMBER_A, {"result": "已陪同体检"})
    claims = [e for e in wish.history(iid, COMMITTEE) if e["action"] == "claim"]
    assert [c["actor"]["id"] for c in claims] == ["member-a"]


def test_simultaneous_claims_one_wins(wish: Engine) -> None:
    rounds, outcomes, lock = 30, [], threading.Lock()
    for _ in range(rounds):
        take = open_task(wish, ordered(wish, ORDER, PUBLISH))
        barrier = threading.Barrier(2)

        def claim(member: Actor, task_id: str = take.id, gate: threading.Barrier = barrier) -> None:
            gate.wait()
            try:
                wish.claim(task_id, member)
                result = "ok"
            except Conflict as exc:
                result = f"conflict {exc.http_status}"
            with lock:
                outcomes.append(result)

        threads = [threading.Thread(target=claim, args=(m,)) for m in (MEMBER_A, MEMBER_B)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert wish.task(take.id, COMMITTEE).assignee in ("member-a", "member-b")
    assert outcomes.count("ok") == rounds and outcomes.count("conflict 409") == rounds, outcomes


def test_social_service_is_not_a_party_members_service(wish: Engine) -> None:
    iid = ordered(wish, ORDER, {**PUBLISH, "service_mode": "社会化微利服务"})
    wish.complete(open_task(wish, iid).id, MEMBER_A, {"result": "服务商上门"})
    wish.complete(open_task(wish, iid).id, RESIDENT, {"resident_met": True})
    done = wish.complete(open_task(wish, iid).id, COMMITTEE, {"done": True, "rating": 4})
    assert done.variables["party_service"] is None


def test_not_done_returns_to_the_party_organisation(wish: Engine) -> None:
    iid = ordered(wish, ORDER, ASSIGN)
    wish.complete(open_task(wish, iid).id, UNIT, {"result": "联系不上"})
    wish.complete(open_task(wish, iid).id, RESIDENT, {"resident_met": False, "resident_comment": "没人来过"})
    evaluate = open_task(wish, iid)
    assert "居民反映心愿未达成：没人来过" in wish.task(evaluate.id, COMMITTEE).instructions
    wish.complete(evaluate.id, COMMITTEE, {"done": False, "rating": 1})
    again = open_task(wish, iid)
    assert again.element_id == "place_order"
    assert "党工委评价未办结 1 次" in wish.task(again.id, PARTY).instructions


def test_overdue_order_returns_to_the_party_organisation(wish: Engine, clock: MovableClock) -> None:
    iid = ordered(wish, ORDER, ASSIGN)
    clock.set(datetime(2026, 11, 9, 9, 59, tzinfo=CST))
    assert wish.fire_due_timers() == 0
    clock.set(datetime(2026, 11, 9, 10, 0, tzinfo=CST))
    assert wish.fire_due_timers() == 1
    again = open_task(wish, iid)
    assert again.element_id == "place_order"
    assert "已超时退回 1 次" in wish.task(again.id, PARTY).instructions
    assert wish.instance(iid, PARTY).variables["overdue_units"] == ["volunteers_a"]


def test_rejection_needs_a_reason(wish: Engine) -> None:
    inst = wish.start("micro_wish", RESIDENT, ORDER)
    place = open_task(wish, inst.id)
    with pytest.raises(FormValidationError):
        wish.complete(place.id, PARTY, {"accepted": False})
    assert wish.complete(place.id, PARTY, {"accepted": False, "reason": "不属于微心愿范围"}).status == "completed"
