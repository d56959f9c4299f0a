"""以下评上: each department's annual assessment (年度评价) from the year's whistle cases.

The year's closed cases give, per department, the street's and the communities'
ratings (100 points each, weighted by ``whistle_weights`` for the report 年度评价)
and the refusals to report (拒不报到) the street confirmed. A refusal is an event the
engine detects (``whistle_department.bpmn``: no sign-in and no arrival, or a 退单
overruled and still not arrived or handled when the escalation timer fires); only
the street's confirmation (街道确认拒不报到 → 确认拒不报到) makes it a veto. What a veto
does to the annual result — and the grade thresholds — is the decision
``whistle_annual_result`` (whistle_annual.dmn), evaluated in the version in force at
the end of the year: by default a confirmed veto makes the result 不合格 with 0 points.
There is no veto tick on a rating form: a department that signed and finished cannot
be vetoed after the fact. The refusal lives in the department's result
(``case_record.departments[].refusal``), so a confirmed refusal counts once its case
closes; a tick left by a case that finished on the flow before (``street_rating.refused``)
is not a veto.

The yearly round (``whistle_annual_review``) adds each community's rating of its linked
units and 下沉力量 (``whistle_annual_rating`` cases of the year, 100 points per unit); the
case score and the mean community rating combine by ``whistle_annual_weights`` (either
alone when the other is missing), and the veto decision applies to the combined score.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any, Callable, Mapping

from gongzhi import SYSTEM, Actor, Report
from gongzhi.humanize import beijing

from .reports import HEADINGS, ReportConfig, _entries, _mean, _street_points, collect, period_bounds, weights_in_force

__all__ = ["ANNUAL_DECISION", "ANNUAL_WEIGHTS", "ANNUAL_COLUMNS", "ANNUAL_HEADINGS", "annual_ratings", "annual_report",
           "annual_verdict", "combined_score", "community_reviews"]

ANNUAL_DECISION = "whistle_annual_result"
ANNUAL_WEIGHTS = "whistle_annual_weights"
ANNUAL_RATING = "whistle_annual_rating"

ANNUAL_COLUMNS = ("rank", "year", "department", "department_name", "responses", "street_rating", "community_rating",
                  "case_score", "reviews", "review_score", "rated_score", "vetoes", "veto_detail", "score", "grade")
ANNUAL_HEADINGS = {**HEADINGS, "case_score": "案件评价得分", "reviews": "年度评价社区数", "review_score": "社区年度评价得分",
                   "rated_score": "评价得分", "vetoes": "一票否决", "veto_detail": "拒不报到认定",
                   "score": "年度得分", "grade": "年度评价结果"}


def annual_verdict(engine: Any, vetoes: int, score: float | None, at: datetime | None = None) -> tuple[str, float | None]:
    """The annual result and score that ``whistle_annual_result`` (in force ``at``) gives a department
    with ``vetoes`` confirmed refusals and a rated ``score`` (None: not rated this year)."""
    outcome = engine.evaluate_decision(ANNUAL_DECISION, {"vetoes": vetoes, "score": score}, at=at)
    result = outcome["result"]
    cap = result.get("score_cap")
    final = score if cap is None or score is None else min(score, float(cap))
    if cap is not None and score is None and vetoes:
        final = float(cap)  # a vetoed department without ratings still gets the table's score
    return str(result["grade"]), final


def community_reviews(engine: Any, year: int, actor: Actor = SYSTEM) -> dict[str, list[float]]:
    """Department -> the unit scores the communities gave it in the year's 以下评上 round (the
    completed ``whistle_annual_rating`` cases of ``year`` that ``actor`` may see)."""
    begin, _ = period_bounds(year=year)
    prefix = f"whistle-annual:{year}:"
    ids = [c.id for batch in engine.read.iter_cases(actor, ANNUAL_RATING, created_from=begin, status="completed")
           for c in batch.items if (c.business_key or "").startswith(prefix)]
    scores: dict[str, list[float]] = defaultdict(list)
    for values in engine.read.variables(actor, ids, names="annual_rating").values():
        for unit in (values.get("annual_rating") or {}).get("units") or ():
            scores[unit["dept"]].append(float(unit["score"]))
    return scores


def combined_score(engine: Any, year: int, case_score: float | None, review_score: float | None,
                   at: datetime | None = None) -> float | None:
    """The case ratings and the communities' annual rating weighed by ``whistle_annual_weights``
    (in force ``at``); either alone when the other is missing."""
    if case_score is None or review_score is None:
        return case_score if review_score is None else review_score
    weights = engine.evaluate_decision(ANNUAL_WEIGHTS, {"review_year": year}, at=at)["result"]
    return round(float(weights["case_weight"]) * case_score + float(weights["review_weight"]) * review_score, 2)


def _veto_text(refusal: Mapping[str, Any], now: datetime) -> str:
    """One confirmed refusal, as a person reads it: when it was found, what, who confirmed it and why."""
    return (f"{beijing(refusal.get('detected_at'), now)} {refusal.get('kind') or '拒不报到'}"
            f"（{refusal.get('confirmed_by') or '街道'}确认：{refusal.get('reason') or '无'}）")


def annual_ratings(engine: Any, *, year: int | str, config: ReportConfig | None = None,
                   names: Mapping[str, str] | None = None, actor: Actor = SYSTEM) -> list[dict[str, Any]]:
    """以下评上: each department's yearly score from the street's and the communities' per-case ratings
    and the communities' annual ratings (100 points each), its confirmed refusals and the annual result
    the decision gives. Ranked best first."""
    begin, end = period_bounds(year=year)
    facts = collect(engine, begin, end, actor=actor)
    reviews = community_reviews(engine, int(year), actor)
    if not facts.cases and not reviews:
        return []
    config = config or weights_in_force(engine, "年度评价", until=end)
    at = min(end, engine.clock.now())
    street_pts: dict[str, list[int]] = defaultdict(list)
    community_pts: dict[str, list[int]] = defaultdict(list)
    vetoes: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for case in facts.cases.values():
        for entry in _entries(case["record"]):
            refusal = entry.get("refusal") or {}
            if refusal.get("confirmed") is True:
                vetoes[entry["dept"]].append(refusal)
            if entry.get("status") != "已办结":
                continue
            street_pts[entry["dept"]].append(_street_points(entry))
            community_pts[entry["dept"]].append(int(entry.get("community_score") or 0) * 20)
    rows = []
    for dept in sorted(set(street_pts) | set(vetoes) | set(reviews)):
        s, c = _mean(street_pts[dept]), _mean(community_pts[dept])
        case_score = (round(config.annual_weights["street"] * s + config.annual_weights["community"] * c, 2)
                      if s is not None and c is not None else None)
        review_score = _mean(reviews[dept])
        rated = combined_score(engine, int(year), case_score, review_score, at)
        grade, score = annual_verdict(engine, len(vetoes[dept]), rated, at)
        rows.append({"year": int(year), "department": dept, "department_name": (names or {}).get(dept, dept),
                     "responses": len(street_pts[dept]), "street_rating": s, "community_rating": c,
                     "case_score": case_score, "reviews": len(reviews[dept]), "review_score": review_score,
                     "rated_score": rated, "vetoes": len(vetoes[dept]),
                     "veto_detail": "；".join(_veto_text(r, at) for r in vetoes[dept]),
                     "score": score, "grade": grade})
    rows.sort(key=lambda r: (-(r["score"] if r["score"] is not None else -1), r["department"]))
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    return rows


def annual_report(config: ReportConfig | None, names: Callable[[], dict[str, str]]) -> Report:
    """The ``whistle-annual`` report (registered by ``reports.reports``)."""

    def annual(engine: Any, actor: Actor, year: int | str, **_: Any) -> list[dict[str, Any]]:
        return annual_ratings(engine, year=year, config=config, names=names(), actor=actor)

    return Report("whistle-annual", "吹哨报到·以下评上年度评价",
                  "街道评价与社区评价合成的部门年度得分、经街道确认的拒不报到（一票否决）与年度评价结果",
                  {"year": "年份 YYYY"}, ANNUAL_COLUMNS, annual, headings=ANNUAL_HEADINGS)
