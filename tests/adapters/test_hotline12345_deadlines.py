"""12345 both ways (issue 20, item 1): the platform's 时限 sets the departments' handling deadline, and a 督办 or
重派 with a new 时限 changes it in the running case. The clock starts on Monday 2026-11-02 09:00 (China time)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gongzhi import SYSTEM
from gongzhi.plugins.whistle.reports import department_report

from .test_hotline12345 import ORDER, send
from .test_hotline12345_actions import act, elements, notices, platform_world  # noqa: F401  (the fixture)


def handling(driver: Any, case_id: str, dept: str = "huanjing") -> Any:
    found = [t for t in driver.open_tasks(case_id) if t.element_id == "handle_feedback"
             and t.candidate_groups == [f"dept_{dept}"]]
    assert len(found) == 1, elements(driver, case_id)
    return driver.engine.task(found[0].id, SYSTEM)  # one task's view carries its instructions


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def to_handling(driver: Any, case_id: str) -> Any:
    for step in (driver.whistle, driver.sign, driver.onsite):
        step(case_id)
    return handling(driver, case_id)


def test_a_near_platform_deadline_less_the_review_margin_becomes_the_handling_deadline(platform_world, driver):
    engine, client, _ = platform_world()
    near = {**ORDER, "order_no": "GD-NEAR-1", "deadline": "2026-11-04T18:00:00+08:00"}  # Wednesday
    received = send(client, near)
    assert received.status_code == 200, received.get_json()
    case_id = received.get_json()["data"]["case_id"]
    hotline = engine.instance(case_id, SYSTEM).variables["hotline"]
    assert hotline["deadline"] == "2026-11-04T18:00:00+08:00" and hotline["margin_days"] == 1
    task = to_handling(driver(engine), case_id)
    # hotline_policy keeps one working day for the street's review: Tuesday 18:00, before whistle_limits' limit.
    assert task.due_at == moment("2026-11-03T18:00:00+08:00")
    assert "本案为 12345 热线工单，平台时限为 11月4日 18:00，本部门办理期限按平台时限确定（已为街道审核预留 1 个工作日）" \
        in task.instructions
    assert "请于 11月3日 18:00 前办结" in task.instructions


def test_a_far_platform_deadline_leaves_the_local_limit(platform_world, driver):
    engine, client, _ = platform_world()
    far = {**ORDER, "order_no": "GD-FAR-1", "deadline": "2026-12-30T18:00:00+08:00"}
    case_id = send(client, far).get_json()["data"]["case_id"]
    task = to_handling(driver(engine), case_id)
    local = {**ORDER, "order_no": "GD-NONE-1"}
    del local["deadline"]
    other = to_handling(driver(engine), send(client, local).get_json()["data"]["case_id"])
    assert task.due_at == other.due_at < moment("2026-12-29T18:00:00+08:00")  # whistle_limits' limit is earlier
    assert "平台时限为 12月30日 18:00。请于" in task.instructions and "按平台时限确定" not in task.instructions
    assert "12345" not in other.instructions  # no platform 时限, nothing said about one


def test_a_deadline_past_or_malformed_at_intake_is_refused_and_makes_no_case(platform_world, clock):
    engine, client, _ = platform_world()
    past = send(client, {**ORDER, "order_no": "GD-PAST-1", "deadline": "2026-11-01T18:00:00+08:00"})
    assert past.status_code == 422 and past.get_json()["code"] == 42201, past.get_json()
    assert past.get_json()["errors"] == [{"field": "deadline", "message": "平台时限已过"}]
    assert "11月1日 18:00" in past.get_json()["message"]
    naive = send(client, {**ORDER, "order_no": "GD-BAD-1", "deadline": "2026-11-09 18:00"})
    assert naive.status_code == 400 and naive.get_json()["code"] == 40000
    assert [e["field"] for e in naive.get_json()["errors"]] == ["deadline"]
    assert send(client, {**ORDER, "order_no": "GD-BAD-2", "deadline": 20261109}).status_code == 400
    odd = send(client, {**ORDER, "order_no": "GD-BAD-3", "urgency": "特急"})  # hotline_policy knows no such urgency
    assert odd.status_code == 422 and odd.get_json()["code"] == 42200
    assert [e["field"] for e in odd.get_json()["errors"]] == ["urgency"]
    assert engine.instances(SYSTEM, process_key="whistle_dispatch").total == 0
    # An order taken in before its 时限 passed is still answered as received when the platform retries it later.
    first = send(client, ORDER)
    clock.advance(days=10)
    again = send(client, ORDER)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()


def test_a_supervision_with_a_new_deadline_restarts_the_handling_clock(platform_world, driver):
    engine, client, _ = platform_world()
    case_id = send(client, ORDER).get_json()["data"]["case_id"]  # 时限 Monday 11-09
    d = driver(engine)
    before = to_handling(d, case_id)
    assert before.due_at == moment("2026-11-06T18:00:00+08:00")
    supervised = act(client, ORDER["order_no"], "DB-7", "supervise",
                     {"content": "列入督办，请今日办结", "deadline": "2026-11-02T17:00:00+08:00"})
    assert supervised.status_code == 200 and supervised.get_json()["data"]["result"] == "已送达", supervised.get_json()
    after = handling(d, case_id)
    # Due today: no room left for the review margin, so the platform's own 时限.
    assert after.id != before.id and after.due_at == moment("2026-11-02T17:00:00+08:00")
    assert "平台时限为 11月2日 17:00，本部门办理期限按平台时限确定。请于 11月2日 17:00 前办结" in after.instructions
    assert {n["to"] for n in notices(engine) if n["kind"] == "平台督办"} == {"street", "district", "dept_huanjing"}
    replay = act(client, ORDER["order_no"], "DB-7", "supervise",
                 {"content": "列入督办，请今日办结", "deadline": "2026-11-02T17:00:00+08:00"})
    assert replay.headers["Idempotent-Replayed"] == "true" and handling(d, case_id).id == after.id
    d.feedback(case_id)
    d.rate(case_id)
    [row] = department_report(engine, month="2026-11")
    assert row["handled"] == 1 and row["escalations"] == 1  # the restart counts as a supervision (README)


def test_a_supervision_with_a_past_or_malformed_deadline_changes_nothing(platform_world, driver):
    engine, client, _ = platform_world()
    case_id = send(client, ORDER).get_json()["data"]["case_id"]
    d = driver(engine)
    before = to_handling(d, case_id)
    past = act(client, ORDER["order_no"], "DB-8", "supervise", {"content": "督办", "deadline": "2026-11-01T17:00:00+08:00"})
    assert past.status_code == 422 and past.get_json()["code"] == 42201
    bad = act(client, ORDER["order_no"], "DB-9", "supervise", {"content": "督办", "deadline": "明天"})
    assert bad.status_code == 400 and [e["field"] for e in bad.get_json()["errors"]] == ["data.deadline"]
    assert handling(d, case_id).id == before.id
    assert [n for n in notices(engine) if n["kind"] == "平台督办"] == []  # the refused calls relayed nothing
    fixed = act(client, ORDER["order_no"], "DB-8", "supervise", {"content": "督办", "deadline": "2026-11-05T17:00:00+08:00"})
    assert fixed.status_code == 200  # the id of a refused call may be used again, corrected


def test_a_redispatch_with_a_new_deadline_sets_the_next_rounds_deadline(platform_world, driver):
    engine, client, _ = platform_world()
    case_id = send(client, ORDER).get_json()["data"]["case_id"]
    d = driver(engine)
    to_handling(d, case_id)
    d.feedback(case_id)
    d.rate(case_id)
    redispatched = act(client, ORDER["order_no"], "CP-7", "redispatch",
                       {"reason": "市民反映未整改", "deadline": "2026-11-05T12:00:00+08:00"})
    assert redispatched.status_code == 200, redispatched.get_json()
    assert engine.instance(case_id, SYSTEM).variables["hotline"]["deadline"] == "2026-11-05T12:00:00+08:00"
    task = to_handling(d, case_id)
    assert task.due_at == moment("2026-11-04T12:00:00+08:00")  # one working day before the new 时限
    assert "平台时限为 11月5日 12:00" in task.instructions


def test_a_new_deadline_for_a_department_still_on_site_waits_for_its_handling(platform_world, driver):
    engine, client, _ = platform_world()
    case_id = send(client, ORDER).get_json()["data"]["case_id"]
    d = driver(engine)
    d.whistle(case_id)
    d.sign(case_id)
    assert elements(d, case_id) == ["onsite_report"]
    supervised = act(client, ORDER["order_no"], "DB-5", "supervise",
                     {"content": "列入督办", "deadline": "2026-11-04T17:00:00+08:00"})
    assert supervised.get_json()["data"]["result"] == "已接收，待案件办理到相应环节时处理"
    d.onsite(case_id)
    task = handling(d, case_id)
    assert task.due_at == moment("2026-11-03T17:00:00+08:00")  # the new 时限 less the margin, once it got there
    d.feedback(case_id)
    d.rate(case_id)
    [row] = department_report(engine, month="2026-11")
    assert row["handled"] == 1 and row["escalations"] == 0  # no handling step was under way to interrupt
