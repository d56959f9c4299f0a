"""12345 both ways (issue 20, item 1): the platform's 催办, 督办, 回访结果, 重派, 撤单 and its answer to a
return change the case through the messages the whistle flow catches, once, however often they are sent."""

from __future__ import annotations

import time
from typing import Any

import httpx
import orjson
import pytest
from gongzhi import SYSTEM
from gongzhi.adapters.hotline12345 import HotlineAdapter
from gongzhi.adapters.hotline12345.rates import hotline_rates
from gongzhi.adapters.signing import new_secret, signature_headers

from .test_hotline12345 import ORDER, TOKEN, Platform, flush, send

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def platform_world(whistle_engine, local_server, app_for):
    """An engine with the adapter, the fake platform's callback, and inbound calls signed with ``inbound``."""
    def make(inbound: str | None = None):  # type: ignore[no-untyped-def]
        secret = new_secret()
        platform = Platform(secret)
        server = local_server(platform)
        config = {"token": TOKEN, "callback_url": server.url + "/callback", "callback_secret": secret}
        if inbound:
            config["platform_secret"] = inbound
        engine = whistle_engine(HotlineAdapter(config, transport=httpx.HTTPTransport()))
        return engine, app_for(engine).test_client(), platform

    return make


def act(client: Any, order_no: str, action_id: str, action: str, data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None) -> Any:
    return client.post(f"/adapters/hotline12345/work-orders/{order_no}/actions",
                       json={"action_id": action_id, "action": action, "occurred_at": "2026-11-03T10:00:00+08:00",
                             "data": data or {}}, headers={**AUTH, **(headers or {})})


def notices(engine: Any) -> list[dict[str, Any]]:
    outbox = next(p.notifier for p in engine.pm.get_plugins() if type(p).__name__ == "WhistlePlugin")
    return outbox.items


def elements(driver: Any, case_id: str) -> list[str]:
    return sorted(t.element_id for t in driver.open_tasks(case_id))


def test_an_orders_whole_life_with_urging_an_unsatisfied_revisit_and_a_second_round(platform_world, driver, clock):
    engine, client, platform = platform_world()
    case_id = send(client, ORDER).get_json()["data"]["case_id"]
    d = driver(engine)
    d.whistle(case_id)
    d.sign(case_id)

    urged = act(client, ORDER["order_no"], "CB-1", "urge", {"content": "市民再次来电，请加快办理"})
    assert urged.status_code == 200 and urged.get_json()["data"]["result"] == "已送达", urged.get_json()
    relayed = [n for n in notices(engine) if n["kind"] == "平台催办"]
    assert {n["to"] for n in relayed} == {"street", "dept_huanjing"}  # whoever holds the case now
    assert all("市民再次来电，请加快办理" in n["text"] for n in relayed)
    assert elements(d, case_id) == ["onsite_report"]  # 催办 does not stop the work in hand
    again = act(client, ORDER["order_no"], "CB-1", "urge", {"content": "市民再次来电，请加快办理"})
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json() == urged.get_json()
    assert len([n for n in notices(engine) if n["kind"] == "平台催办"]) == 2  # relayed once

    supervised = act(client, ORDER["order_no"], "DB-1", "supervise", {"content": "列入督办，请三日内办结"})
    assert supervised.status_code == 200
    assert {n["to"] for n in notices(engine) if n["kind"] == "平台督办"} == {"street", "district", "dept_huanjing"}

    d.onsite(case_id)
    d.feedback(case_id)
    d.rate(case_id)
    unhappy = act(client, ORDER["order_no"], "HF-1", "revisit", {"satisfaction": "不满意", "resolved": "未解决",
                                                                   "comment": "油烟仍然很大"})
    assert unhappy.get_json()["data"]["result"] == "已送达"
    assert elements(d, case_id) == ["blow_whistle"]  # reopened: the street whistles again
    view = engine.instance(case_id, SYSTEM)
    assert view.variables["reopen_count"] == 1
    assert view.variables["followups"][-1] == {"round": 0, "resolved": "未解决", "satisfaction": "不满意", "by": "12345 平台"}
    [reopened] = hotline_rates(engine, month="2026-11")  # Gongzhi waits for the closing follow-up; the platform does not
    assert (reopened["followed_up"], reopened["gongzhi_satisfaction_rate"]) == (0, None)
    assert (reopened["platform_revisited"], reopened["platform_satisfaction_rate"]) == (1, 0.0)

    d.whistle(case_id)
    d.sign(case_id)
    d.onsite(case_id)
    d.feedback(case_id)
    d.rate(case_id)
    happy = act(client, ORDER["order_no"], "HF-2", "revisit", {"satisfaction": "满意", "resolved": "已解决"})
    assert happy.status_code == 200
    assert engine.instance(case_id, SYSTEM).status == "completed"
    flush(engine, clock)
    assert platform.problems == []
    assert [p["action"] for p in platform.pushes].count("feedback") == 2
    close = [p for p in platform.pushes if p["action"] == "close"]
    assert len(close) == 1 and close[0]["data"]["satisfaction"] == "满意"
    late = act(client, ORDER["order_no"], "CB-9", "urge", {"content": "再催"})
    assert late.status_code == 409 and late.get_json()["code"] == 40902  # a closed order cannot be urged

    # Its 三率 contribution. Gongzhi: two dispatches (one per round), both signed by the department; one
    # closed case whose final follow-up is the platform's second revisit (满意, 已解决). The platform: one
    # order, signed before its 时限; its last revisit counts, not the first 不满意.
    [row] = hotline_rates(engine, month="2026-11")
    assert (row["orders"], row["dispatched"], row["gongzhi_response_rate"]) == (1, 2, 1.0)
    assert (row["followed_up"], row["gongzhi_resolution_rate"], row["gongzhi_satisfaction_rate"]) == (1, 1.0, 1.0)
    assert (row["platform_reached"], row["platform_responded"], row["platform_response_rate"]) == (1, 1, 1.0)
    assert (row["platform_revisited"], row["platform_resolution_rate"], row["platform_satisfaction_rate"]) == (1, 1.0, 1.0)


