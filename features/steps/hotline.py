"""Steps for work orders the 12345 platform dispatches, as the platform would post them."""

from __future__ import annotations

from datetime import timezone
from typing import Any

from gongzhi.calendar import add_working_days, working_days_before

from .vocabulary import 词
from .world import Case, World

HOTLINE = "/adapters/hotline12345"
TOKEN = "features-hotline-token"


def hotline_settings() -> dict:
    """The adapter configuration the feature world registers (no callback: the specs check the case)."""
    return {"token": TOKEN, "default_grid": "990101/001/001/01"}


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


def _deadline(world: World, number: str, before: bool = False) -> str:
    now = world.clock.now()
    moment = working_days_before(world.engine.calendar, now, int(number)) if before \
        else add_working_days(world.engine.calendar, now, int(number))
    return moment.astimezone(timezone.utc).isoformat()


def _order(world: World, text: str, deadline: str) -> Any:
    world.counter += 1
    order = {"order_no": f"GD-SPEC-{world.counter:03d}", "category": ["生态环境", "餐饮油烟", "油烟直排"],
             "case_type": "投诉", "content": text, "address": "翠苑路 1 号", "grid": "990101/001/001/01",
             "caller": {"name": "张三", "mobile": "13800138000"}, "urgency": "一般", "deadline": deadline}
    world.response = world.client.post(f"{HOTLINE}/work-orders", json=order, headers=_auth())
    world.hotline_order = order["order_no"]
    return world.response


@词('12345 平台派来工单 "{文字}"，平台时限为 {数量} 个工作日后')
def hotline_order(world: World, text: str, number: str) -> None:
    response = _order(world, text, _deadline(world, number))
    assert response.status_code == 200, f"12345 平台派单被拒绝（{response.status_code}）：{response.get_data(as_text=True)}"
    world.case = Case(response.get_json()["data"]["case_id"], "whistle_dispatch")
    world.worker()


@词('尝试由 12345 平台派来工单 "{文字}"，平台时限为 {数量} 个工作日前')
def hotline_late_order(world: World, text: str, number: str) -> None:
    _order(world, text, _deadline(world, number, before=True))


@词('12345 平台督办 "{文字}"，新时限为 {数量} 个工作日后')
def hotline_supervise(world: World, text: str, number: str) -> None:
    world.counter += 1
    body = {"action_id": f"DB-SPEC-{world.counter:03d}", "action": "supervise",
            "data": {"content": text, "deadline": _deadline(world, number)}}
    world.response = world.client.post(f"{HOTLINE}/work-orders/{world.hotline_order}/actions", json=body, headers=_auth())
    assert world.response.status_code == 200, f"12345 平台督办被拒绝：{world.response.get_data(as_text=True)}"
    world.worker()


@词("12345 平台收到错误码 {数量}")
def hotline_error(world: World, number: str) -> None:
    body = world.response.get_json(silent=True) or {}
    assert body.get("code") == int(number), f"12345 平台收到的是 {world.response.status_code}：{body}"
