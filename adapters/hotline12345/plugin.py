"""12345 hotline exchange: dispatched work orders (工单) in, sign-in/return/extension/feedback/closure out.

This module is the adapter without the web (the outbound channel and taking orders in);
``web.py`` is the blueprint. httpx is loaded by the first push (``transport.Sender``).
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Mapping
from zoneinfo import ZoneInfo

import orjson
from gongzhi import (Channel, ConfigurationError, Delivery, GongzhiError, InstanceEvent, InstanceView, Report,
                     hookimpl)

from ..base import AdapterPlugin
from ..cases import group_unit, summarize, task_data
from ..inbound import Refused, admit, grid_of
from ..intake import IntakeResult
from ..signing import Verifier, WebhookVerificationError, signature_headers
from ..transport import DeliveryFailed, Sender
from .deadlines import deadline_terms, parse_deadline

if TYPE_CHECKING:  # pragma: no cover
    import httpx

__all__ = ["HotlineAdapter", "ACTIONS", "plugin"]

SOURCE = "hotline12345"
CHANNEL = "12345热线"
ORDER_NO = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
ACTIONS = {"sign": "签收", "return": "退单", "extension": "延期申请", "feedback": "办理反馈", "close": "办结"}
CASE_TYPES = ("诉求", "投诉", "咨询", "求助", "建议")


class HotlineAdapter(AdapterPlugin):
    """12345 hotline exchange: receives dispatched work orders and pushes their progress back.

    Configuration (``adapter_hotline12345``): ``token`` (the hotline platform's bearer token for
    inbound calls), ``callback_url`` (where progress is pushed), ``callback_secrets`` (one, or two
    while rotating; pushes carry Standard Webhooks signatures), ``default_grid`` (for orders without
    a grid), ``timezone`` (Asia/Shanghai). Payloads are documented in this folder's README.
    """

    name = SOURCE
    title = "12345 热线工单交换"
    web_module = "gongzhi.adapters.hotline12345.web"

    def __init__(self, config: Mapping[str, Any] | str | None = None, *, transport: httpx.BaseTransport | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        super().__init__(config)
        self.sender = Sender(transport)
        self.clock = clock
        self.token: str | None = None
        self.callback_url: str | None = None
        self.secrets: list[str] = []
        self.default_grid: str | None = None
        self.tz = ZoneInfo("Asia/Shanghai")
        self.verifier: Verifier | None = None

    def configure(self, config: Mapping[str, Any]) -> None:
        self.token = config.get("token")
        self.callback_url = config.get("callback_url")
        secrets = config.get("callback_secrets") or ([config["callback_secret"]] if config.get("callback_secret") else [])
        self.secrets = [str(s) for s in secrets]
        if self.callback_url and not self.secrets:
            raise ConfigurationError("adapter_hotline12345: callback_url needs callback_secret(s) to sign pushes")
        self.default_grid = config.get("default_grid")
        self.tz = ZoneInfo(config.get("timezone") or "Asia/Shanghai")
        platform = config.get("platform_secrets") or ([config["platform_secret"]] if config.get("platform_secret") else [])
        # Signed inbound calls: a forged call fails the signature, a replayed one the timestamp window
        # (a retry inside it is answered from the order's or the action's idempotency record).
        self.verifier = Verifier([str(s) for s in platform], clock=self.clock or time.time) if platform else None

    @hookimpl
    def gongzhi_register_reports(self) -> list[Report]:
        """``hotline-rates``: the orders' 三率 by Gongzhi's and by the platform's definition (``rates``)."""
        from .rates import rates_report

        return [rates_report()]

    # --- outbound: the channel ----------------------------------------------------------

    @hookimpl
    def gongzhi_register_channels(self) -> list[Channel]:
        return [Channel(SOURCE, self.deliver, self.accepts)]

    def accepts(self, event: InstanceEvent) -> bool:
        # Without the engine the business key is unknown here: every whistle event is queued once the
        # adapter is configured, and ``deliver`` drops those of cases that did not come from the hotline.
        return self.bound and bool(self.callback_url) and event.process_key == self.process_key

    def pushes(self, event: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """The (action, data) pairs an instance event means for the hotline platform."""
        engine, actor = self.engine, self.actor
        instance_id, kind, element = event["instance_id"], event.get("kind"), event.get("element_id")
        view = engine.instance(instance_id, actor)
        if not self.owns(view.business_key):
            return []
        variables = view.variables
        location = variables.get("location") or {}
        out: list[tuple[str, dict[str, Any]]] = []
        if kind == "start":
            out.append(("sign", {"unit": location.get("street_name") or "", "signed_at": self._time(event["at"])}))
        elif kind == "complete":
            data = task_data(engine, actor, instance_id, event.get("task_id")) or {}
            if element == "divert":
                reason = data.get("divert_note") or f"不属本单位职责，建议转{data.get('diverted_to')}"
                out.append(("return", {"reason": reason, "diverted_to": data.get("diverted_to"),
                                       "transfer_no": data.get("transfer_no")}))
            elif element == "handle_feedback" and data.get("handle_outcome") == "申请延期":
                out.append(("extension", {"unit": self._unit_of_task(event, variables), "days": data.get("extension_days"),
                                          "reason": data.get("extension_reason")}))
            elif element == "handle_feedback":
                out.append(("feedback", {"unit": self._unit_of_task(event, variables),
                                         **{k: data.get(k) for k in ("accepted_at", "contacted", "measures", "resolve_by")},
                                         "result": data.get("handle_result")}))
            elif element == "community_handle" and data.get("community_outcome") == "已处置":
                out.append(("feedback", {"unit": location.get("community_name") or "",
                                         **{k: data.get(k) for k in ("accepted_at", "contacted", "measures", "resolve_by")},
                                         "result": "已处置"}))
            elif element == "answer_directly":
                out.append(("feedback", {"unit": location.get("street_name") or "", "answer": data.get("answer_text"),
                                         "answer_channel": data.get("answer_channel"), "result": "已答复"}))
        if event.get("status") == "completed" and not variables.get("diverted_to"):
            record = variables.get("case_record") or {}
            out.append(("close", {"result": record.get("resolved"), "satisfaction": record.get("satisfaction"),
                                  "closed_at": self._time(event["at"]), "summary": summarize(engine, view, self.profile).stage}))
        return out

    def _unit_of_task(self, event: Mapping[str, Any], variables: dict[str, Any]) -> str:
        """The unit that completed the event's task: its candidate group (``dept_huanjing`` -> 生态环境分局)."""
        group = self._task_group(event)
        return group_unit(self.engine, group, variables, self.profile) if group else ""

    def _task_group(self, event: Mapping[str, Any]) -> str | None:
        task_id = event.get("task_id")
        if not task_id:
            return None
        try:
            task = self.engine.task(task_id, self.actor)
        except GongzhiError:
            return None
        return task.candidate_groups[0] if task.candidate_groups else None

    def deliver(self, delivery: Delivery) -> None:
        if not self.callback_url:
            return
        event = delivery.event
        for action, data in self.pushes(event):
            order_no = self._order_no(event["instance_id"])
            body = orjson.dumps({
                "push_id": f"{delivery.event_id}:{action}", "order_no": order_no, "action": action,
                "action_name": ACTIONS[action], "case_id": event["instance_id"],
                "occurred_at": self._time(event["at"]), "data": data,
            })
            timestamp = int(self.clock()) if self.clock else None
            headers = signature_headers(self.secrets, f"{delivery.event_id}:{action}", body, timestamp=timestamp)
            response = self.sender.post(self.callback_url, body, headers)
            try:
                answer = response.json()
            except ValueError as exc:
                raise DeliveryFailed(f"hotline callback answered without JSON: {response.text[:200]}") from exc
            if not isinstance(answer, dict) or answer.get("code") != 0:
                raise DeliveryFailed(f"hotline callback refused {action} for {order_no}: {answer}")

    def _order_no(self, instance_id: str) -> str:
        view = self.engine.instance(instance_id, self.actor)
        return (view.business_key or "").split(":", 1)[1]

    def _time(self, value: str | datetime) -> str:
        when = datetime.fromisoformat(value) if isinstance(value, str) else value
        return when.astimezone(self.tz).isoformat(timespec="seconds")

    # --- inbound: taking work orders in ---------------------------------------------------

    def receive(self, order: Mapping[str, Any]) -> tuple[IntakeResult, dict[str, Any]]:
        """Take a dispatched work order in once: the result, and the answer's data (order, case, when)."""
        variables, order_no = self._intake_variables(order)

        def start(business_key: str, ref: dict[str, Any]) -> InstanceView:
            return self.engine.start(self.process_key, self.actor, {**variables, "intake_ref": ref},
                                     business_key=business_key, region=variables["grid"])

        result = admit(self.intake(), order_no, order, start)
        view = self.engine.instance(result.instance_id, self.actor)
        return result, {"order_no": order_no, "case_id": view.id, "received_at": self._time(view.created_at)}

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Check the platform's Standard Webhooks signature when ``platform_secrets`` are configured."""
        if self.verifier is None:
            return
        try:
            self.verifier.verify(headers, body)
        except WebhookVerificationError as exc:
            raise Refused(401, f"签名无效：{exc}", kind="unauthorized", code=40101) from exc
        # Idempotency is the order's and the action's, kept in the database: the same call again inside
        # the window gets its first answer, so the verifier need not remember ids.
        self.verifier.seen.forget(headers.get("webhook-id", ""))

    def order_no_valid(self, order_no: str) -> bool:
        return bool(ORDER_NO.match(order_no))

    def act(self, order_no: str, body: Mapping[str, Any]) -> tuple[bool, dict[str, Any]]:
        """The platform's 催办, 督办, 回访结果, 重派, 撤单 or return answer, applied once (see ``actions``)."""
        from .actions import perform

        return perform(self, order_no, body)

    def reconcile(self, month: Any, orders: Any) -> dict[str, Any]:
        """The month's orders whose status differs between the platform and Gongzhi (see ``actions``)."""
        from .actions import reconcile

        return reconcile(self, month, orders)

    def status(self, order_no: str) -> dict[str, Any]:
        """What the platform asks about an order: open or closed, its stage and the unit that has it."""
        view = self.intake().find(order_no) if ORDER_NO.match(order_no) else None
        if view is None:
            raise Refused(404, f"工单 {order_no} 不存在", kind="not-found")
        case = summarize(self.engine, view, self.profile)
        return {"order_no": order_no, "case_id": view.id, "status": "open" if case.open else "closed",
                "stage": case.stage, "unit": case.agency, "updated_at": self._time(view.updated_at)}

    def _intake_variables(self, order: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
        errors = []
        order_no = order.get("order_no")
        if not isinstance(order_no, str) or not ORDER_NO.match(order_no):
            errors.append({"field": "order_no", "message": "1–64 位字母、数字、- 或 _"})
        category = order.get("category")
        if isinstance(category, list) and len(category) == 3:
            category = {"l1": category[0], "l2": category[1], "l3": category[2]}
        if not isinstance(category, dict) or not all(isinstance(category.get(k), str) for k in ("l1", "l2", "l3")):
            errors.append({"field": "category", "message": "三级分类：[一级, 二级, 三级] 或 {l1, l2, l3}"})
        caller = order.get("caller") if isinstance(order.get("caller"), dict) else {}
        grid, located = order.get("grid"), None
        if not grid and isinstance(order.get("address"), str) and order["address"].strip():
            grid, located = grid_of(self.engine, None, None, order["address"])  # the address rules of the directory
        grid = grid or self.default_grid
        if not grid:
            errors.append({"field": "grid", "message": "缺少网格编码，地址也定位不到网格，且未配置默认网格"})
        for name in ("content", "address"):
            if not isinstance(order.get(name), str) or not order.get(name).strip():
                errors.append({"field": name, "message": "必填"})
        if order.get("deadline") is not None:
            try:
                parse_deadline(order["deadline"], "deadline")
            except Refused as exc:
                errors += exc.errors
        if errors:
            raise Refused(400, "工单字段有误", kind="bad-request", errors=errors)
        urgency = order.get("urgency") or "一般"
        terms: dict[str, Any] = {"deadline": None}
        if order.get("deadline") is not None and self.intake().find(order_no) is None:
            # A new order's 时限 sets the departments' deadline; a retry of one received is answered as before.
            terms = deadline_terms(self, order["deadline"], urgency, grid)
        case_type = order.get("case_type") if order.get("case_type") in CASE_TYPES else "诉求"
        variables: dict[str, Any] = {
            "channel": CHANNEL, "category_l1": category["l1"], "category_l2": category["l2"],
            "category_l3": category["l3"], "case_type": case_type, "description": order["content"],
            "address": order["address"], "grid": grid, "reporter_name": caller.get("name") or "匿名",
            "reporter_mobile": caller.get("mobile") or "", "urgency": urgency,
            "emergency": order.get("emergency") or "无",
            "hotline": {"order_no": order_no, "dispatched_at": order.get("dispatched_at"), **terms,
                        "remark": order.get("remark")},
        }
        if order.get("attachments"):
            variables["attachments"] = order["attachments"]
        if located is not None:
            variables["located"] = located  # how the grid was found, and the grid directory's version
        return variables, order_no


plugin = HotlineAdapter()
