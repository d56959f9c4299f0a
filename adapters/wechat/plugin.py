"""WeChat official account / mini-program: resident reports from the server callback, status notices back.

This module is the adapter without the web: reading a resident's message into a case and
the subscription-message channel. ``web.py`` is the server callback (signatures and the
encrypted mode are wechatpy's ``check_signature`` and ``WeChatCrypto``). The platform API
(access_token, subscription messages) is wechatpy's client pointed at ``api_base_url``,
imported on the first notice: an engine or worker that never sends one does not load wechatpy.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from gongzhi import Channel, ConfigurationError, Delivery, InstanceEvent, InstanceView, hookimpl

from ..base import AdapterPlugin
from ..cases import summarize, task_data
from ..inbound import Refused, admit, grid_of
from ..intake import IntakeResult
from ..loading import catalogue

__all__ = ["WeChatAdapter", "Topic", "parse_report", "plugin"]

logger = logging.getLogger("gongzhi.adapters.wechat")

SOURCE = "wechat"
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
UNSORTED = {"l1": "其他", "l2": "微信上报", "l3": "待分类"}
# What the resident is told when the report cannot be taken in (by kind of refusal).
REFUSAL_REPLIES = {"conflict": "该消息编号已用于另一条反映，请重新发送。", "busy": "正在受理，请稍候。"}


@dataclass(frozen=True)
class Topic:
    """A catalogue entry as WeChat uses it: words in a message -> the case's category and type."""

    keywords: tuple[str, ...]
    category: Mapping[str, str]
    case_type: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Topic:
        try:
            category = {level: str(data["category"][level]) for level in ("l1", "l2", "l3")}
        except (KeyError, TypeError) as exc:
            raise ConfigurationError(f"adapter_wechat service {data!r}: missing category {exc}") from exc
        return cls(tuple(str(k) for k in data.get("keywords") or ()), category, str(data.get("case_type") or "诉求"))


def parse_report(text: str) -> dict[str, str | None]:
    """What a resident's message says: the description, a mobile number, an address, a name."""
    mobile = MOBILE.search(text)
    address = ADDRESS.search(text)
    name = NAME.search(text)
    return {"description": text.strip(), "mobile": mobile.group(1) if mobile else None,
            "address": address.group(1) if address else None, "name": name.group(1) if name else None}


def _client(base: str, appid: str, secret: str, timeout: float = 10) -> Any:
    """wechatpy's client with every URL under the configured API base (a test stub, a gateway)."""
    from wechatpy import WeChatClient

    class Client(WeChatClient):  # type: ignore[misc]
        def fetch_access_token(self) -> dict[str, Any]:
            return self._fetch_access_token(url=f"{root}/cgi-bin/token", params={
                "grant_type": "client_credential", "appid": self.appid, "secret": self.secret})

    root = base.rstrip("/")
    client = Client(appid, secret, timeout=timeout)
    client.API_BASE_URL = f"{root}/cgi-bin/"
    client.wxa.API_BASE_URL = f"{root}/"
    return client


