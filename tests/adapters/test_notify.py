"""Notices that reach people: the whistle flow's urging notices go through the outbox to a fake Alibaba
Cloud SMS gateway and a fake WeCom API, reached through the official SDKs' own configurable endpoints
(real HTTP servers on 127.0.0.1 speaking the providers' documented request and response shapes).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from collections import deque
from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from urllib.parse import parse_qsl, quote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from gongzhi import SYSTEM, Actor, ConfigurationError
from gongzhi.adapters.notify import NotifyAdapter, mainland_mobile


pytest.importorskip("alibabacloud_dysmsapi20170525")

INTAKE = {"channel": "政务门户", "category_l1": "生态环境", "category_l2": "餐饮油烟", "category_l3": "油烟直排",
          "case_type": "投诉", "description": "楼下餐馆油烟直排，反映人电话 13800138000", "address": "翠苑路 1 号",
          "grid": "990101/001/001/01", "reporter_name": "张三", "reporter_mobile": "13800138000",
          "urgency": "一般", "emergency": "无"}
AK, SECRET = "LTAI-test-key", "test-secret"
ADMIN = Actor.of("admin", "管理员", ["admin"])


# --- the fake providers ---------------------------------------------------------------


def _rfc3986(text: str) -> str:
    return quote(text, safe="-_.~")


def aliyun_signature_ok(req: Any) -> bool:
    """Alibaba Cloud's V3 request signature (ACS3-HMAC-SHA256), checked as the gateway checks it."""
    auth = req.headers.get("authorization", "")
    if not auth.startswith("ACS3-HMAC-SHA256 "):
        return False
    parts = dict(p.split("=", 1) for p in auth[len("ACS3-HMAC-SHA256 "):].split(","))
    if parts.get("Credential") != AK:
        return False
    url = urlsplit(req.path)
    query = "&".join(f"{_rfc3986(k)}={_rfc3986(v)}" for k, v in sorted(parse_qsl(url.query, keep_blank_values=True)))
    signed = parts["SignedHeaders"].split(";")
    headers = "".join(f"{h}:{req.headers.get(h, '').strip()}\n" for h in signed)
    canonical = "\n".join([req.method, url.path or "/", query, headers, parts["SignedHeaders"],
                           hashlib.sha256(req.body).hexdigest()])
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    expected = hmac.new(SECRET.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("Signature", ""))


