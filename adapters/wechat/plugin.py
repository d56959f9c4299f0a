"""WeChat official account / mini-program: resident reports from the server callback, status notices back.

Signatures and the encrypted mode are wechatpy's (``check_signature``,
``WeChatCrypto``); the platform API (access_token, subscription messages) is
wechatpy's client pointed at ``api_base_url``.
"""

from __future__ import annotations

import logging
import re
import time
from typing import TYPE_CHECKING, Any, Mapping
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, request
from gongzhi import Channel, ConfigurationError, Delivery, GongzhiError, InstanceEvent, InstanceView, hookimpl
from wechatpy import WeChatClient, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException, WeChatClientException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from ..base import AdapterPlugin
from ..cases import summarize, task_data
from ..intake import Intake, IntakeBusy, IntakeConflict
from ..open311.plugin import load_services

if TYPE_CHECKING:  # pragma: no cover
    from gongzhi import Engine

__all__ = ["WeChatAdapter", "parse_report", "plugin"]

logger = logging.getLogger("gongzhi.adapters.wechat")

SOURCE = "wechat"
PROCESS_KEY = "whistle_dispatch"
DEFAULT_API = "https://api.weixin.qq.com"
MOBILE = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")
FIELD = r"[:：]\s*([^\s，,。；;]+)"
ADDRESS = re.compile(r"(?:地址|位置|地点)" + FIELD)
NAME = re.compile(r"(?:姓名|称呼)" + FIELD)
NOTICE_TASKS = {"handle_feedback", "community_handle", "answer_directly", "divert"}
# Errors the platform will keep giving: the user refused or used up the subscription, bad template.
PERMANENT_ERRCODES = {43101, 40003, 40037, 47003}
DEFAULT_TEMPLATE_DATA = {"character_string1": "{case_no}", "thing2": "{service}", "phrase3": "{status}",
                         "time4": "{time}", "thing5": "{note}"}


def parse_report(text: str) -> dict[str, str | None]:
    """What a resident's message says: the description, a mobile number, an address, a name."""
    mobile = MOBILE.search(text)
    address = ADDRESS.search(text)
    name = NAME.search(text)
    return {"description": text.strip(), "mobile": mobile.group(1) if mobile else None,
            "address": address.group(1) if address else None, "name": name.group(1) if name else None}


class _Client(WeChatClient):
    """wechatpy's client with every URL under the configured API base (a test stub, a gateway)."""

    def __init__(self, base: str, appid: str, secret: str, timeout: float = 10) -> None:
        super().__init__(appid, secret, timeout=timeout)
        self.base = base.rstrip("/")
        self.API_BASE_URL = f"{self.base}/cgi-bin/"
        self.wxa.API_BASE_URL = f"{self.base}/"

    def fetch_access_token(self) -> dict[str, Any]:
        return self._fetch_access_token(url=f"{self.base}/cgi-bin/token", params={
            "grant_type": "client_credential", "appid": self.appid, "secret": self.secret})