class WeChatAdapter(AdapterPlugin):
    """WeChat official account / mini-program: reports from the server callback, subscription-message notices.

    Configuration (``adapter_wechat``): ``token`` (the callback token), ``encoding_aes_key`` and
    ``app_id`` (encrypted mode), ``app_secret`` and ``api_base_url`` (the platform API), ``template_id``,
    ``template_data`` (template field -> text with ``{case_no} {service} {status} {time} {note}``),
    ``page`` (opened from the notice; ``{case_id}`` is replaced), ``default_grid``, ``services`` or
    ``services_file`` (keywords -> categories; default: the bundled service catalogue), ``process``.
    """

    name = SOURCE
    title = "微信公众号 / 小程序"
    web_module = "gongzhi.adapters.wechat.web"

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
        self.topics = [Topic.from_dict(item) for item in catalogue(config, "adapter_wechat")]
        self._client: Any = None

    # --- outbound: subscription-message notices ----------------------------------------------

    @hookimpl
    def gongzhi_register_channels(self) -> list[Channel]:
        return [Channel(SOURCE, self.deliver, self.accepts)]

    def accepts(self, event: InstanceEvent) -> bool:
        if not self.bound or not (self.template_id and self.app_id and self.app_secret):
            return False
        if event.process_key != self.process_key:
            return False
        return event.kind == "start" or event.status != "running" or event.element_id in NOTICE_TASKS

    @property
    def client(self) -> Any:
        """wechatpy's ``WeChatClient`` for the platform API, made (and wechatpy imported) on first use."""
        if self._client is None:
            self._client = _client(self.api_base, str(self.app_id), str(self.app_secret))
        return self._client

    def notice(self, event: Mapping[str, Any]) -> dict[str, Any] | None:
        """The subscription message for an event of a WeChat case, or None."""
        view = self.engine.instance(event["instance_id"], self.actor)
        if not self.owns(view.business_key):
            return None
        openid = (view.variables.get("wechat") or {}).get("openid")
        if not openid:
            return None
        status, note = self._progress(view, event)
        values = {"case_no": view.id[:8].upper(), "service": view.variables.get("category_l2") or "",
                  "status": status, "time": self._time(event["at"]), "note": note}
        data = {field: {"value": template.format(**values)[:20]} for field, template in self.template_data.items()}
        page = self.page.format(case_id=view.id) if self.page else None
        return {"touser": openid, "template_id": self.template_id, "page": page, "data": data}

    def _progress(self, view: InstanceView, event: Mapping[str, Any]) -> tuple[str, str]:
        """Status and note as of the event (the case may have moved on by the time the worker delivers it)."""
        kind, state = event.get("kind"), event.get("status")
        if state == "completed":
            return "已办结", summarize(self.engine, view, self.profile).stage
        if state == "cancelled":
            return "已撤销", "案件已撤销"
        if kind == "start":
            return "已受理", f"已转{(view.variables.get('location') or {}).get('street_name') or '街道'}办理"
        data = task_data(self.engine, self.actor, view.id, event.get("task_id")) or {}
        note = {"handle_feedback": f"部门已反馈：{data.get('handle_result') or data.get('handle_outcome') or ''}",
                "community_handle": f"社区已处置：{data.get('community_outcome') or ''}",
                "answer_directly": "已答复", "divert": f"已转办：{data.get('diverted_to') or ''}"}
        return "办理中", note.get(str(event.get("element_id")), "办理中")

    def deliver(self, delivery: Delivery) -> None:
        message = self.notice(delivery.event)
        if message is None:
            return
        from wechatpy.exceptions import WeChatClientException

        try:
            self.client.wxa.send_subscribe_message(message["touser"], message["template_id"], message["data"],
                                                   page=message["page"])
        except WeChatClientException as exc:
            if exc.errcode in PERMANENT_ERRCODES:  # retrying cannot help; the case itself is unaffected
                logger.warning("wechat notice for %s dropped: %s", delivery.event.get("instance_id"), exc)
                return
            raise

    def _time(self, value: str) -> str:
        return datetime.fromisoformat(value).astimezone(self.tz).strftime("%Y-%m-%d %H:%M")

    # --- inbound: a resident's message -------------------------------------------------------

    def reply_to(self, message: Any) -> str | None:
        """The text answered to a message from the callback (wechatpy's parsed message), or None."""
        if message.type != "text":
            return "请直接发送文字反映问题，并注明地址和手机号，例如：翠苑路 1 号楼下餐馆油烟直排。地址：翠苑路1号 电话：13800138000"
        report = parse_report(message.content or "")
        missing = [label for label, key in (("手机号", "mobile"), ("地址（格式：地址：xxx）", "address"))
                   if not report[key]]
        if len(report["description"] or "") < 5:
            missing.insert(0, "问题描述（至少 5 个字）")
        if missing:
            return f"收到。为便于受理，请补充：{'、'.join(missing)}。"
        grid, located = grid_of(self.engine, None, None, report["address"])  # the directory's address rules
        grid = grid or self.default_grid
        if not grid:
            return "暂无法受理：这个地址定位不到网格，请写明小区或路名，或拨打 12345 反映。"
        try:
            result = self._take_in(message, report, grid, located)
        except Refused as exc:
            logger.info("wechat report refused: %s", exc.message)
            return REFUSAL_REPLIES.get(exc.kind, f"暂无法受理：{exc.message}")
        return f"已受理，编号 {result.instance_id[:8].upper()}。办理进展将通过订阅消息通知您。"

    def _take_in(self, message: Any, report: Mapping[str, Any], grid: str,
                 located: Mapping[str, Any] | None) -> IntakeResult:
        topic = next((t for t in self.topics if any(k in report["description"] for k in t.keywords)), None)
        category = topic.category if topic else UNSORTED
        variables = {
            "channel": "微信", "category_l1": category["l1"], "category_l2": category["l2"],
            "category_l3": category["l3"], "case_type": topic.case_type if topic else "诉求",
            "description": report["description"][:2000], "address": str(report["address"])[:200],
            "grid": grid, "reporter_name": (report["name"] or "微信用户")[:50],
            "reporter_mobile": report["mobile"], "urgency": "一般", "emergency": "无",
            "wechat": {"openid": message.source, "app_id": message.target, "msg_id": str(message.id)},
        }
        if located is not None:
            variables["located"] = dict(located)

        def start(business_key: str, ref: dict[str, Any]) -> InstanceView:
            # The resident is the WeChat user: a portal that signs them in as "wechat:<openid>" shows them their cases.
            return self.engine.start(self.process_key, self.actor, {**variables, "intake_ref": ref},
                                     business_key=business_key, region=grid,
                                     owner=f"wechat:{message.source}")

        external_id = str(message.id) if message.id else f"{message.source}:{int(time.time())}"
        return admit(self.intake(), external_id, {"openid": message.source, "content": message.content}, start)


plugin = WeChatAdapter()