class FakeAliyunSms:
    """``SendSms`` (2017-05-25) as documented: RPC-style query parameters, JSON answers with ``Code``."""

    def __init__(self, throttle: int = 0, down: bool = False) -> None:
        self.throttle, self.down = throttle, down
        self.sent: list[dict[str, str]] = []
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, req: Any) -> tuple[int, Any]:
        with self.lock:
            self.calls += 1
            if self.down:
                return 503, {"Code": "ServiceUnavailable", "Message": "The request has failed due to a temporary "
                                                                      "failure of the server.", "RequestId": "R-503"}
            if req.headers.get("x-acs-action") != "SendSms" or req.headers.get("x-acs-version") != "2017-05-25":
                return 400, {"Code": "InvalidAction.NotFound", "Message": "Specified api is not found"}
            if not aliyun_signature_ok(req):
                return 400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"}
            params = dict(parse_qsl(urlsplit(req.path).query))
            if self.throttle > 0:
                self.throttle -= 1
                return 200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发号码分钟级流控", "RequestId": "R-T"}
            if not params.get("TemplateCode", "").startswith("SMS_"):
                return 200, {"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "模板不合法", "RequestId": "R-X"}
            self.sent.append(params)
            return 200, {"Code": "OK", "Message": "OK", "BizId": f"9{len(self.sent):05d}^0", "RequestId": "R-OK"}


class FakeWeCom:
    """``gettoken`` and ``message/send`` of the WeCom server API, with errcodes as documented."""

    def __init__(self, users: tuple[str, ...]) -> None:
        self.users, self.messages = users, []

    def __call__(self, req: Any) -> tuple[int, Any]:
        url = urlsplit(req.path)
        query = dict(parse_qsl(url.query))
        if url.path.endswith("/gettoken"):
            if query.get("corpid") != "ww-corp" or query.get("corpsecret") != "wecom-secret":
                return 200, {"errcode": 40013, "errmsg": "invalid corpid"}
            return 200, {"errcode": 0, "errmsg": "ok", "access_token": "TOKEN-1", "expires_in": 7200}
        if url.path.endswith("/message/send"):
            if query.get("access_token") != "TOKEN-1":
                return 200, {"errcode": 40014, "errmsg": "invalid access_token"}
            body = req.json()
            users = body["touser"].split("|")
            self.messages.append(body)
            invalid = [u for u in users if u not in self.users]
            return 200, {"errcode": 0, "errmsg": "ok", "invaliduser": "|".join(invalid), "msgid": f"m{len(self.messages)}"}
        return 404, {"errcode": 404, "errmsg": "not found"}


def tencent_signature_ok(req: Any, secret_id: str, secret_key: str) -> bool:
    """Tencent Cloud's TC3-HMAC-SHA256 signature (API 3.0), checked as the gateway checks it."""
    auth = req.headers.get("authorization", "")
    if not auth.startswith("TC3-HMAC-SHA256 "):
        return False
    parts = dict(p.strip().split("=", 1) for p in auth[len("TC3-HMAC-SHA256 "):].split(","))
    key_id, date, service, _ = parts["Credential"].split("/")
    signed = parts["SignedHeaders"].split(";")
    headers = "".join(f"{h}:{req.headers.get(h, '').strip().lower()}\n" for h in signed)
    canonical = "\n".join(["POST", "/", "", headers, parts["SignedHeaders"], hashlib.sha256(req.body).hexdigest()])
    to_sign = "\n".join(["TC3-HMAC-SHA256", req.headers["x-tc-timestamp"], f"{date}/{service}/tc3_request",
                          hashlib.sha256(canonical.encode()).hexdigest()])

    def mac(key: bytes, text: str) -> bytes:
        return hmac.new(key, text.encode(), hashlib.sha256).digest()

    signing = mac(mac(mac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    expected = hmac.new(signing, to_sign.encode(), hashlib.sha256).hexdigest()
    return key_id == secret_id and hmac.compare_digest(expected, parts["Signature"])


class FakeTencentSms:
    """``SendSms`` (2021-01-11) as documented: a JSON body, ``Response.SendStatusSet`` per number."""

    def __init__(self, limited: int = 0) -> None:
        self.limited, self.sent = limited, []

    def __call__(self, req: Any) -> tuple[int, Any]:
        if req.headers.get("x-tc-action") != "SendSms" or req.headers.get("x-tc-version") != "2021-01-11":
            return 200, {"Response": {"Error": {"Code": "InvalidAction", "Message": "unknown"}, "RequestId": "r"}}
        if not tencent_signature_ok(req, "AKID-test", "tc-secret"):
            return 200, {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "bad"},
                                      "RequestId": "r"}}
        body = req.json()
        number = body["PhoneNumberSet"][0]
        if self.limited > 0:
            self.limited -= 1
            status = {"Code": "LimitExceeded.PhoneNumberThirtySecondLimit", "Message": "30秒内同一号码限制"}
        else:
            self.sent.append(body)
            status = {"Code": "Ok", "Message": "send success", "SerialNo": f"2433:{len(self.sent)}"}
        return 200, {"Response": {"SendStatusSet": [{**status, "PhoneNumber": number, "Fee": 1, "IsoCode": "CN",
                                                     "SessionContext": body.get("SessionContext", "")}],
                                  "RequestId": "r-1"}}


class FakeDingTalk:
    """``gettoken`` and the work-notice ``asyncsend_v2`` of DingTalk's server API; busy once."""

    def __init__(self, busy: int = 0) -> None:
        self.busy, self.sent = busy, []

    def __call__(self, req: Any) -> tuple[int, Any]:
        url = urlsplit(req.path)
        query = dict(parse_qsl(url.query))
        if url.path == "/gettoken":
            if (query.get("appkey"), query.get("appsecret")) != ("ding-key", "ding-secret"):
                return 200, {"errcode": 40089, "errmsg": "不合法的corpid或corpsecret"}
            return 200, {"errcode": 0, "errmsg": "ok", "access_token": "DT-1", "expires_in": 7200}
        if url.path == "/topapi/message/corpconversation/asyncsend_v2":
            if query.get("access_token") != "DT-1":
                return 200, {"errcode": 40014, "errmsg": "不合法的access_token"}
            if self.busy > 0:
                self.busy -= 1
                return 200, {"errcode": -1, "errmsg": "系统繁忙"}
            self.sent.append(req.json())
            return 200, {"errcode": 0, "errmsg": "ok", "task_id": 256271667500 + len(self.sent), "request_id": "q"}
        return 404, {"errcode": 404, "errmsg": "not found"}


# --- helpers ------------------------------------------------------------------------------


def notify_config(sms_url: str, wecom_url: str | None = None, **extra: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "contacts": {
            "dept_huanjing": [{"id": "HJ-01", "mobile": "139 0000 2001", "wecom": "zhangwei"},
                              {"id": "HJ-02", "mobile": "010-8888 1234"}],  # a landline: never texted
            "street": [{"id": "ST-01", "mobile": "+86 139 0000 3001"}]},
        "default_channels": ["sms"],
        "sms": {"access_key_id": AK, "access_key_secret": SECRET, "sign_name": "青禾区共治",
                "endpoint": sms_url.removeprefix("http://"), "protocol": "http", "timeout": 3,
                "templates": {"催签": {"code": "SMS_300001", "params": {"dept": "{to_name}", "kind": "{kind}"}},
                              "*": {"code": "SMS_300009", "params": {"kind": "{kind}", "dept": "{to_name}"}}}},
        **extra}
    if wecom_url:
        config["wecom"] = {"corp_id": "ww-corp", "secret": "wecom-secret", "agent_id": 1000002,
                           "api_base_url": wecom_url + "/cgi-bin/"}
        config["routes"] = [{"kinds": ["催签"], "groups": ["dept_*"], "channels": ["sms", "wecom"]}]
    return config


def start_and_miss_the_sign_in(engine: Any, driver: Callable[..., Any], clock: Any) -> str:
    iid = engine.start("whistle_dispatch", SYSTEM, INTAKE, region="990101/001/001/01").id
    driver(engine).whistle(iid)
    clock.advance(timedelta(hours=2))  # Monday 11:00: the 1-working-hour sign-in has passed
    engine.fire_due_timers()
    return iid


# --- tests ------------------------------------------------------------------------------------


def test_mainland_mobile_numbers() -> None:
    assert mainland_mobile("139 0000 2001") == mainland_mobile("+86-139-0000-2001") == "13900002001"
    assert mainland_mobile("１３９００００２００１") == "13900002001"  # full-width digits
    assert mainland_mobile("008613900002001") == "13900002001"
    for bad in ("010-8888 1234", "12900002001", "1390000200", "139000020011", "", "+1 139 0000 2001"):
        assert mainland_mobile(bad) is None, bad


def test_routes_and_quiet_hours_read_as_configured() -> None:
    from datetime import datetime, timezone

    from gongzhi.adapters.notify.directory import QuietHours, Route

    night = QuietHours.from_dict({"from": "22:00", "to": "07:00", "urgent_kinds": ["督办"]})
    beijing = lambda h, m=0: datetime(2026, 11, 2, h, m, tzinfo=timezone.utc) - timedelta(hours=8)  # noqa: E731
    assert night.holds("催办", beijing(23)) and night.holds("催办", beijing(6, 59))  # the window spans midnight
    assert not night.holds("催办", beijing(7)) and not night.holds("督办", beijing(23))  # morning; urgent kinds
    assert night.window_seconds() == 9 * 3600
    route = Route(("wecom",), ("催签", "催办"), ("dept_*",))
    assert route.matches("催签", "dept_huanjing") and not route.matches("催签", "street")
    assert not route.matches("催报到", "dept_huanjing")
    with pytest.raises(ConfigurationError, match="HH:MM"):
        QuietHours.from_dict({"from": "late"})


def test_a_sign_in_reminder_reaches_sms_and_wecom_through_throttling(whistle_engine, driver, local_server, clock,
                                                                      caplog) -> None:
    sms, wecom = FakeAliyunSms(throttle=1), FakeWeCom(users=("zhangwei",))
    sms_server, wecom_server = local_server(sms), local_server(wecom)
    notify = NotifyAdapter(notify_config(sms_server.url, wecom_server.url))
    engine = whistle_engine(notify, job_max_attempts=5)
    caplog.set_level(logging.INFO, logger="gongzhi.adapters.notify")
    start_and_miss_the_sign_in(engine, driver, clock)

    engine.run_due_jobs()  # the first SMS is throttled: the delivery is retried
    assert [r.outcome for r in notify.records if r.channel == "sms" and r.contact == "HJ-01"] == ["retry"]
    assert len(wecom.messages) == 1 and not sms.sent
    clock.advance(timedelta(seconds=5))
    engine.run_due_jobs()

    assert [p["PhoneNumbers"] for p in sms.sent] == ["13900002001"]  # the landline never goes out
    [text] = sms.sent
    assert text["TemplateCode"] == "SMS_300001" and text["SignName"] == "青禾区共治"
    assert json.loads(text["TemplateParam"]) == {"dept": "生态环境分局", "kind": "催签"}  # names, never codes
    assert len(wecom.messages) == 1  # the retry did not send the WeCom message again
    message = wecom.messages[0]
    assert message["touser"] == "zhangwei" and message["agentid"] == 1000002 and message["msgtype"] == "text"
    assert message["text"]["content"].startswith("【催签】请尽快签收")
    assert "13800138000" not in message["text"]["content"]  # the resident's number is masked in the text
    outcomes = {(r.contact, r.channel, r.outcome) for r in notify.records}
    assert outcomes == {("HJ-01", "sms", "retry"), ("HJ-01", "sms", "sent"), ("HJ-01", "wecom", "sent"),
                        ("HJ-02", "sms", "invalid_number"), ("HJ-02", "wecom", "no_address")}
    [landline] = [r for r in notify.records if r.outcome == "invalid_number"]
    assert landline.error.startswith("InvalidMobileNumber: 不是中国大陆手机号") and "8888" not in landline.error
    first_try, second_try = [r for r in notify.records if r.channel == "sms" and r.contact == "HJ-01"]
    assert first_try.event_id == second_try.event_id and second_try.address == "139****2001"
    assert engine.incidents(SYSTEM) == []
    logged = caplog.text
    assert "请尽快签收" not in logged and "13900002001" not in logged  # records name who and how, never the text


def test_quiet_hours_hold_non_urgent_notices_until_morning(whistle_engine, driver, local_server, clock) -> None:
    sms = FakeAliyunSms()
    notify = NotifyAdapter(notify_config(local_server(sms).url, quiet_hours={
        "from": "10:30", "to": "12:00", "urgent_kinds": ["催报到"]}))
    engine = whistle_engine(notify, job_max_attempts=20)  # retries span the 90-minute window
    start_and_miss_the_sign_in(engine, driver, clock)  # 11:00 Beijing: inside the quiet window
    engine.run_due_jobs()
    assert sms.calls == 0 and [r.outcome for r in notify.records] == ["held"]
    clock.advance(timedelta(minutes=65))  # 12:05
    engine.run_due_jobs()
    assert [p["PhoneNumbers"] for p in sms.sent] == ["13900002001"]
    assert engine.incidents(SYSTEM) == []


def test_a_held_notice_is_retried_exactly_when_the_quiet_hours_end(whistle_engine, driver, local_server, clock) -> None:
    """Quiet hours defer the delivery to the minute they end: no backoff guess, no attempt spent, never an incident."""
    sms = FakeAliyunSms()
    notify = NotifyAdapter(notify_config(local_server(sms).url, quiet_hours={"from": "10:30", "to": "12:00"}))
    engine = whistle_engine(notify, job_max_attempts=1)  # one try: a held notice must not use it up
    start_and_miss_the_sign_in(engine, driver, clock)  # 11:00 Beijing: inside the quiet window
    engine.run_due_jobs()
    assert sms.calls == 0 and [r.outcome for r in notify.records] == ["held"]
    noon = datetime(2026, 11, 2, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    from gongzhi.runtime.joblist import list_jobs

    [job] = [j for j in list_jobs(engine, ADMIN, kind="delivery")["items"] if j["status"] == "scheduled"]
    assert job["due_at"] == noon.astimezone(timezone.utc).isoformat() and job["attempts"] == 0
    assert job["last_error"] == "暂缓发送：免打扰时段，11月2日 12:00 发出"
    clock.set(noon - timedelta(seconds=1))
    engine.run_due_jobs()
    assert sms.calls == 0 and [r.outcome for r in notify.records] == ["held"]  # not due before the window ends
    clock.set(noon)
    engine.run_due_jobs()
    assert [p["PhoneNumbers"] for p in sms.sent] == ["13900002001"]
    assert [r.at for r in notify.records if r.outcome == "sent"] == [noon.astimezone(timezone.utc).isoformat()]
    assert engine.incidents(SYSTEM) == []


def test_the_end_of_quiet_hours_is_read_in_their_timezone() -> None:
    from gongzhi.adapters.notify.directory import QuietHours

    night = QuietHours.from_dict({"from": "22:00", "to": "07:00"})
    late = datetime(2026, 11, 2, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert night.ends_after(late) == datetime(2026, 11, 3, 7, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    early = datetime(2026, 11, 3, 6, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert night.ends_after(early) == datetime(2026, 11, 3, 7, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_a_gateway_that_stays_down_becomes_an_incident(whistle_engine, driver, local_server, clock) -> None:
    sms = FakeAliyunSms(down=True)
    notify = NotifyAdapter(notify_config(local_server(sms).url))
    engine = whistle_engine(notify, job_max_attempts=3)
    iid = start_and_miss_the_sign_in(engine, driver, clock)
    for _ in range(3):
        engine.run_due_jobs()
        clock.advance(timedelta(minutes=1))
    [incident] = engine.incidents(SYSTEM)
    assert incident["kind"] == "delivery" and sms.calls >= 3 and not sms.sent
    assert "HJ-01" in incident["error"] and "13900002001" not in incident["error"]
    assert iid  # the case itself moved on: a notice never holds a case back


def test_a_no_show_reminder_reaches_tencent_sms_and_dingtalk(whistle_engine, driver, local_server, clock) -> None:
    """催报到 goes to the department and the street: Tencent Cloud SMS for one, a DingTalk work notice for the other."""
    sms, ding = FakeTencentSms(limited=1), FakeDingTalk(busy=1)
    sms_url, ding_url = local_server(sms).url, local_server(ding).url
    notify = NotifyAdapter({
        "contacts": {"dept_huanjing": [{"id": "HJ-01", "mobile": "139 0000 2001"}],
                     "street": [{"id": "ST-01", "mobile": "139 0000 3001", "dingtalk": "manager0371"}]},
        "routes": [{"groups": ["street"], "channels": ["dingtalk"]}], "default_channels": ["sms"],
        "sms": {"provider": "tencent", "secret_id": "AKID-test", "secret_key": "tc-secret", "sdk_app_id": "1400006666",
                "sign_name": "青禾区共治", "endpoint": sms_url.removeprefix("http://"), "protocol": "http",
                "templates": {"*": {"code": "1110001", "params": {"dept": "{to_name}", "kind": "{kind}"}}}},
        "dingtalk": {"app_key": "ding-key", "app_secret": "ding-secret", "agent_id": 2233, "api_base_url": ding_url}})
    engine = whistle_engine(notify, job_max_attempts=5)
    iid = engine.start("whistle_dispatch", SYSTEM, INTAKE, region="990101/001/001/01").id
    driver(engine).whistle(iid)
    driver(engine).sign(iid)
    clock.advance(timedelta(days=3))  # Thursday: the on-site deadline has passed
    engine.fire_due_timers()
    for _ in range(3):
        engine.run_due_jobs()
        clock.advance(timedelta(seconds=10))

    [text] = sms.sent  # limited once, sent on the retry
    assert text["PhoneNumberSet"] == ["+8613900002001"] and text["TemplateId"] == "1110001"
    assert text["TemplateParamSet"] == ["生态环境分局", "催报到"] and text["SmsSdkAppId"] == "1400006666"
    [notice] = ding.sent  # busy once, sent on the retry
    assert notice["userid_list"] == "manager0371" and notice["agent_id"] == 2233
    assert notice["msg"]["msgtype"] == "text" and notice["msg"]["text"]["content"].startswith("【催报到】")
    outcomes = [(r.contact, r.channel, r.outcome) for r in notify.records if r.kind == "催报到"]
    assert outcomes.count(("HJ-01", "sms", "sent")) == 1 and outcomes.count(("ST-01", "dingtalk", "sent")) == 1
    assert ("HJ-01", "sms", "retry") in outcomes and ("ST-01", "dingtalk", "retry") in outcomes
    assert engine.incidents(SYSTEM) == []


def test_an_urgent_kind_goes_out_in_quiet_hours(whistle_engine, driver, local_server, clock) -> None:
    """催办 (overdue handling) is configured urgent: the quiet window does not hold it."""
    sms, wecom = FakeAliyunSms(), FakeWeCom(users=("zhangwei",))
    config = notify_config(local_server(sms).url, local_server(wecom).url,
                           quiet_hours={"from": "08:00", "to": "10:00", "urgent_kinds": ["催办"]})
    config["routes"] = [{"kinds": ["催办"], "channels": ["wecom"]}]
    notify = NotifyAdapter(config)
    engine = whistle_engine(notify, job_max_attempts=20)
    iid = engine.start("whistle_dispatch", SYSTEM, INTAKE, region="990101/001/001/01").id
    driver(engine).whistle(iid)
    driver(engine).sign(iid)
    driver(engine).onsite(iid)
    clock.advance(timedelta(days=15))  # 09:00 Beijing, past the 10-working-day deadline
    engine.fire_due_timers()
    engine.run_due_jobs()
    urged = [m for m in wecom.messages if m["text"]["content"].startswith("【催办】")]
    assert [m["touser"] for m in urged] == ["zhangwei"] and not sms.sent  # WeCom only, as routed
    assert ("HJ-01", "wecom", "sent") in {(r.contact, r.channel, r.outcome) for r in notify.records if r.kind == "催办"}
    assert "held" not in {r.outcome for r in notify.records if r.kind == "催办"}


class WorkerKilled(BaseException):
    """The worker process dies: nothing of ours catches it, as nothing runs after a kill."""


class DiesAfterTheProviderAnswers:
    """An httpx transport (the adapters' ``transport.py`` seam) that forwards to the fake gateway and
    kills the worker once, right after the gateway took a work notice and before its answer is read."""

    def __init__(self) -> None:
        import httpx

        self.inner, self.armed = httpx.HTTPTransport(), True

    def handle_request(self, request: Any) -> Any:
        response = self.inner.handle_request(request)
        if self.armed and request.url.path.endswith("/asyncsend_v2"):
            self.armed = False
            response.close()
            raise WorkerKilled()
        return response

    def close(self) -> None:
        self.inner.close()


class FakeDingTalkBusyFor(FakeDingTalk):
    """DingTalk busy for the named users' first notice only."""

    def __init__(self, busy_for: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.busy_for = set(busy_for)

    def __call__(self, req: Any) -> tuple[int, Any]:
        if urlsplit(req.path).path.endswith("/asyncsend_v2") and req.json()["userid_list"] in self.busy_for:
            self.busy_for.discard(req.json()["userid_list"])
            return 200, {"errcode": -1, "errmsg": "系统繁忙"}
        return super().__call__(req)


def dingtalk_config(url: str) -> dict[str, Any]:
    return {"contacts": {"dept_huanjing": [{"id": "HJ-01", "dingtalk": "zhangwei"}, {"id": "HJ-02", "dingtalk": "liqiang"}]},
            "default_channels": ["dingtalk"],
            "dingtalk": {"app_key": "ding-key", "app_secret": "ding-secret", "agent_id": 2233, "api_base_url": url}}


def test_a_notice_sent_just_before_the_worker_dies_is_not_sent_again(whistle_engine, driver, local_server, clock) -> None:
    ding = FakeDingTalk()
    url = local_server(ding).url
    first = NotifyAdapter(dingtalk_config(url), transport=DiesAfterTheProviderAnswers())
    engine = whistle_engine(first, job_max_attempts=3)
    start_and_miss_the_sign_in(engine, driver, clock)
    with pytest.raises(WorkerKilled):
        engine.run_due_jobs()  # DingTalk took HJ-01's notice; the worker died before recording it
    assert [m["userid_list"] for m in ding.sent] == ["zhangwei"] and first.records == deque()

    # A new worker process on the same database, once the dead one's lease and claim have run out.
    restarted = NotifyAdapter(dingtalk_config(url))
    again = whistle_engine(restarted, job_max_attempts=3)
    clock.advance(timedelta(seconds=again.config.job_lease_seconds + 1))
    again.run_due_jobs()
    assert [m["userid_list"] for m in ding.sent] == ["zhangwei", "liqiang"]  # each exactly once
    outcomes = {(r.contact, r.outcome) for r in restarted.records}
    assert outcomes == {("HJ-01", "unconfirmed"), ("HJ-02", "sent")}
    assert again.incidents(SYSTEM) == []
    clock.advance(timedelta(minutes=5))
    again.run_due_jobs()
    assert len(ding.sent) == 2  # the delivery is done: nothing is tried again


def test_a_restarted_worker_retries_only_what_did_not_go_out(whistle_engine, driver, local_server, clock) -> None:
    """The send records are in the store, not in the worker's memory: a retry by a new process skips who was reached."""
    ding = FakeDingTalkBusyFor(busy_for=("liqiang",))
    url = local_server(ding).url
    first = NotifyAdapter(dingtalk_config(url))
    engine = whistle_engine(first, job_max_attempts=3)
    start_and_miss_the_sign_in(engine, driver, clock)
    engine.run_due_jobs()
    assert [(r.contact, r.outcome) for r in first.records] == [("HJ-01", "sent"), ("HJ-02", "retry")]

    restarted = NotifyAdapter(dingtalk_config(url))
    again = whistle_engine(restarted, job_max_attempts=3)
    clock.advance(timedelta(seconds=again.config.job_lease_seconds + 1))
    again.run_due_jobs()
    assert [m["userid_list"] for m in ding.sent] == ["zhangwei", "liqiang"]
    assert [(r.contact, r.outcome) for r in restarted.records] == [("HJ-02", "sent")]
    assert again.incidents(SYSTEM) == []


def test_people_come_from_the_directory_before_the_fallback_list(whistle_engine) -> None:
    """The grid layer's people stand for a group mapped to grid roles; a directory that names a group's
    people answers for it; only a group the directory has no people for uses the adapter's own list."""
    from gongzhi.adapters.notify import Contact
    from gongzhi.adapters.notify.directory import directory_contacts

    config = notify_config("http://127.0.0.1:9", grid_groups={"grid_worker": ["网格长", "full_time"]})
    config["contacts"]["grid_worker"] = [{"id": "OLD-1", "mobile": "139 0000 9999"}]
    notify = NotifyAdapter(config)
    whistle_engine(notify)
    micro = "990101/001/001/01/02"  # a case in a micro-grid reaches the people of its grid
    assert {(c.id, c.mobile) for c in notify.contacts_for("grid_worker", micro)} == {
        ("G0001", "139 0000 1001"), ("G0002", "139 0000 1002")}
    assert [c.id for c in notify.contacts_for("dept_huanjing", micro)] == ["HJ-01", "HJ-02"]  # no such people there

    class Book:  # a portal directory that names every group's people
        def notice_contacts(self, group: str, region: str) -> list[dict[str, str]] | None:
            return [{"id": "P-1", "phone": "139 0000 5555", "wecom": "wangwu"}] if group == "street" else None

    assert directory_contacts(Book(), "street", micro) == [Contact("P-1", "139 0000 5555", "wangwu")]
    assert directory_contacts(Book(), "dept_huanjing", micro) is None  # not known: the fallback list
    with pytest.raises(ConfigurationError, match="grid role"):
        NotifyAdapter().configure(notify_config("http://127.0.0.1:9", grid_groups={"grid_worker": ["网格管家"]}))
