"""The 三率 (响应率 / 解决率 / 满意率) of the 12345 orders, counted two ways side by side (report ``hotline-rates``).

**Gongzhi's way** is the whistle reports' (``plugins/whistle/reports.py``, the street level) over the
same orders: 响应率 per department dispatch (a sign-in the department completed itself, signed or
returned), 解决率 and 满意率 over closed cases from their final follow-up, weighted by ``whistle_weights``
(基本满意 0.9 by default).

**The platform's way**, per order (however many departments it went to, however often it was reopened):

- 响应率: orders a department signed (签收, not returned, not deemed signed) before the platform's 时限
  (``hotline.deadline``, the latest the case holds; without one, signed at all) / orders that reached
  a department;
- 解决率, 满意率: from the platform's own last 回访结果 (the ``revisit`` action) of each order, open or
  closed, counted as the decision ``hotline_rates`` says (满意 and 基本满意 count as satisfied, only
  已解决 as resolved, by default) / orders the platform revisited.

Both are read through ``engine.read`` for the cases the reader may see (a street reads its own).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator, Mapping, Sequence

from gongzhi import SYSTEM, Actor, Report
from gongzhi.clock import utc
from gongzhi.plugins.whistle.reports import (PROCESS_KEY, _figures, collect, own_street, period_bounds, street_of,
                                             weights_in_force)

__all__ = ["REPORT", "hotline_rates", "rates_report"]

REPORT = "hotline-rates"
PREFIX = "hotline12345:"
COUNTING = "hotline_rates"  # the platform's counting, in whistle_hotline.dmn
PLATFORM = "12345 平台"  # ``followups[].by`` of a revisit that came from the platform
CHUNK = 500  # instance ids per read-model query


@dataclass
class Order:
    """What the platform's counting needs of one order."""

    instance_id: str
    street: str
    deadline: datetime | None = None
    reached_department: bool = False
    signed_in_time: bool = False
    revisit: Mapping[str, Any] | None = None  # the platform's last 回访结果: {"resolved", "satisfaction"}


def _chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    for i in range(0, len(ids), CHUNK):
        yield list(ids[i:i + CHUNK])


def _order_ids(engine: Any, actor: Actor, begin: datetime, end: datetime, street: str | None) -> dict[str, str]:
    """Instance id -> street of the 12345 orders taken in during the period (withdrawn ones left out)."""
    found: dict[str, str] = {}
    for batch in engine.read.iter_cases(actor, PROCESS_KEY, created_from=begin, created_before=end, region=street,
                                        status=("running", "completed")):
        for case in batch.items:
            if (case.business_key or "").startswith(PREFIX) and (not street or street_of(case.region) == street):
                found[case.id] = street_of(case.region)
    return found


def _last_platform_revisit(followups: Sequence[Mapping[str, Any]] | None) -> Mapping[str, Any] | None:
    # A 重派 is recorded as a follow-up too, but it is the platform's instruction, not a 回访结果.
    revisits = [f for f in followups or () if f.get("by") == PLATFORM and "redispatch" not in f]
    return revisits[-1] if revisits else None


def _orders(engine: Any, actor: Actor, begin: datetime, ids: dict[str, str]) -> list[Order]:
    read = engine.read
    orders = {iid: Order(iid, street) for iid, street in ids.items()}
    for chunk in _chunks(sorted(ids)):
        for iid, values in read.variables(actor, chunk, names=("hotline", "followups")).items():
            deadline = (values.get("hotline") or {}).get("deadline")
            orders[iid].deadline = utc(datetime.fromisoformat(deadline)) if deadline else None
            orders[iid].revisit = _last_platform_revisit(values.get("followups"))
        forms: dict[str, Mapping[str, Any]] = {}
        for events in read.iter_events(actor, PROCESS_KEY, since=begin, actions="complete", instance_ids=chunk):
            forms.update({e.task_id: e.data for e in events.items if e.task_id})
        for task in read.tasks(actor, chunk, element_ids=("sign_in",)):
            order = orders[task.instance_id]
            order.reached_department = True
            signed = task.status == "completed" and forms.get(task.id, {}).get("sign_decision") == "签收"
            if signed and (order.deadline is None or utc(task.completed_at) <= order.deadline):
                order.signed_in_time = True
    return list(orders.values())


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


class _Counting:
    """The platform's count of each revisit answer (``hotline_rates``), as in force for a street."""

    def __init__(self, engine: Any, until: datetime) -> None:
        self.engine, self.at = engine, min(until, engine.clock.now())
        self.cache: dict[tuple[str, str], float] = {}

    def __call__(self, answer: str | None, street: str) -> float:
        if not answer:
            return 0.0
        key = (answer, street)
        if key not in self.cache:
            outcome = self.engine.evaluate_decision(COUNTING, {"answer": answer}, region=street, at=self.at)
            result = outcome["result"]
            self.cache[key] = float((result.get("counts") if isinstance(result, dict) else result) or 0)
        return self.cache[key]


