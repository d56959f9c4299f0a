"""What the 12345 platform does to an order it dispatched: 催办, 督办, 回访结果, 重派, 撤单, and its answer
to a return (退单审核结果). Each call changes the case once, however often the platform retries it.
Also the monthly reconciliation: orders whose status differs between the platform and Gongzhi.

The case changes through messages its BPMN catches (``whistle_dispatch``: 催办 and 督办 in
non-interrupting event sub-processes, the revisit, re-dispatch and return answer where the case waits
for them), or, for 撤单, by cancelling the case with the platform's reason. The platform's
``action_id`` is the idempotency key: a retry gets the first answer, the same id with other content
is a conflict. Flask-free; ``web.py`` maps the routes here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping

import orjson
from gongzhi import GongzhiError, InstanceStatus, NotFound

from ..intake import content_hash
from ..inbound import Refused
from .deadlines import deadline_terms, parse_deadline

if TYPE_CHECKING:  # pragma: no cover
    from .plugin import HotlineAdapter

__all__ = ["PLATFORM_ACTIONS", "MESSAGES", "PlatformAction", "parse_action", "perform", "reconcile"]

PLATFORM_ACTIONS = {"urge": "催办", "supervise": "督办", "revisit": "回访结果", "redispatch": "重派",
                    "withdraw": "撤单", "return_result": "退单审核结果"}
# The message each action sends (its data arrives in the catch event's message variable; 撤单 cancels instead).
MESSAGES = {"urge": "hotline_urge", "supervise": "hotline_supervise", "revisit": "hotline_revisit",
            "redispatch": "hotline_redispatch", "return_result": "hotline_return_result"}
# A 督办 with a new 时限 also sends this one: the departments' handling step catches it (whistle_department).
DEADLINE_MESSAGE = "hotline_deadline"
# 催办 and 督办 reach a running case at once or not at all; the others wait (the message TTL) for the
# case to reach the step that waits for them (a revisit may come while a second department still works).
IMMEDIATE = frozenset({"urge", "supervise"})
ACTION_ID = re.compile(r"^[A-Za-z0-9_\-:.]{1,100}$")
SATISFACTION = ("满意", "基本满意", "不满意")
RESOLVED = ("已解决", "部分解决", "未解决")
CLOSED_CODE = 40902  # the order is closed or withdrawn: nothing more can be done to it
OWNER = "hotline12345:action"


@dataclass(frozen=True)
class PlatformAction:
    action_id: str
    action: str
    occurred_at: str | None
    data: dict[str, Any]

    @property
    def name(self) -> str:
        return PLATFORM_ACTIONS[self.action]


def _text(data: Mapping[str, Any], key: str, errors: list[dict[str, str]], *, required: bool, limit: int = 500) -> None:
    value = data.get(key)
    if value is None and not required:
        return
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        errors.append({"field": f"data.{key}", "message": f"必填文字，不超过 {limit} 字" if required else f"文字，不超过 {limit} 字"})


def _choice(data: Mapping[str, Any], key: str, options: tuple[str, ...], errors: list[dict[str, str]],
            *, required: bool) -> None:
    if data.get(key) is None and not required:
        return
    if data.get(key) not in options:
        errors.append({"field": f"data.{key}", "message": "取值：" + " / ".join(options)})


def _data_errors(action: str, data: Mapping[str, Any]) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    if action in ("supervise", "redispatch") and data.get("deadline") is not None:
        try:
            parse_deadline(data["deadline"], "data.deadline")  # a new 时限 (checked against the clock when applied)
        except Refused as exc:
            errors += exc.errors
    if action in ("urge", "supervise"):
        _text(data, "content", errors, required=True)
    elif action == "revisit":
        _choice(data, "satisfaction", SATISFACTION, errors, required=True)
        _choice(data, "resolved", RESOLVED, errors, required=True)
        if "contacted" in data and not isinstance(data["contacted"], bool):
            errors.append({"field": "data.contacted", "message": "true 或 false"})
        _text(data, "comment", errors, required=False)
    elif action in ("redispatch", "withdraw"):
        _text(data, "reason", errors, required=True)
    elif action == "return_result":
        if not isinstance(data.get("accepted"), bool):
            errors.append({"field": "data.accepted", "message": "true（同意退单）或 false（不同意）"})
        _text(data, "comment", errors, required=data.get("accepted") is False)
    return errors


def parse_action(body: Mapping[str, Any]) -> PlatformAction:
    """The platform's call, checked field by field (a ``Refused`` 400 naming every wrong field)."""
    errors: list[dict[str, str]] = []
    action_id, action, data = body.get("action_id"), body.get("action"), body.get("data")
    if not isinstance(action_id, str) or not ACTION_ID.match(action_id):
        errors.append({"field": "action_id", "message": "1–100 位字母、数字或 - _ : ."})
    if action not in PLATFORM_ACTIONS:
        errors.append({"field": "action", "message": "取值：" + " / ".join(PLATFORM_ACTIONS)})
    if data is None:
        data = {}
    if not isinstance(data, dict):
        errors.append({"field": "data", "message": "JSON 对象"})
    occurred = body.get("occurred_at")
    if occurred is not None:
        try:
            if not isinstance(occurred, str) or datetime.fromisoformat(occurred).tzinfo is None:
                raise ValueError
        except ValueError:
            errors.append({"field": "occurred_at", "message": "带时区的 ISO 8601 时间"})
    if not errors:
        errors = _data_errors(action, data)
    if errors:
        raise Refused(400, "平台操作字段有误", kind="bad-request", errors=errors)
    return PlatformAction(action_id, action, occurred, dict(data))


