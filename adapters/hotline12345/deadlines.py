"""The platform's 时限 for an order: checked when it arrives (with the order, or with a 督办 / 重派 that
sets a new one) and turned into the deadline the departments work to.

The departments' handling deadline (``whistle_department``, 计算办理期限) is the earlier of the local
limit (DMN ``whistle_limits``) and the platform's 时限 less a margin for the street's review
(``hotline_policy.deadline_margin_days``, working days). The margin is taken here, where the
engine's working calendar is at hand; the BPMN compares the result with its own limit.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from gongzhi import DecisionError
from gongzhi.calendar import working_days_before
from gongzhi.humanize import beijing

from ..inbound import Refused

if TYPE_CHECKING:  # pragma: no cover
    from .plugin import HotlineAdapter

__all__ = ["POLICY", "PAST_CODE", "parse_deadline", "deadline_terms"]

POLICY = "hotline_policy"
PAST_CODE = 42201  # the platform's 时限 has already passed: nothing can be done within it


def parse_deadline(value: Any, field: str) -> datetime:
    """The platform's 时限 as an aware datetime, or a ``Refused`` 400 naming ``field``."""
    try:
        if not isinstance(value, str):
            raise ValueError
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError
    except ValueError:
        raise Refused(400, "平台时限格式有误", kind="bad-request",
                      errors=[{"field": field, "message": "带时区的 ISO 8601 时间，如 2026-11-09T18:00:00+08:00"}]) from None
    return moment


def deadline_terms(adapter: HotlineAdapter, value: Any, urgency: str | None, region: str,
                   field: str = "deadline") -> dict[str, Any]:
    """What the case keeps of a platform 时限: ``deadline`` (the platform's), ``due`` (the deadline less
    the DMN's margin, UTC) and ``margin_days`` (the margin taken: 0 when no room is left for it).

    A 时限 already past is refused (422 / ``PAST_CODE``): no department could meet it.
    """
    moment = parse_deadline(value, field)
    engine = adapter.engine
    now = engine.clock.now()
    if moment <= now:
        raise Refused(422, f"平台时限 {beijing(moment)} 已过，无法按时限办理", kind="invalid", code=PAST_CODE,
                      errors=[{"field": field, "message": "平台时限已过"}])
    try:
        rules = engine.evaluate_decision(POLICY, {"urgency": urgency or "一般"}, region=region)["result"]
    except DecisionError as exc:  # an urgency the table does not know: the intake form would refuse it too
        raise Refused(422, "工单字段不符合受理表单", kind="invalid",
                      errors=[{"field": "urgency", "message": "紧急程度不在 12345 对接规则允许的取值之内"}]) from exc
    margin = int(rules["deadline_margin_days"])
    due = working_days_before(engine.calendar, moment, margin)
    if due <= now:  # too close for the review margin: the departments get the platform's own 时限
        due, margin = moment, 0
    return {"deadline": moment.isoformat(timespec="seconds"), "due": due.astimezone(timezone.utc).isoformat(),
            "margin_days": margin}
