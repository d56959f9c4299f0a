"""Webhooks: signed deliveries through the outbox survive a flaky receiver; the verifier refuses forgeries and replays."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import threading
import time
from typing import Any

import httpx
import pytest
from gongzhi import SYSTEM, Channel, ConfigurationError, hookimpl
from gongzhi.adapters.signing import _SM3, SeenIds, sign
from gongzhi.adapters.webhook import (
    Subscription,
    Verifier,
    WebhookAdapter,
    WebhookVerificationError,
    new_secret,
    signature_headers,
)
from gongzhi.security.tokens import mint_admin

INTAKE = {"channel": "政务门户", "category_l1": "生态环境", "category_l2": "餐饮油烟", "category_l3": "油烟直排",
          "case_type": "投诉", "description": "楼下餐馆油烟直排，影响居民生活", "address": "翠苑路 1 号",
          "grid": "990101/001/001/01", "reporter_name": "张三", "reporter_mobile": "13800138000",
          "urgency": "一般", "emergency": "无"}


class Recorder:
    """An in-memory channel that sees every event: what the webhook receiver must end up with."""

    __name__ = "recorder"

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    @hookimpl
    def gongzhi_register_channels(self) -> list[Channel]:
        return [Channel("recorder", lambda d: self.events.append(dict(d.event)))]


def key(event: dict[str, Any]) -> tuple[Any, ...]:
    return (event["instance_id"], event["kind"], event["element_id"], event["task_id"], event["at"])


def test_deliveries_survive_a_receiver_failing_30_percent_of_the_time(whistle_engine, local_server, driver, clock,
                                                                        app_for) -> None:
    old, new = new_secret(), new_secret()
    # /hooks still knows only the old secret (the rotation must not break it); /closed has the new one.
    verifiers = {"/hooks": Verifier([old]), "/closed": Verifier([new])}
    dice = random.Random(20261102)
    lock = threading.Lock()
    accepted: dict[str, dict[str, Any]] = {}
    attempts: dict[str, int] = {}
    failures = 0

    def receive(req):  # type: ignore[no-untyped-def]
        nonlocal failures
        with lock:
            attempts[req.headers["webhook-id"]] = attempts.get(req.headers["webhook-id"], 0) + 1
            if dice.random() < 0.3:
                failures += 1
                return 503, {"error": "busy"}
        try:
            verifiers[req.path].verify(req.headers, req.body)
        except WebhookVerificationError as exc:
            return 400, {"error": str(exc)}
        with lock:
            accepted[req.headers["webhook-id"]] = req.json()
        return 204 if dice.random() < 0.5 else 200, {}

    receiver = local_server(receive)
    recorder = Recorder()
    hooks = WebhookAdapter({"subscriptions": [
        {"id": "ops", "url": receiver.url + "/hooks", "events": ["*"], "secrets": [new, old]},
        {"id": "closures", "url": receiver.url + "/closed", "events": ["instance.completed"], "secrets": [new],
         "process_keys": ["whistle_dispatch"]},
    ]}, transport=httpx.HTTPTransport(retries=0))
    engine = whistle_engine(hooks, recorder, job_max_attempts=30)
    d = driver(engine)
    for n in range(12):
        case = engine.start("whistle_dispatch", SYSTEM, INTAKE, region="990101/001/001/01")
        d.whistle(case.id)
        d.sign(case.id)
        if n % 3 == 0:
            d.onsite(case.id)
            d.feedback(case.id)
            d.rate(case.id)
            d.follow_up(case.id)
    for _ in range(200):
        engine.run_due_jobs()
        if len(recorder.events) and not _pending(engine):
            break
        clock.advance(seconds=120)
    assert not _pending(engine) and engine.incidents(SYSTEM) == []
    assert failures > 10  # the receiver really did fail, often

    expected = {key(e) for e in recorder.events}
    ops = [p for p in accepted.values() if p["type"] != "instance.completed"]
    closed = [p for p in accepted.values() if p["type"] == "instance.completed"]
    assert len(ops) == len(expected) and {key(p["data"]) for p in ops} == expected  # each event once
    assert len(closed) == 4 and all(p["data"]["status"] == "completed" for p in closed)
    assert {p["type"] for p in ops} >= {"instance.started", "task.completed"}
    assert all(p["timestamp"] == p["data"]["at"] for p in accepted.values())
    assert max(attempts.values()) > 1 and set(attempts) == set(accepted)  # retried under the same webhook-id


def _pending(engine) -> bool:  # type: ignore[no-untyped-def]
    from gongzhi.store.models import Job
    from sqlalchemy import func, select

    with engine.db.read() as session:
        return bool(session.scalar(select(func.count()).select_from(Job).where(Job.kind == "delivery",
                                                                             Job.status == "pending")))


def test_the_verifier_refuses_forged_replayed_and_stale_messages() -> None:
    secret = new_secret()
    body = b'{"type":"task.completed","data":{"instance_id":"i-1"}}'
    headers = signature_headers([secret], "evt-1", body)
    verifier = Verifier(secret)
    verifier.verify(headers, body)
    with pytest.raises(WebhookVerificationError, match="replay"):
        verifier.verify(headers, body)  # the same message again
    fresh = signature_headers([secret], "evt-2", body)
    with pytest.raises(WebhookVerificationError, match="no matching signature"):
        verifier.verify(fresh, body.replace(b"i-1", b"i-2"))  # a changed body
    with pytest.raises(WebhookVerificationError, match="no matching signature"):
        verifier.verify(signature_headers([new_secret()], "evt-3", body), body)  # someone else's secret
    forged = dict(fresh, **{"webhook-id": "evt-4"})  # a valid signature moved to another id
    with pytest.raises(WebhookVerificationError, match="no matching signature"):
        verifier.verify(forged, body)
    with pytest.raises(WebhookVerificationError, match="too old"):
        verifier.verify(signature_headers([secret], "evt-5", body, timestamp=int(time.time()) - 600), body)
    with pytest.raises(WebhookVerificationError, match="too new"):
        verifier.verify(signature_headers([secret], "evt-6", body, timestamp=int(time.time()) + 600), body)
    with pytest.raises(WebhookVerificationError, match="missing"):
        verifier.verify({"webhook-id": "evt-7"}, body)
    verifier.verify(fresh, body)  # the untouched message is still good, once
    # A failed handler forgets the id, so the sender's retry is accepted.
    retry = signature_headers([secret], "evt-8", body)
    verifier.verify(retry, body)
    verifier.forget("evt-8")
    verifier.verify(signature_headers([secret], "evt-8", body), body)


def test_signatures_follow_standard_webhooks_and_rotate() -> None:
    # The Standard Webhooks reference vector.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected
    old, new = new_secret(), new_secret()
    both = signature_headers([new, old], "evt-9", body)
    assert len(both["webhook-signature"].split()) == 2
    Verifier([old]).verify(both, body)
    Verifier([new]).verify(both, body)
    Verifier([new, old]).verify(both, body)
    with pytest.raises(WebhookVerificationError):
        Verifier([new_secret()]).verify(both, body)


def test_hmac_sm3_is_selectable() -> None:
    secret = new_secret()
    body = "{\"事件\": \"办结\"}".encode()
    headers = signature_headers([secret], "evt-sm3", body, algorithm="sm3")
    assert headers["webhook-signature"].startswith("v1-sm3,")
    Verifier([secret], algorithm="sm3").verify(headers, body)
    with pytest.raises(WebhookVerificationError):
        Verifier([secret]).verify(headers, body)  # a SHA-256 receiver does not accept an SM3 signature
    # SM3 itself (GB/T 32905 example "abc") and HMAC-SM3 agree between OpenSSL and gmssl.
    sm3 = _SM3(b"abc")
    assert sm3.hexdigest() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    key = b"gongzhi-key"
    assert hmac.new(key, body, _SM3).digest() == hmac.new(key, body, "sm3").digest()
    expected = base64.b64encode(hmac.new(key, b"evt.1.".__add__(body), _SM3).digest()).decode()
    assert sign(key, "evt", 1, body, "sm3") == f"v1-sm3,{expected}"
    assert hashlib.new("sm3", b"abc").hexdigest() == sm3.hexdigest()


def test_seen_ids_expire() -> None:
    now = [1000.0]
    seen = SeenIds(ttl=60, clock=lambda: now[0])
    assert seen.add_if_new("a") and not seen.add_if_new("a")
    now[0] += 61
    assert seen.add_if_new("a")


def test_subscriptions_are_checked_and_listed(whistle_engine, app_for) -> None:
    with pytest.raises(ConfigurationError, match="unknown event types"):
        Subscription.from_dict({"id": "x", "url": "http://127.0.0.1/", "events": ["task.done"], "secret": "s"})
    with pytest.raises(ConfigurationError, match="one secret, or two"):
        Subscription.from_dict({"id": "x", "url": "http://127.0.0.1/", "secrets": ["a", "b", "c"]})
    hooks = WebhookAdapter({"subscriptions": [{"id": "ops", "url": "http://127.0.0.1:9/hooks",
                                               "events": ["task.completed"], "secret": "s3cret", "algorithm": "sm3"}]})
    engine = whistle_engine(hooks)
    assert "webhook.ops" in engine.channels
    client = app_for(engine).test_client()
    listed = client.get("/adapters/webhook/subscriptions",
                        headers={"Authorization": f"Bearer {mint_admin(engine.config.secret_key)}"})
    assert listed.status_code == 200
    assert listed.get_json()["subscriptions"] == [{"id": "ops", "url": "http://127.0.0.1:9/hooks",
                                                   "events": ["task.completed"], "algorithm": "sm3",
                                                   "process_keys": [], "secrets": 1}]
    assert "s3cret" not in listed.get_data(as_text=True)
    assert client.get("/adapters/webhook/subscriptions").status_code == 401