def perform(adapter: HotlineAdapter, order_no: str, body: Mapping[str, Any]) -> tuple[bool, dict[str, Any]]:
    """Apply the platform's action to the order's case once: (first time?, the answer's data)."""
    action = parse_action(body)
    claims = adapter.engine.claims
    fingerprint = content_hash({"order_no": order_no, **{k: body.get(k) for k in ("action", "data")}})
    claim = claims.claim(OWNER, action.action_id, action.action, fingerprint, wait_seconds=5)
    if not claim.owned:
        if claim.state == "done":  # ClaimState is a str enum
            return False, orjson.loads(claim.body or "{}")
        if claim.state == "conflict":
            raise Refused(409, f"操作编号 {action.action_id} 已用于另一项操作", kind="conflict")
        raise Refused(409, f"操作 {action.action_id} 正在处理，请稍后重试", kind="busy")
    try:
        data = _apply(adapter, order_no, action)
    except BaseException:
        claims.release(OWNER, action.action_id)  # nothing changed: a corrected call may use the id again
        raise
    claims.finish(OWNER, action.action_id, 200, orjson.dumps(data).decode())
    return True, data


def _apply(adapter: HotlineAdapter, order_no: str, action: PlatformAction) -> dict[str, Any]:
    view = adapter.intake().find(order_no) if adapter.order_no_valid(order_no) else None
    if view is None:
        raise Refused(404, f"工单 {order_no} 不存在", kind="not-found")
    if view.status != InstanceStatus.RUNNING:
        raise Refused(409, f"工单 {order_no} 已{'撤单' if view.status == InstanceStatus.CANCELLED else '办结'}，"
                           f"不能再{action.name}", kind="conflict", code=CLOSED_CODE)
    answer = {"order_no": order_no, "action_id": action.action_id, "action": action.action, "case_id": view.id}
    if action.action == "withdraw":
        adapter.engine.cancel(view.id, adapter.actor, f"12345 平台撤单：{action.data['reason']}")
        return {**answer, "result": "已撤单"}
    payload = {**action.data, "action_id": action.action_id, "occurred_at": action.occurred_at}
    terms = None
    if action.action in ("supervise", "redispatch") and action.data.get("deadline") is not None:
        terms = deadline_terms(adapter, action.data["deadline"], view.variables.get("urgency"), view.region,
                               field="data.deadline")
        payload["hotline_deadline"] = terms  # 重派: the next round's departments work to it
    receipt = _send(adapter, view, order_no, action, MESSAGES[action.action], payload, "",
                    0 if action.action in IMMEDIATE else None)
    if terms is not None and action.action == "supervise":
        # The departments handling the order now take the new 时限 (those not there yet, when they get there).
        receipt = _send(adapter, view, order_no, action, DEADLINE_MESSAGE, terms, ":deadline", None)
    return {**answer, "result": "已送达" if receipt.status == "delivered" else "已接收，待案件办理到相应环节时处理"}


