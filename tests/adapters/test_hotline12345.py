"""12345 hotline: a work order round trip (receive -> sign -> extension -> feedback -> close) against a local
callback receiver that checks every payload and its signature."""

from __future__ import annotations

import threading
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from gongzhi import SYSTEM
from gongzhi.adapters.hotline12345 import HotlineAdapter
from gongzhi.adapters.signing import Verifier, new_secret

TOKEN = "hotline-platform-token"
ORDER = {
    "order_no": "GD20261102000123",
    "dispatched_at": "2026-11-02T08:55:00+08:00",
    "category": ["生态环境", "餐饮油烟", "油烟直排"],
    "case_type": "投诉",
    "content": "楼下餐馆油烟直排，影响居民生活",
    "address": "翠苑路 1 号",
    "grid": "990101/001/001/01",
    "caller": {"name": "张三", "mobile": "13800138000"},
    "urgency": "一般",
    "deadline": "2026-11-09T18:00:00+08:00",
}
COMMON = ["push_id", "order_no", "action", "action_name", "case_id", "occurred_at", "data"]
DATA_FIELDS = {
    "sign": {"unit", "signed_at"},
    "extension": {"unit", "days", "reason"},
    "feedback": {"unit", "accepted_at", "contacted", "measures", "resolve_by", "result"},
    "close": {"result", "satisfaction", "closed_at", "summary"},
    "return": {"reason", "diverted_to", "transfer_no"},
}


class Platform:
    """The hotline platform's callback endpoint: verifies, checks and records every push."""

    def __init__(self, secret: str, fail_first: int = 0) -> None:
        self.verifier = Verifier([secret])
        self.pushes: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self.fail_first = fail_first
        self.lock = threading.Lock()

    def __call__(self, req):  # type: ignore[no-untyped-def]
        with self.lock:
            if self.fail_first > 0:
                self.fail_first -= 1
                return 502, b"gateway down"
        try:
            self.verifier.verify(req.headers, req.body)
        except Exception as exc:  # noqa: BLE001
            self.problems.append(f"signature: {exc}")
            return 401, {"code": 40100, "message": str(exc)}
        push = req.json()
        if list(push) != COMMON:
            self.problems.append(f"fields: {list(push)}")
        elif set(push["data"]) != DATA_FIELDS.get(push["action"], set()):
            self.problems.append(f"{push['action']} data: {sorted(push['data'])}")
        elif push["push_id"] != req.headers["webhook-id"] or not push["occurred_at"].endswith("+08:00"):
            self.problems.append(f"ids or time: {push}")
        with self.lock:
            self.pushes.append(push)
        return 200, {"code": 0, "message": "ok"}


@pytest.fixture
def hotline(whistle_engine, local_server, app_for):
    def make(fail_first: int = 0):  # type: ignore[no-untyped-def]
        secret = new_secret()
        platform = Platform(secret, fail_first)
        server = local_server(platform)
        adapter = HotlineAdapter({"token": TOKEN, "callback_url": server.url + "/callback",
                                  "callback_secret": secret, "default_grid": "990101/001/001/02"},
                                 transport=httpx.HTTPTransport())
        engine = whistle_engine(adapter)
        client = app_for(engine).test_client()
        return engine, client, platform

    return make


def send(client, order: dict[str, Any], token: str = TOKEN):  # type: ignore[no-untyped-def]
    return client.post("/adapters/hotline12345/work-orders", json=order, headers={"Authorization": f"Bearer {token}"})


def flush(engine, clock) -> None:  # type: ignore[no-untyped-def]
    for _ in range(10):
        if engine.run_due_jobs() == 0:
            clock.advance(seconds=30)
            if engine.run_due_jobs() == 0:
                return


