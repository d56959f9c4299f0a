"""WeChat: callback signatures (plain and encrypted mode) are verified, forged ones refused; a resident's report
becomes one case however often WeChat retries it; status notices reach a local stub of the platform API."""

from __future__ import annotations

import hashlib
import json
import time
from urllib.parse import parse_qs, urlparse

import pytest
import xmltodict
from gongzhi import SYSTEM
from gongzhi.adapters.wechat import WeChatAdapter, parse_report
from wechatpy.crypto import WeChatCrypto

TOKEN = "gongzhi-wechat-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as the platform issues
APP_ID = "wx1234567890abcdef"
SECRET = "app-secret-0001"
OPENID = "oABCD1234567890resident"
TEMPLATE = "tmpl-case-progress"
REPORT = "翠苑路1号楼下餐馆油烟直排，影响居民生活。地址：翠苑路1号 电话：13800138000 姓名：张三"


def signed(timestamp: str, nonce: str, token: str = TOKEN) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def text_message(content: str, msg_id: int, openid: str = OPENID) -> str:
    return (f"<xml><ToUserName><![CDATA[gh_gongzhi]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>")


class Platform:
    """The documented subset of the platform API: cgi-bin/token and cgi-bin/message/subscribe/send."""

    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.tokens = 0

    def __call__(self, req):  # type: ignore[no-untyped-def]
        url = urlparse(req.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/cgi-bin/token":
            if query != {"grant_type": "client_credential", "appid": APP_ID, "secret": SECRET}:
                return 200, {"errcode": 40013, "errmsg": "invalid appid"}
            self.tokens += 1
            return 200, {"access_token": f"ACCESS-{self.tokens}", "expires_in": 7200}
        if url.path == "/cgi-bin/message/subscribe/send":
            if query.get("access_token") != "ACCESS-1":
                return 200, {"errcode": 40001, "errmsg": "invalid credential"}
            body = json.loads(req.body)
            if not {"touser", "template_id", "data"} <= set(body):
                return 200, {"errcode": 47001, "errmsg": "data format error"}
            self.sent.append(body)
            return 200, {"errcode": 0, "errmsg": "ok"}
        return 404, {"errcode": -1, "errmsg": "not found"}


@pytest.fixture
def wechat(whistle_engine, local_server, app_for):
    platform = Platform()
    server = local_server(platform)
    adapter = WeChatAdapter({"token": TOKEN, "encoding_aes_key": AES_KEY, "app_id": APP_ID, "app_secret": SECRET,
                             "api_base_url": server.url, "template_id": TEMPLATE, "page": "pages/case?id={case_id}",
                             "default_grid": "990101/001/001/01"})
    engine = whistle_engine(adapter)
    return engine, app_for(engine).test_client(), platform


def post(client, xml: str, timestamp: str, nonce: str, signature: str | None = None, **extra: str):  # type: ignore[no-untyped-def]
    query = {"signature": signature or signed(timestamp, nonce), "timestamp": timestamp, "nonce": nonce, **extra}
    return client.post("/adapters/wechat/callback", query_string=query, data=xml.encode(),
                       content_type="text/xml")


def test_url_verification_checks_the_signature(wechat) -> None:
    _, client, _ = wechat
    ok = client.get("/adapters/wechat/callback", query_string={
        "signature": signed("1700000000", "n1"), "timestamp": "1700000000", "nonce": "n1", "echostr": "hello-wx"})
    assert ok.status_code == 200 and ok.data == b"hello-wx"
    forged = client.get("/adapters/wechat/callback", query_string={
        "signature": signed("1700000000", "n1", "not-the-token"), "timestamp": "1700000000", "nonce": "n1",
        "echostr": "hello-wx"})
    assert forged.status_code == 403


def test_a_plain_report_becomes_one_case_and_forgeries_are_refused(wechat) -> None:
    engine, client, _ = wechat
    ts, nonce = str(int(time.time())), "nonce-1"
    forged = post(client, text_message(REPORT, 1001), ts, nonce, signature=signed(ts, nonce, "guess"))
    assert forged.status_code == 403
    assert engine.instances(SYSTEM, process_key="whistle_dispatch").total == 0

    first = post(client, text_message(REPORT, 1001), ts, nonce)
    assert first.status_code == 200
    reply = xmltodict.parse(first.data)["xml"]
    assert reply["ToUserName"] == OPENID and reply["MsgType"] == "text" and reply["Content"].startswith("已受理")
    retried = post(client, text_message(REPORT, 1001), ts, nonce)  # WeChat retries when we are slow
    assert xmltodict.parse(retried.data)["xml"]["Content"] == reply["Content"]
    [case] = engine.instances(SYSTEM, business_key="wechat:1001").items
    variables = engine.instance(case.id, SYSTEM).variables
    assert variables["channel"] == "微信" and variables["category_l2"] == "餐饮油烟"
    assert variables["reporter_mobile"] == "13800138000" and variables["address"] == "翠苑路1号"
    assert variables["reporter_name"] == "张三" and variables["wechat"]["openid"] == OPENID
    assert variables["grid"] == "990101/001/001/01" and variables["located"]["method"] == "address"  # 翠苑路

    elsewhere = post(client, text_message("路灯不亮好几天了。地址：湖畔路3号 电话：13912345678", 1003), ts, nonce)
    assert xmltodict.parse(elsewhere.data)["xml"]["Content"].startswith("已受理")
    [lamp] = engine.instances(SYSTEM, business_key="wechat:1003").items
    assert lamp.region == "990101/001/002/01"  # the address rules, not the default grid

    incomplete = post(client, text_message("楼下太吵了，晚上睡不着", 1002), ts, nonce)
    assert "手机号" in xmltodict.parse(incomplete.data)["xml"]["Content"]
    assert engine.instances(SYSTEM, process_key="whistle_dispatch").total == 2
    # A signed body that is not a message is the sender's mistake, answered in plain text, and starts nothing.
    garbled = post(client, "<xml><MsgType>text", ts, nonce)
    assert garbled.status_code == 400 and garbled.data == b"malformed message"
    changed = post(client, text_message("另一件事：路灯不亮。地址：湖畔路3号 电话：13912345678", 1001), ts, nonce)
    assert xmltodict.parse(changed.data)["xml"]["Content"] == "该消息编号已用于另一条反映，请重新发送。"
    assert engine.instances(SYSTEM, process_key="whistle_dispatch").total == 2


def test_encrypted_mode(wechat) -> None:
    engine, client, _ = wechat
    platform_crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    ts, nonce = str(int(time.time())), "nonce-2"
    envelope = platform_crypto.encrypt_message(text_message(REPORT, 2001), nonce, ts)
    fields = xmltodict.parse(envelope)["xml"]
    body = f"<xml><ToUserName><![CDATA[gh_gongzhi]]></ToUserName><Encrypt><![CDATA[{fields['Encrypt']}]]></Encrypt></xml>"
    answer = post(client, body, ts, nonce, encrypt_type="aes", msg_signature=fields["MsgSignature"])
    assert answer.status_code == 200
    reply = xmltodict.parse(answer.data)["xml"]
    assert "Encrypt" in reply and "Content" not in reply  # the reply is encrypted too
    plain = platform_crypto.decrypt_message(answer.data, reply["MsgSignature"], reply["TimeStamp"], reply["Nonce"])
    assert xmltodict.parse(plain)["xml"]["Content"].startswith("已受理")
    assert engine.instances(SYSTEM, business_key="wechat:2001").total == 1

    tampered = post(client, body, ts, nonce, encrypt_type="aes", msg_signature="0" * 40)
    assert tampered.status_code == 403
    other_app = WeChatCrypto(TOKEN, AES_KEY, "wx_someone_else").encrypt_message(text_message(REPORT, 2002), nonce, ts)
    other = xmltodict.parse(other_app)["xml"]
    refused = post(client, f"<xml><Encrypt><![CDATA[{other['Encrypt']}]]></Encrypt></xml>", ts, nonce,
                   encrypt_type="aes", msg_signature=other["MsgSignature"])
    assert refused.status_code == 403 and engine.instances(SYSTEM, business_key="wechat:2002").total == 0


def test_status_notices_reach_the_platform(wechat, driver, clock) -> None:
    engine, client, platform = wechat
    ts, nonce = str(int(time.time())), "nonce-3"
    post(client, text_message(REPORT, 3001), ts, nonce)
    [case] = engine.instances(SYSTEM, business_key="wechat:3001").items
    d = driver(engine)
    d.whistle(case.id)
    d.sign(case.id)
    d.onsite(case.id)
    d.feedback(case.id)
    d.rate(case.id)
    d.follow_up(case.id)
    engine.run_due_jobs()
    statuses = [m["data"]["phrase3"]["value"] for m in platform.sent]
    assert statuses == ["已受理", "办理中", "已办结"]
    first = platform.sent[0]
    assert first["touser"] == OPENID and first["template_id"] == TEMPLATE and first["page"] == f"pages/case?id={case.id}"
    assert first["data"]["character_string1"]["value"] == case.id[:8].upper()
    assert first["data"]["thing2"]["value"] == "餐饮油烟" and first["data"]["time4"]["value"] == "2026-11-02 09:00"
    assert [m["data"]["thing5"]["value"] for m in platform.sent] == ["已转东湖街道办理", "部门已反馈：已解决", "已办结：已解决（满意）"]
    assert all(len(v["value"]) <= 20 for m in platform.sent for v in m["data"].values())
    assert platform.tokens == 1  # the access token is fetched once and reused


def test_parse_report() -> None:
    assert parse_report("路灯坏了 地址：湖畔路3号，电话 13912345678") == {
        "description": "路灯坏了 地址：湖畔路3号，电话 13912345678", "mobile": "13912345678", "address": "湖畔路3号",
        "name": None}