def _platform_figures(orders: list[Order], counting: _Counting) -> dict[str, Any]:
    reached = [o for o in orders if o.reached_department]
    revisited = [o for o in orders if o.revisit]
    responded = sum(o.signed_in_time for o in reached)
    return {
        "platform_reached": len(reached), "platform_responded": responded,
        "platform_response_rate": _ratio(responded, len(reached)),
        "platform_revisited": len(revisited),
        "platform_resolution_rate": _ratio(sum(counting(o.revisit["resolved"], o.street) for o in revisited),
                                           len(revisited)),
        "platform_satisfaction_rate": _ratio(sum(counting(o.revisit["satisfaction"], o.street) for o in revisited),
                                             len(revisited)),
    }


def hotline_rates(engine: Any, *, actor: Actor = SYSTEM, street: str | None = None, **period: Any) -> list[dict[str, Any]]:
    """One row per street: its 12345 orders' 三率 by Gongzhi's definition and by the platform's."""
    begin, end = period_bounds(**period)
    street = street.strip("/") if street else None
    ids = _order_ids(engine, actor, begin, end, street)
    if not ids:
        return []
    facts = collect(engine, begin, end, street=street, actor=actor)
    config = weights_in_force(engine, "街道统计", until=end)
    counting = _Counting(engine, end)
    by_street: dict[str, list[Order]] = defaultdict(list)
    for order in _orders(engine, actor, begin, ids):
        by_street[order.street].append(order)
    rows = []
    for path in sorted(by_street):
        mine = {o.instance_id for o in by_street[path]}
        dispatches = [d for d in facts.dispatches if d.instance_id in mine]
        records = [c["record"] for iid, c in facts.cases.items() if iid in mine and c["record"]]
        entries = [e for r in records for e in (r.get("departments") or [])]
        gongzhi = _figures(dispatches, records, sum(e.get("return_verdict") == "同意退单" for e in entries),
                           sum(e.get("return_verdict") == "驳回退单" for e in entries), config)
        rows.append({"street": path, "orders": len(mine), "dispatched": gongzhi["dispatched"],
                     "gongzhi_response_rate": gongzhi["response_rate"], "followed_up": gongzhi["followed_up"],
                     "gongzhi_resolution_rate": gongzhi["resolution_rate"],
                     "gongzhi_satisfaction_rate": gongzhi["satisfaction_rate"],
                     **_platform_figures(by_street[path], counting)})
    return rows


COLUMNS = ("street", "orders", "dispatched", "gongzhi_response_rate", "platform_reached", "platform_responded",
           "platform_response_rate", "followed_up", "gongzhi_resolution_rate", "gongzhi_satisfaction_rate",
           "platform_revisited", "platform_resolution_rate", "platform_satisfaction_rate")
HEADINGS = {
    "street": "街道", "orders": "12345 工单", "dispatched": "派单（共治口径）", "gongzhi_response_rate": "响应率（共治口径）",
    "platform_reached": "派至部门工单（12345 口径）", "platform_responded": "时限内签收工单（12345 口径）",
    "platform_response_rate": "响应率（12345 口径）", "followed_up": "办结回访（共治口径）",
    "gongzhi_resolution_rate": "解决率（共治口径）", "gongzhi_satisfaction_rate": "满意率（共治口径）",
    "platform_revisited": "平台回访工单（12345 口径）", "platform_resolution_rate": "解决率（12345 口径）",
    "platform_satisfaction_rate": "满意率（12345 口径）",
}
PERCENTS = frozenset(c for c in COLUMNS if c.endswith("_rate"))
UNITS = {c: "件" for c in ("orders", "dispatched", "platform_reached", "platform_responded", "followed_up",
                          "platform_revisited")}
PERIOD = {"month": "月份 YYYY-MM", "year": "年份 YYYY", "start": "开始日期 YYYY-MM-DD", "end": "结束日期（不含）YYYY-MM-DD",
          "street": "只统计某街道的工单（区域路径）"}


def rates_report() -> Report:
    """The report, on the same contract as the whistle reports (a street reads its own street)."""

    def compute(engine: Any, actor: Actor, **params: Any) -> list[dict[str, Any]]:
        return hotline_rates(engine, actor=actor, **params)

    return Report(REPORT, "12345 工单·三率对照", "12345 工单的响应率、解决率、满意率，按共治口径与 12345 平台口径并列",
                  PERIOD, COLUMNS, compute, scope=own_street, headings=HEADINGS, percents=PERCENTS,
                  named=frozenset({"street"}), units=UNITS)