def test_round_trip_receive_sign_extension_feedback_close(hotline, driver, clock) -> None:
    engine, client, platform = hotline(fail_first=1)
    received = send(client, ORDER)
    assert received.status_code == 200, received.get_json()
    body = received.get_json()
    assert body["code"] == 0 and body["data"]["order_no"] == ORDER["order_no"]
    case_id = body["data"]["case_id"]
    case = engine.instance(case_id, SYSTEM)
    assert case.business_key == "hotline12345:GD20261102000123" and case.variables["channel"] == "12345热线"
    assert case.variables["reporter_mobile"] == "13800138000" and case.region == "990101/001/001/01"

    flush(engine, clock)  # the first push meets a failing gateway and is retried
    assert [p["action"] for p in platform.pushes] == ["sign"]
    sign = platform.pushes[0]
    assert sign["order_no"] == ORDER["order_no"] and sign["case_id"] == case_id and sign["action_name"] == "签收"
    assert sign["data"] == {"unit": "东湖街道", "signed_at": "2026-11-02T09:00:00+08:00"}

    d = driver(engine)
    d.whistle(case_id)
    d.sign(case_id)
    d.onsite(case_id)
    clock.advance(hours=2)
    d.extension(case_id, days=3)
    d.feedback(case_id)
    d.rate(case_id)
    assert [t.element_id for t in d.open_tasks(case_id)] == []  # an order of the platform: the platform revisits
    revisit = client.post(f"/adapters/hotline12345/work-orders/{ORDER['order_no']}/actions",
                          json={"action_id": "HF-1", "action": "revisit", "occurred_at": "2026-11-05T10:00:00+08:00",
                                "data": {"satisfaction": "满意", "resolved": "已解决", "contacted": True}},
                          headers={"Authorization": f"Bearer {TOKEN}"})
    assert revisit.status_code == 200 and revisit.get_json()["data"]["result"] == "已送达", revisit.get_json()
    flush(engine, clock)
    assert platform.problems == []
    actions = [p["action"] for p in platform.pushes]
    assert actions == ["sign", "extension", "feedback", "close"]
    by_action = {p["action"]: p for p in platform.pushes}
    assert by_action["extension"]["data"] == {"unit": "生态环境分局", "days": 3, "reason": "净化设备需要采购安装"}
    feedback = by_action["feedback"]["data"]
    assert feedback["unit"] == "生态环境分局" and feedback["result"] == "已解决"
    assert feedback["measures"] == "责令安装油烟净化设施并复查" and feedback["resolve_by"] == "2026-11-20"
    close = by_action["close"]["data"]
    assert close["result"] == "已解决" and close["satisfaction"] == "满意"
    closed_at = engine.instance(case_id, SYSTEM).updated_at.astimezone(ZoneInfo("Asia/Shanghai")).isoformat()
    assert close["summary"] == "已办结：已解决（满意）" and close["closed_at"] == closed_at
    assert len({p["push_id"] for p in platform.pushes}) == 4

    status = client.get(f"/adapters/hotline12345/work-orders/{ORDER['order_no']}",
                        headers={"Authorization": f"Bearer {TOKEN}"}).get_json()["data"]
    assert status["status"] == "closed" and status["stage"] == "已办结：已解决（满意）"


def test_other_cases_are_not_pushed_and_a_return_is(hotline, driver, clock) -> None:
    engine, client, platform = hotline()
    engine.start("whistle_dispatch", SYSTEM, {"channel": "网格员上报", "category_l1": "生态环境",
                                              "category_l2": "餐饮油烟", "category_l3": "油烟直排", "case_type": "投诉",
                                              "description": "网格员巡查发现油烟直排", "address": "翠苑路 3 号",
                                              "grid": "990101/001/001/01", "reporter_name": "网格员小李",
                                              "reporter_mobile": "13900139000", "urgency": "一般", "emergency": "无"},
                 region="990101/001/001/01")
    order = {**ORDER, "order_no": "GD20261102000124", "category": {"l1": "治安消防", "l2": "警情", "l3": "打架斗殴"},
             "content": "小区门口有人打架斗殴", "grid": None, "address": "城西某小区门口", "emergency": "警情"}
    received = send(client, order)
    assert received.status_code == 200, received.get_json()
    case_id = received.get_json()["data"]["case_id"]
    assert engine.instance(case_id, SYSTEM).region == "990101/001/001/02"  # no address rule knows it: the default grid
    assert [t.element_id for t in driver(engine).open_tasks(case_id)] == ["divert"]
    driver(engine).do(case_id, "divert", {"diverted_to": "110", "divert_note": "属警情，已转 110 处置"})
    flush(engine, clock)
    assert platform.problems == []
    assert {p["order_no"] for p in platform.pushes} == {"GD20261102000124"}
    assert [p["action"] for p in platform.pushes] == ["sign", "return"]  # a returned order is not also closed
    assert platform.pushes[1]["data"] == {"reason": "属警情，已转 110 处置", "diverted_to": "110", "transfer_no": None}


def test_orders_are_idempotent_and_checked(hotline) -> None:
    engine, client, _ = hotline()
    first, again = send(client, ORDER), send(client, ORDER)
    assert first.get_json() == again.get_json() and again.headers["Idempotent-Replayed"] == "true"
    changed = send(client, {**ORDER, "content": "楼下餐馆深夜噪音扰民"})
    assert changed.status_code == 409 and changed.get_json()["code"] == 40900
    assert engine.instances(SYSTEM, business_key="hotline12345:GD20261102000123").total == 1
    assert send(client, ORDER, token="forged").status_code == 401
    bad = send(client, {**ORDER, "order_no": "bad no!", "category": "生态环境"})
    assert bad.status_code == 400 and {e["field"] for e in bad.get_json()["errors"]} == {"order_no", "category"}
    invalid = send(client, {**ORDER, "order_no": "GD-X1", "caller": {"name": "李四", "mobile": "12"}})
    assert invalid.status_code == 422 and invalid.get_json()["code"] == 42200
    # A rejected order leaves no claim behind: the corrected one goes through.
    fixed = send(client, {**ORDER, "order_no": "GD-X1", "caller": {"name": "李四", "mobile": "13700137000"}})
    assert fixed.status_code == 200


def test_an_order_without_a_grid_is_located_by_its_address(hotline) -> None:
    engine, client, _ = hotline()
    received = send(client, {**ORDER, "order_no": "GD20261102000777", "grid": None, "address": "湖畔路 8 号"})
    assert received.status_code == 200, received.get_json()
    case = engine.instance(received.get_json()["data"]["case_id"], SYSTEM)
    assert case.region == "990101/001/002/01" == case.variables["grid"]  # not the default grid (…/001/02)
    assert case.variables["located"]["method"] == "address"