def test_a_redispatch_while_waiting_for_the_revisit_reopens_the_case(platform_world, driver):
    engine, client, _ = platform_world()
    case_id = send(client, ORDER).get_json()["data"]["case_id"]
    d = driver(engine)
    for step in (d.whistle, d.sign, d.onsite, d.feedback, d.rate):
        step(case_id)
    assert act(client, ORDER["order_no"], "CP-1", "redispatch", {"reason": "市民反映未整改"}).status_code == 200
    assert elements(d, case_id) == ["blow_whistle"]
    assert engine.instance(case_id, SYSTEM).variables["followups"][-1]["redispatch"] == "市民反映未整改"


def test_the_platform_revisit_that_never_comes_falls_back_to_the_streets_own(platform_world, driver, clock):
    engine, client, _ = platform_world()
    case_id = send(client, ORDER).get_json()["data"]["case_id"]
    d = driver(engine)
    for step in (d.whistle, d.sign, d.onsite, d.feedback, d.rate):
        step(case_id)
    assert elements(d, case_id) == []
    clock.advance(days=9)  # past hotline_policy's 5 working days
    engine.run_due_jobs()
    assert elements(d, case_id) == ["resident_followup"]


def test_a_withdrawn_order_cancels_the_case(platform_world):
    engine, client, _ = platform_world()
    case_id = send(client, ORDER).get_json()["data"]["case_id"]
    withdrawn = act(client, ORDER["order_no"], "CD-1", "withdraw", {"reason": "市民撤回诉求"})
    assert withdrawn.status_code == 200 and withdrawn.get_json()["data"]["result"] == "已撤单"
    view = engine.instance(case_id, SYSTEM)
    assert view.status == "cancelled"
    gone = act(client, ORDER["order_no"], "HF-1", "revisit", {"satisfaction": "满意", "resolved": "已解决"})
    assert gone.status_code == 409 and gone.get_json()["code"] == 40902 and "已撤单" in gone.get_json()["message"]


def test_a_return_the_platform_rejects_comes_back_to_the_street(platform_world, driver):
    engine, client, platform = platform_world()
    order = {**ORDER, "order_no": "GD20261102000124", "category": {"l1": "治安消防", "l2": "警情", "l3": "打架斗殴"},
             "content": "小区门口有人打架斗殴", "emergency": "警情"}
    case_id = send(client, order).get_json()["data"]["case_id"]
    d = driver(engine)
    d.do(case_id, "divert", {"diverted_to": "非职责", "divert_note": "属治安案件，不属街道职责"})
    assert engine.instance(case_id, SYSTEM).status == "running"  # waits for the platform's review
    rejected = act(client, order["order_no"], "TD-1", "return_result", {"accepted": False, "comment": "请先行处置"})
    assert rejected.status_code == 200
    assert elements(d, case_id) == ["blow_whistle"]
    view = engine.instance(case_id, SYSTEM)
    assert view.variables["returns_rejected"] == [{"diverted_to": "非职责", "comment": "请先行处置"}]

    other = {**order, "order_no": "GD20261102000125"}
    second = send(client, other).get_json()["data"]["case_id"]
    d.do(second, "divert", {"diverted_to": "110", "divert_note": "属警情，已转 110 处置"})
    accepted = act(client, other["order_no"], "TD-2", "return_result", {"accepted": True})
    assert accepted.status_code == 200 and engine.instance(second, SYSTEM).status == "completed"


