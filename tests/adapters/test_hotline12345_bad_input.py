"""12345 both ways, bad input (issue 20): an unknown order, a 回访结果 for a closed order and replayed calls are
answered with the documented codes, and none of them changes a case or pushes anything twice."""

from __future__ import annotations

import time
from typing import Any

import orjson
from gongzhi import SYSTEM
from gongzhi.adapters.signing import new_secret, signature_headers

from .test_hotline12345 import ORDER, flush, send
from .test_hotline12345_actions import AUTH, act, platform_world  # noqa: F401  (the fixture)

PATH = f"/adapters/hotline12345/work-orders/{ORDER['order_no']}/actions"
HAPPY = {"satisfaction": "满意", "resolved": "已解决"}


def closed_order(engine: Any, client: Any, driver: Any, clock: Any) -> str:
    case_id = send(client, ORDER).get_json()["data"]["case_id"]
    d = driver(engine)
    for step in (d.whistle, d.sign, d.onsite, d.feedback, d.rate):
        step(case_id)
    assert act(client, ORDER["order_no"], "HF-1", "revisit", HAPPY).status_code == 200
    assert engine.instance(case_id, SYSTEM).status == "completed"
    flush(engine, clock)
    return case_id


def test_a_revisit_for_a_closed_order_is_refused_and_its_retry_is_answered(platform_world, driver, clock):
    engine, client, platform = platform_world()
    case_id = closed_order(engine, client, driver, clock)
    pushed = len(platform.pushes)
    history = len(engine.history(case_id, SYSTEM))
    again = act(client, ORDER["order_no"], "HF-2", "revisit", {"satisfaction": "不满意", "resolved": "未解决"})
    assert again.status_code == 409 and again.get_json()["code"] == 40902
    assert "已办结" in again.get_json()["message"]
    redispatch = act(client, ORDER["order_no"], "CP-1", "redispatch", {"reason": "市民仍不满意"})
    assert redispatch.status_code == 409 and redispatch.get_json()["code"] == 40902
    # The platform retrying the revisit that closed the order gets that first answer, not a refusal.
    retry = act(client, ORDER["order_no"], "HF-1", "revisit", HAPPY)
    assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true"
    flush(engine, clock)
    view = engine.instance(case_id, SYSTEM)
    assert view.status == "completed" and view.variables["case_record"]["satisfaction"] == "满意"
    assert len(engine.history(case_id, SYSTEM)) == history and len(platform.pushes) == pushed  # nothing changed


def test_an_unknown_order_is_404_for_every_call_and_leaves_its_action_id_free(platform_world):
    engine, client, _ = platform_world()
    for action, data in (("revisit", HAPPY), ("supervise", {"content": "督办"}), ("withdraw", {"reason": "撤回"}),
                         ("return_result", {"accepted": True})):
        unknown = act(client, "GD-NOPE", f"X-{action}", action, data)
        assert unknown.status_code == 404 and unknown.get_json()["code"] == 40400, (action, unknown.get_json())
    bad_no = act(client, "bad no!", "X-bad", "urge", {"content": "催"})
    assert bad_no.status_code == 404 and bad_no.get_json()["code"] == 40400
    status = client.get("/adapters/hotline12345/work-orders/GD-NOPE", headers=AUTH)
    assert status.status_code == 404 and status.get_json()["code"] == 40400
    send(client, ORDER)
    # The id of a refused call was not used up: the platform may send it again to the right order.
    corrected = act(client, ORDER["order_no"], "X-supervise", "supervise", {"content": "督办"})
    assert corrected.status_code == 200 and "Idempotent-Replayed" not in corrected.headers


def test_signed_actions_refuse_a_forgery_and_a_replay_but_answer_a_retry(platform_world):
    inbound = new_secret()
    engine, client, _ = platform_world(inbound=inbound)
    order = orjson.dumps(ORDER)
    client.post("/adapters/hotline12345/work-orders", data=order,
                headers={**AUTH, **signature_headers([inbound], "m-0", order), "Content-Type": "application/json"})
    body = orjson.dumps({"action_id": "CD-1", "action": "withdraw", "data": {"reason": "市民撤回诉求"}})

    def post(headers: dict[str, str]) -> Any:
        return client.post(PATH, data=body, headers={**AUTH, **headers, "Content-Type": "application/json"})

    forged = post(signature_headers([new_secret()], "a-1", body))
    assert forged.status_code == 401 and forged.get_json()["code"] == 40101
    stale = post(signature_headers([inbound], "a-2", body, timestamp=int(time.time()) - 3600))
    assert stale.status_code == 401 and stale.get_json()["code"] == 40101
    case = engine.instances(SYSTEM, business_key="hotline12345:" + ORDER["order_no"]).items[0]
    assert case.status == "running"  # neither reached the case
    signed = signature_headers([inbound], "a-3", body)
    first, retry = post(signed), post(signed)
    assert first.status_code == 200 and first.get_json()["data"]["result"] == "已撤单"
    assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.get_json() == first.get_json()
    assert engine.instance(case.id, SYSTEM).status == "cancelled"