def _send(adapter: HotlineAdapter, view: Any, order_no: str, action: PlatformAction, message: str,
          payload: dict[str, Any], suffix: str, ttl: float | None) -> Any:
    try:
        return adapter.engine.send_message(message, adapter.actor, payload, business_key=view.business_key,
                                           message_id=f"{OWNER}:{action.action_id}{suffix}", ttl_seconds=ttl)
    except NotFound as exc:  # a running case that is not (or no longer) at a step that takes this action
        raise Refused(409, f"工单 {order_no} 当前环节不受理{action.name}", kind="conflict", code=CLOSED_CODE) from exc
    except GongzhiError as exc:
        raise Refused(min(exc.http_status, 500), exc.message) from exc


# --- the monthly reconciliation -------------------------------------------------------------------

STATUS_WORDS = {"running": "open", "completed": "closed", "cancelled": "withdrawn"}
PLATFORM_STATUSES = ("open", "closed", "withdrawn")
MAX_RECONCILED = 20_000  # orders in one call: a district's month, with room


def reconcile(adapter: HotlineAdapter, month: Any, orders: Any) -> dict[str, Any]:
    """Orders whose status differs between the platform (``orders``: ``[{"order_no", "status"}]``) and
    Gongzhi, for the orders received in ``month`` (YYYY-MM, China time), and orders only one side has."""
    from gongzhi.calendar import CST

    errors: list[dict[str, str]] = []
    match = re.fullmatch(r"(\d{4})-(\d{2})", month) if isinstance(month, str) else None
    if not match or not 1 <= int(match[2]) <= 12:
        errors.append({"field": "month", "message": "YYYY-MM"})
    if not isinstance(orders, list) or len(orders) > MAX_RECONCILED:
        errors.append({"field": "orders", "message": f"数组，至多 {MAX_RECONCILED} 条"})
    platform: dict[str, str] = {}
    for i, order in enumerate(orders if isinstance(orders, list) and not errors else []):
        no, status = (order.get("order_no"), order.get("status")) if isinstance(order, dict) else (None, None)
        if not isinstance(no, str) or not adapter.order_no_valid(no) or status not in PLATFORM_STATUSES:
            errors.append({"field": f"orders[{i}]", "message": "order_no 与 status（" + " / ".join(PLATFORM_STATUSES) + "）"})
        else:
            platform[no] = status
    if errors:
        raise Refused(400, "对账参数有误", kind="bad-request", errors=errors[:50])
    year, number = int(match[1]), int(match[2])
    begin = datetime(year, number, 1, tzinfo=CST)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=CST)
    ours: dict[str, tuple[str, str]] = {}
    prefix = f"{adapter.name}:"
    for batch in adapter.engine.read.iter_cases(adapter.actor, adapter.process_key, created_from=begin, created_before=end):
        for case in batch.items:
            if (case.business_key or "").startswith(prefix):
                ours[case.business_key[len(prefix):]] = (STATUS_WORDS.get(case.status, case.status), case.id)
    differences = [{"order_no": no, "platform": platform[no], "gongzhi": ours[no][0], "case_id": ours[no][1]}
                   for no in sorted(platform.keys() & ours.keys()) if platform[no] != ours[no][0]]
    return {"month": month, "platform_orders": len(platform), "gongzhi_orders": len(ours),
            "differences": differences,
            "missing_in_gongzhi": sorted(platform.keys() - ours.keys()),
            "missing_on_platform": [{"order_no": no, "gongzhi": ours[no][0], "case_id": ours[no][1]}
                                    for no in sorted(ours.keys() - platform.keys())]}