def test_bad_calls_are_refused_with_the_documented_codes(platform_world):
    engine, client, _ = platform_world()
    send(client, ORDER)
    unknown = act(client, "GD-NOPE", "X-1", "urge", {"content": "催"})
    assert unknown.status_code == 404 and unknown.get_json()["code"] == 40400
    bad = client.post(f"/adapters/hotline12345/work-orders/{ORDER['order_no']}/actions",
                      json={"action_id": "bad id!", "action": "shout", "data": []}, headers=AUTH)
    assert bad.status_code == 400 and {e["field"] for e in bad.get_json()["errors"]} == {"action_id", "action", "data"}
    missing = act(client, ORDER["order_no"], "HF-1", "revisit", {"satisfaction": "还行"})
    assert missing.status_code == 400
    assert {e["field"] for e in missing.get_json()["errors"]} == {"data.satisfaction", "data.resolved"}
    first = act(client, ORDER["order_no"], "CB-1", "urge", {"content": "请加快"})
    assert first.status_code == 200
    reused = act(client, ORDER["order_no"], "CB-1", "urge", {"content": "换了内容"})
    assert reused.status_code == 409 and reused.get_json()["code"] == 40900
    early = act(client, ORDER["order_no"], "RR-1", "return_result", {"accepted": True})
    assert early.status_code == 200  # kept until the case waits for it: nothing happens to the case now
    assert engine.instance(send(client, ORDER).get_json()["data"]["case_id"], SYSTEM).status == "running"


def test_signed_calls_refuse_a_forgery_and_a_replay_but_answer_a_retry(platform_world):
    inbound = new_secret()
    engine, client, _ = platform_world(inbound=inbound)
    body = orjson.dumps(ORDER)

    def post(path: str, payload: bytes, headers: dict[str, str]) -> Any:
        return client.post(path, data=payload, headers={**AUTH, **headers, "Content-Type": "application/json"})

    unsigned = post("/adapters/hotline12345/work-orders", body, {})
    assert unsigned.status_code == 401 and unsigned.get_json()["code"] == 40101
    forged = post("/adapters/hotline12345/work-orders", body, signature_headers([new_secret()], "m-1", body))
    assert forged.status_code == 401 and forged.get_json()["code"] == 40101
    signed = signature_headers([inbound], "m-2", body)
    assert post("/adapters/hotline12345/work-orders", body, signed).status_code == 200
    retry = post("/adapters/hotline12345/work-orders", body, signed)  # the platform lost our answer
    assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true"
    stale = signature_headers([inbound], "m-3", body, timestamp=int(time.time()) - 3600)
    replayed = post("/adapters/hotline12345/work-orders", body, stale)
    assert replayed.status_code == 401 and "too old" in replayed.get_json()["message"]
    assert engine.instances(SYSTEM, business_key="hotline12345:" + ORDER["order_no"]).total == 1


def test_the_monthly_reconciliation_lists_what_differs(platform_world, clock):
    engine, client, _ = platform_world()
    first = send(client, ORDER).get_json()["data"]["case_id"]
    send(client, {**ORDER, "order_no": "GD20261102000301"})
    send(client, {**ORDER, "order_no": "GD20261102000302"})
    act(client, "GD20261102000302", "CD-1", "withdraw", {"reason": "市民撤回诉求"})
    platform = [{"order_no": ORDER["order_no"], "status": "closed"},  # the platform thinks it is closed: it is not
                {"order_no": "GD20261102000301", "status": "open"},
                {"order_no": "GD20261102000302", "status": "withdrawn"},
                {"order_no": "GD20261102000399", "status": "open"}]  # never reached Gongzhi
    answer = client.post("/adapters/hotline12345/reconciliation", json={"month": "2026-11", "orders": platform},
                         headers=AUTH)
    assert answer.status_code == 200, answer.get_json()
    data = answer.get_json()["data"]
    assert data["differences"] == [{"order_no": ORDER["order_no"], "platform": "closed", "gongzhi": "open", "case_id": first}]
    assert data["missing_in_gongzhi"] == ["GD20261102000399"] and data["missing_on_platform"] == []
    assert data["platform_orders"] == 4 and data["gongzhi_orders"] == 3
    other_month = client.post("/adapters/hotline12345/reconciliation", json={"month": "2026-10", "orders": platform},
                              headers=AUTH).get_json()["data"]
    assert other_month["gongzhi_orders"] == 0 and len(other_month["missing_in_gongzhi"]) == 4
    bad = client.post("/adapters/hotline12345/reconciliation", json={"month": "2026-13", "orders": [{"order_no": "x y"}]},
                      headers=AUTH)
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "month"
