"""Reports on consultations (请你来商量) and the three-meeting model (三会).

Every figure is computed from the consultation instances the actor may see
(``consultation_courtyard``, ``consultation_community``,
``consultation_enterprise``), read through the engine's read model
(``engine.read``: case summaries, then their variables, a batch at a time) — so
region scoping and masking are the engine's. Each instance contributes one :class:`TopicFacts`:

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
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable, Iterator, Mapping

from gongzhi import Actor, CaseSummary, InvalidInput, Report
from gongzhi.calendar import CST
from gongzhi.humanize import register_names

__all__ = ["Report", "TopicFacts", "VARIANTS", "collect_topics", "reports", "topics_report", "resolution_report",
           "implementation_report", "satisfaction_report"]

VARIANTS = ("consultation_courtyard", "consultation_community", "consultation_enterprise")
SATISFIED_FROM = 4
PARAMS = {"variant": "流程键（consultation_courtyard / consultation_community / consultation_enterprise）",
          "from": "征集日期起（YYYY-MM-DD，含）", "to": "征集日期止（YYYY-MM-DD，含）"}


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
    tier_changed: bool = False  # the party organisation changed the meeting form the 三会 table proposed

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


def _bounds(since: date | None, until: date | None) -> dict[str, datetime]:
    """Intake days (China time, both inclusive) as the read model's [created_from, created_before) in UTC."""
    bounds = {}
    if since:
        bounds["created_from"] = datetime.combine(since, time(), CST).astimezone(timezone.utc)
    if until:
        bounds["created_before"] = datetime.combine(until + timedelta(days=1), time(), CST).astimezone(timezone.utc)
    return bounds


def _batches(engine: Any, actor: Actor, key: str, **bounds: Any) -> Iterator[tuple[list[CaseSummary], dict[str, Any]]]:
    """The variant's cases the actor may see, with their variables, a batch at a time."""
    for batch in engine.read.iter_cases(actor, key, **bounds):
        cases = list(batch.items)
        if cases:
            yield cases, engine.read.variables(actor, [c.id for c in cases])


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
        for cases, values in _batches(engine, actor, key, **_bounds(since, until)):
            for listed in cases:
                variables = values.get(listed.id, {})
                status = "已撤销" if listed.status == "cancelled" else str(variables.get("topic_status") or "待审核")
                rating = variables.get("satisfaction")
                facts.append(TopicFacts(
                    instance_id=listed.id, variant=key, venue=variables.get("venue"), tier=variables.get("tier"),
                    status=status, intake_at=listed.created_at, resolved_at=_time(variables.get("resolved_at")),
                    implementation=tuple(r for r in variables.get("impl_results") or () if isinstance(r, Mapping)),
                    satisfaction=rating if isinstance(rating, int) and not isinstance(rating, bool) else None,
                    tier_changed=(variables.get("tier_confirmation") or {}).get("changed") is True,
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
        "tier_changes": sum(1 for t in topics if t.tier_changed),
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


VENUES = {"consultation_courtyard": "院坝协商", "consultation_community": "社区协商", "consultation_enterprise": "企业协商"}  # 厂区、政企、银企协商
TIERS = {"small_talk": "小微事务恳谈会", "council": "社区党群议事会", "hearing": "重大事项论证会"}
HEADINGS = {
    "variant": "协商形式", "tier": "三会分类", "status": "议题状态", "count": "议题数",
    "tier_changes": "党组织改变会议形式（件）",
    "resolved": "已形成协商意见", "median_days": "办理天数中位数",
    "tasks": "实施任务", "on_time": "按期完成", "on_time_rate": "实施按时率", "department_tasks": "部门任务",
    "department_on_time_rate": "部门任务按时率",
    "responses": "评议数", "average": "平均分", "satisfied_rate": "满意率", "distribution": "各分值人数（1–5 分）",
}
RATES = frozenset({"on_time_rate", "department_on_time_rate", "satisfied_rate"})


def _scoped(actor: Actor, params: dict[str, Any]) -> dict[str, Any]:
    """Any reader: the reads themselves keep to the cases the actor may see."""
    return params


def _report(name: str, title: str, description: str, columns: tuple[str, ...],
            compute: Callable[[Any, Any, Mapping[str, Any]], dict[str, Any]]) -> Report:
    return Report(name, title, description, dict(PARAMS), columns,
                  lambda engine, actor, **params: compute(engine, actor, params), scope=_scoped,
                  headings=HEADINGS, percents=RATES, named=frozenset({"variant", "tier"}))


def reports() -> list[Report]:
    # The exports name the variants and tiers, not their codes.
    register_names("consultation-codes", lambda code: VENUES.get(code) or TIERS.get(code))
    return [
        _report("consultation_topics", "协商议题统计", "按协商形式、三会分类（以社区党组织确认的为准）和状态统计议题数，及社区党组织改变建议会议形式的件数",
                ("variant", "tier", "status", "count"), topics_report),
        _report("consultation_resolution", "议题办理时长", "从议题征集到形成协商意见的天数中位数",
                ("resolved", "median_days"), resolution_report),
        _report("consultation_implementation", "实施按时率", "实施任务按期完成的比例（含转吹哨报到的任务）",
                ("tasks", "on_time", "on_time_rate", "department_tasks", "department_on_time_rate"), implementation_report),
        _report("consultation_satisfaction", "居民满意度", "办结议题的居民满意度评议",
                ("responses", "average", "satisfied_rate", "distribution"), satisfaction_report),
    ]