class WeChatAdapter(AdapterPlugin):
    """WeChat official account / mini-program: reports from the server callback, subscription-message notices.

    Configuration (``adapter_wechat``): ``token`` (the callback token), ``encoding_aes_key`` and
    ``app_id`` (encrypted mode), ``app_secret`` and ``api_base_url`` (the platform API), ``template_id``,
    ``template_data`` (template field -> text with ``{case_no} {service} {status} {time} {note}``),
    ``page`` (opened from the notice; ``{case_id}`` is replaced), ``default_grid``, ``services_file``
    (keywords -> categories; default: the Open311 catalogue).
    """

    name = "wechat"
    title = "微信公众号 / 小程序"

    def configure(self, config: Mapping[str, Any]) -> None:
        self.token = config.get("token")
        self.aes_key = config.get("encoding_aes_key")
        self.app_id = config.get("app_id")
        self.app_secret = config.get("app_secret")
        self.api_base = str(config.get("api_base_url") or DEFAULT_API)
        self.template_id = config.get("template_id")
        self.template_data = dict(config.get("template_data") or DEFAULT_TEMPLATE_DATA)
        self.page = config.get("page")
        self.default_grid = config.get("default_grid")
        self.tz = ZoneInfo(config.get("timezone") or "Asia/Shanghai")
        if self.aes_key and not self.app_id:
            raise ConfigurationError("adapter_wechat: encrypted mode (encoding_aes_key) needs app_id")
        self.services = load_services(config)
        self._client: _Client | None = None

    # --- outbound: subscription-message notices ----------------------------------------------

    @hookimpl
    def gongzhi_register_channels(self) -> list[Channel]:
        return [Channel(SOURCE, self.deliver, self.accepts)]

    def accepts(self, event: InstanceEvent) -> bool:
        if not self.bound or not (self.template_id and self.app_id and self.app_secret):
            return False
        if event.process_key != PROCESS_KEY:
            return False
        return event.kind == "start" or event.status != "running" or event.element_id in NOTICE_TASKS

    @property
    def client(self) -> _Client:
        if self._client is None:
            self._client = _Client(self.api_base, str(self.app_id), str(self.app_secret))
        return self._client

    def notice(self, event: Mapping[str, Any]) -> dict[str, Any] | None:
        """The subscription message for an event of a WeChat case, or None."""
        view = self.engine.instance(event["instance_id"], self.actor)
        if not (view.business_key or "").startswith(SOURCE + ":"):
            return None
        openid = (view.variables.get("wechat") or {}).get("openid")
        if not openid:
            return None
        # Described as of the event (the case may have moved on by the time the worker delivers it).
        kind, state = event.get("kind"), event.get("status")
        if state == "completed":
            status, note = "已办结", summarize(self.engine, view).stage
        elif state == "cancelled":
            status, note = "已撤销", "案件已撤销"
        elif kind == "start":
            status, note = "已受理", f"已转{(view.variables.get('location') or {}).get('street_name') or '街道'}办理"
        else:
            data = task_data(self.engine, self.actor, view.id, event.get("task_id")) or {}
            status = "办理中"
            note = {"handle_feedback": f"部门已反馈：{data.get('handle_result') or data.get('handle_outcome') or ''}",
                    "community_handle": f"社区已处置：{data.get('community_outcome') or ''}",
                    "answer_directly": "已答复", "divert": f"已转办：{data.get('diverted_to') or ''}"}.get(
                        str(event.get("element_id")), "办理中")
        values = {"case_no": view.id[:8].upper(), "service": view.variables.get("category_l2") or "",
                  "status": status, "time": self._time(event["at"]), "note": note}
        data = {field: {"value": template.format(**values)[:20]} for field, template in self.template_data.items()}
        page = self.page.format(case_id=view.id) if self.page else None
        return {"touser": openid, "template_id": self.template_id, "page": page, "data": data}

    def deliver(self, delivery: Delivery) -> None:
        message = self.notice(delivery.event)
        if message is None:
            return
        try:
            self.client.wxa.send_subscribe_message(message["touser"], message["template_id"], message["data"],
                                                   page=message["page"])
        except WeChatClientException as exc:
            if exc.errcode in PERMANENT_ERRCODES:  # retrying cannot help; the case itself is unaffected
                logger.warning("wechat notice for %s dropped: %s", delivery.event.get("instance_id"), exc)
                return
            raise

    def _time(self, value: str) -> str:
        from datetime import datetime

        return datetime.fromisoformat(value).astimezone(self.tz).strftime("%Y-%m-%d %H:%M")

    # --- inbound: the server callback ---------------------------------------------------------

    def blueprint(self, engine: Engine) -> Blueprint:
        bp = Blueprint("wechat", __name__)
        intake = Intake(engine, SOURCE, self.actor)

        def forbidden(reason: str) -> Response:
            return Response(reason, status=403, content_type="text/plain; charset=utf-8")

        @bp.get("/callback")
        def verify():  # type: ignore[no-untyped-def]
            args = request.args
            try:
                check_signature(str(self.token), args.get("signature", ""), args.get("timestamp", ""),
                                args.get("nonce", ""))
            except InvalidSignatureException:
                return forbidden("invalid signature")
            return Response(args.get("echostr", ""), content_type="text/plain; charset=utf-8")

        @bp.post("/callback")
        def receive():  # type: ignore[no-untyped-def]
            if not self.token:
                return Response("wechat adapter not configured", status=503)
            args = request.args
            timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
            encrypted = args.get("encrypt_type") == "aes"
            crypto = WeChatCrypto(self.token, self.aes_key, self.app_id) if encrypted and self.aes_key else None
            try:
                check_signature(self.token, args.get("signature", ""), timestamp, nonce)
                if encrypted:
                    if crypto is None:
                        return forbidden("encrypted mode is not configured")
                    xml = crypto.decrypt_message(request.get_data(), args.get("msg_signature", ""), timestamp, nonce)
                else:
                    xml = request.get_data(as_text=True)
            except (InvalidSignatureException, InvalidAppIdException):
                return forbidden("invalid signature")
            message = parse_message(xml)
            text = self._handle(engine, intake, message)
            if text is None:
                return Response("success", content_type="text/plain")
            reply = TextReply(content=text, message=message).render()
            if crypto is not None:
                reply = crypto.encrypt_message(reply, nonce, timestamp)
            return Response(reply, content_type="application/xml; charset=utf-8")

        return bp

    def _handle(self, engine: Engine, intake: Intake, message: Any) -> str | None:
        if message.type != "text":
            return "请直接发送文字反映问题，并注明地址和手机号，例如：翠苑路 1 号楼下餐馆油烟直排。地址：翠苑路1号 电话：13800138000"
        report = parse_report(message.content or "")
        missing = [label for label, key in (("手机号", "mobile"), ("地址（格式：地址：xxx）", "address"))
                   if not report[key]]
        if len(report["description"] or "") < 5:
            missing.insert(0, "问题描述（至少 5 个字）")
        if missing:
            return f"收到。为便于受理，请补充：{'、'.join(missing)}。"
        if not self.default_grid:
            return "暂无法受理：尚未配置受理网格，请拨打 12345 反映。"
        service = next((s for s in self.services.values() if any(k in report["description"] for k in s.keywords)), None)
        category = service.category if service else {"l1": "其他", "l2": "微信上报", "l3": "待分类"}
        variables = {
            "channel": "微信", "category_l1": category["l1"], "category_l2": category["l2"],
            "category_l3": category["l3"], "case_type": service.case_type if service else "诉求",
            "description": report["description"][:2000], "address": str(report["address"])[:200],
            "grid": self.default_grid, "reporter_name": (report["name"] or "微信用户")[:50],
            "reporter_mobile": report["mobile"], "urgency": "一般", "emergency": "无",
            "wechat": {"openid": message.source, "app_id": message.target, "msg_id": str(message.id)},
        }

        def start(business_key: str, ref: dict[str, Any]) -> InstanceView:
            # The resident is the WeChat user: a portal that signs them in as "wechat:<openid>" shows them their cases.
            return engine.start(PROCESS_KEY, self.actor, {**variables, "intake_ref": ref}, business_key=business_key,
                                region=self.default_grid, owner=f"wechat:{message.source}")

        external_id = str(message.id) if message.id else f"{message.source}:{int(time.time())}"
        try:
            result = intake.submit(external_id, {"openid": message.source, "content": message.content}, start)
        except IntakeConflict:
            return "该消息编号已用于另一条反映，请重新发送。"
        except IntakeBusy:
            return "正在受理，请稍候。"
        except GongzhiError as exc:
            logger.info("wechat report refused: %s", exc)
            return f"暂无法受理：{exc.message}"
        return f"已受理，编号 {result.instance_id[:8].upper()}。办理进展将通过订阅消息通知您。"


plugin = WeChatAdapter()
