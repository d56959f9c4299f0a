"""Reports on consultations (请你来商量) and the three-meeting model (三会).

Every figure is computed from the consultation instances the actor may see
(``consultation_courtyard``, ``consultation_community``,
``consultation_enterprise``), read through the runtime API — so region scoping
is the engine's. Each instance contributes one :class:`TopicFacts`:

- **variant** is the process key, **venue** the form of consultation
  (院坝协商, 社区协商, 厂区协商/政企协商/银企协商), **tier** the three-meeting
  classification (``small_talk``, ``council``, ``hearing``; ``None`` before it);
- **status** is the topic's ``topic_status`` (待审核, 已受理, 通知期中, 会议协商中,
  公示中, 实施中, 已办结, 不予受理, 已合并, 已转吹哨报到, 表决未通过, ...); a
  cancelled instance counts as ``已撤销``;
- **intake** is the instance's start, **resolution** the ``resolved_at`` of the
  resolution that stood (after an upheld objection, the later vote's);
- **implementation** is ``impl_results``: one entry per task with ``on_time``
  (finished by its deadline in working days; a department's task when its
  whistle case closed);
- **satisfaction** is the residents' 1–5 rating at the end.

Reports (``params`` are optional filters: ``variant`` — a process key —,
``from`` and ``to`` — ISO dates of intake, China time, both inclusive):

==========================  =============================================================
consultation_topics         topics counted by variant, tier and status (rows), with totals
consultation_resolution     median days (calendar, fractional) from intake to resolution
consultation_implementation implementation tasks, on time, and the on-time rate
consultation_satisfaction   ratings: responses, average, share satisfied (4 or 5), distribution
==========================  =============================================================

Ratios and medians are ``None`` when there is nothing to divide.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Iterator, Mapping

from gongzhi.calendar import CST
from gongzhi.errors import InvalidInput

__all__ = ["Report", "TopicFacts", "VARIANTS", "collect_topics", "reports", "topics_report", "resolution_report",
           "implementation_report", "satisfaction_report"]

VARIANTS = ("consultation_courtyard", "consultation_community", "consultation_enterprise")
PAGE = 200
SATISFIED_FROM = 4
PARAMS = {"variant": "流程键（consultation_courtyard / consultation_community / consultation_enterprise）",
          "from": "征集日期起（YYYY-MM-DD，含）", "to": "征集日期止（YYYY-MM-DD，含）"}


@dataclass(frozen=True)
class Report:
    """A report: ``run(engine, actor, params)`` returns a JSON-ready dict."""

    name: str
    title: str
    description: str
    compute: Callable[[Any, Any, Mapping[str, Any]], dict[str, Any]]
    params: Mapping[str, str] = field(default_factory=lambda: dict(PARAMS))

    def run(self, engine: Any, actor: Any, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self.compute(engine, actor, dict(params or {}))


@dataclass(frozen=True)
class TopicFacts:
    """What the reports need to know about one consultation topic."""

    instance_id: str
    variant: str
    venue: str | None
    tier: str | None
    status: str
    intake_at: datetime
    resolved_at: datetime | None
    implementation: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)
    satisfaction: int | None = None

    @property
    def days_to_resolution(self) -> float | None:
        if self.resolved_at is None:
            return None
        return (self.resolved_at - self.intake_at).total_seconds() / 86400


# --- facts ---------------------------------------------------------------------------


def _date(params: Mapping[str, Any], key: str) -> date | None:
    value = params.get(key)
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidInput(f"参数 {key} 应为日期（YYYY-MM-DD）", errors=[{"field": key, "message": "date"}]) from exc


def _variants(params: Mapping[str, Any]) -> tuple[str, ...]:
    variant = params.get("variant")
    if variant in (None, ""):
        return VARIANTS
    if variant not in VARIANTS:
        raise InvalidInput(f"参数 variant 应为 {', '.join(VARIANTS)} 之一", errors=[{"field": "variant", "message": "unknown"}])
    return (variant,)


def _instances(engine: Any, actor: Any, key: str) -> Iterator[Any]:
    page = 1
    while True:
        listed = engine.instances(actor, process_key=key, page=page, per_page=PAGE)
        yield from listed.items
        if page * PAGE >= listed.total:
            return
        page += 1


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def collect_topics(engine: Any, actor: Any, params: Mapping[str, Any] | None = None) -> list[TopicFacts]:
    """One :class:`TopicFacts` per consultation instance the actor may see, filtered by ``params``."""
    params = params or {}
    since, until = _date(params, "from"), _date(params, "to")
    facts = []
    for key in _variants(params):
        for listed in _instances(engine, actor, key):
            intake_day = listed.created_at.astimezone(CST).date()
            if (since and intake_day < since) or (until and intake_day > until):
                continue
            variables = engine.instance(listed.id, actor).variables
            status = "已撤销" if listed.status == "cancelled" else str(variables.get("topic_status") or "待审核")
            rating = variables.get("satisfaction")
            facts.append(TopicFacts(
                instance_id=listed.id, variant=key, venue=variables.get("venue"), tier=variables.get("tier"),
                status=status, intake_at=listed.created_at, resolved_at=_time(variables.get("resolved_at")),
                implementation=tuple(r for r in variables.get("impl_results") or () if isinstance(r, Mapping)),
                satisfaction=rating if isinstance(rating, int) and not isinstance(rating, bool) else None,
            ))
    return facts


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# --- reports ---------------------------------------------------------------------------


def topics_report(engine: Any, actor: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    topics = collect_topics(engine, actor, params)
    counted = Counter((t.variant, t.tier, t.status) for t in topics)
    rows = [{"variant": v, "tier": tier, "status": s, "count": n}
            for (v, tier, s), n in sorted(counted.items(), key=lambda kv: tuple(str(x) for x in kv[0]))]
    return {
        "total": len(topics),
        "rows": rows,
        "by_variant": dict(sorted(Counter(t.variant for t in topics).items())),
        "by_tier": dict(sorted(Counter(str(t.tier) for t in topics).items())),
        "by_status": dict(sorted(Counter(t.status for t in topics).items())),
    }


def resolution_report(engine: Any, actor: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    days = sorted(d for d in (t.days_to_resolution for t in collect_topics(engine, actor, params)) if d is not None)
    return {"resolved": len(days), "median_days": round(statistics.median(days), 2) if days else None}


def implementation_report(engine: Any, actor: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    tasks = [r for t in collect_topics(engine, actor, params) for r in t.implementation]
    on_time = sum(1 for r in tasks if r.get("on_time") is True)
    by_department = [r for r in tasks if r.get("whistle_case")]
    return {
        "tasks": len(tasks), "on_time": on_time, "on_time_rate": _ratio(on_time, len(tasks)),
        "department_tasks": len(by_department),
        "department_on_time_rate": _ratio(sum(1 for r in by_department if r.get("on_time") is True), len(by_department)),
    }


def satisfaction_report(engine: Any, actor: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    ratings = [t.satisfaction for t in collect_topics(engine, actor, params) if t.satisfaction is not None]
    return {
        "responses": len(ratings),
        "average": round(sum(ratings) / len(ratings), 2) if ratings else None,
        "satisfied_rate": _ratio(sum(1 for r in ratings if r >= SATISFIED_FROM), len(ratings)),
        "distribution": {str(score): sum(1 for r in ratings if r == score) for score in range(1, 6)},
    }


def reports() -> list[Report]:
    return [
        Report("consultation_topics", "协商议题统计", "按协商形式、三会分类和状态统计议题数", topics_report),
        Report("consultation_resolution", "议题办理时长", "从议题征集到形成协商意见的天数中位数", resolution_report),
        Report("consultation_implementation", "实施按时率", "实施任务按期完成的比例（含转吹哨报到的任务）",
               implementation_report),
        Report("consultation_satisfaction", "居民满意度", "办结议题的居民满意度评议", satisfaction_report),
    ]
