"""Reports on whistle dispatch (吹哨报到): per department and per street (the annual 以下评上 view is annual.py).

Everything is computed from the engine's public read model (``engine.read``) for
the cases (process ``whistle_dispatch``) taken in during the period (instance
``created_at``, in China time) that the reader may see:

- **task rows** give each dispatch and its timing. A dispatch is one
  ``sign_in`` task offered to ``dept_<code>``; the department's later
  ``handle_feedback`` tasks in the same instance belong to it until its next
  dispatch. The submitted form data comes from the audit trail (typed
  ``complete`` records), so nothing is read from serialized state;
- **closed cases' records** (the ``case_record`` variable written by 办结归档)
  give what only the process knows: the street's verdict on each return, the
  street's and the community's ratings, and the resident's final follow-up.

Figures (ratios are ``None`` when there is nothing to divide by):

=====================  ==========================================================
响应率 response_rate      sign-in tasks the department completed itself (signed or
                       returned, not deemed signed after the return period) / dispatches
按时签收率 on_time_sign_rate  dispatches signed (签收) by their due time / dispatches
办结率 closure_rate       dispatches finished with 办结反馈 / (dispatches − upheld returns);
                       for a street: closed cases / cases
按时办结率 on_time_closure_rate  finished by the (possibly extended) deadline and never
                       escalated / finished
解决率 resolution_rate     weighted final follow-up answers (已解决 1, 部分解决 and 未解决 0
                       by default) over closed cases the department handled
满意率 satisfaction_rate   weighted (满意 1, 基本满意 0.9, 不满意 0) over the same cases
综合得分 composite         0.1 × 响应率 + 0.5 × 解决率 + 0.4 × 满意率 (all weights: DMN whistle_weights)
退单 returned / upheld / overruled, 升级 escalations (handling tasks taken over by
the district), 到场督办 onsite_escalations (on-site reports taken over by the district after a
no-show), 延期申请 extension_requests
=====================  ==========================================================
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Any, Callable, Mapping

from gongzhi import SYSTEM, Actor, NotAllowed, Report
from gongzhi.calendar import CST
from gongzhi.clock import utc

__all__ = ["Report", "ReportConfig", "weights_in_force", "HEADINGS", "RATIOS", "reports", "department_report", "street_report",
           "period_bounds", "PROCESS_KEY"]

PROCESS_KEY = "whistle_dispatch"
DEPT_PREFIX = "dept_"


WEIGHTS_DECISION = "whistle_weights"


@dataclass(frozen=True)
class ReportConfig:
    """Weights behind the figures, as the decision ``whistle_weights`` (whistle_weights.dmn) gives them.

    The reports read the table in force (a street's own first) each time they run; pass a
    ``ReportConfig`` only to override the table explicitly.
    """

    satisfaction_weights: Mapping[str, float]
    resolution_weights: Mapping[str, float]
    composite_weights: Mapping[str, float]
    annual_weights: Mapping[str, float]

    @classmethod
    def from_decision(cls, result: Mapping[str, Any]) -> "ReportConfig":
        """The weights from one row of ``whistle_weights`` (its output names)."""
        return cls(
            satisfaction_weights={"满意": result["satisfied"], "基本满意": result["basically_satisfied"],
                                  "不满意": result["not_satisfied"]},
            resolution_weights={"已解决": result["resolved"], "部分解决": result["partly_resolved"],
                                "未解决": result["not_resolved"]},
            composite_weights={"response": result["response_weight"], "resolution": result["resolution_weight"],
                               "satisfaction": result["satisfaction_weight"]},
            annual_weights={"street": result["street_weight"], "community": result["community_weight"]},
        )


def weights_in_force(engine: Any, report: str, street: str | None = None, until: datetime | None = None) -> ReportConfig:
    """The ``whistle_weights`` row for ``report`` in the version in force for ``street`` (the district's
    without) at the end of the period ending ``until`` (or now, for a period still running): a weight
    changed in July does not rewrite January."""
    at = min(until, engine.clock.now()) if until is not None else None
    outcome = engine.evaluate_decision(WEIGHTS_DECISION, {"report": report}, region=street or "", at=at)
    return ReportConfig.from_decision(outcome["result"])


# --- the facts ---------------------------------------------------------------------


@dataclass
class Dispatch:
    instance_id: str
    street: str
    dept: str
    responded: bool = False
    signed_on_time: bool = False
    returned: bool = False
    handled: bool = False
    handled_on_time: bool = False
    escalations: int = 0
    onsite_escalations: int = 0  # 到场督办: the on-site deadline passed and the district took over
    extension_requests: int = 0


@dataclass
class Facts:
    cases: dict[str, dict[str, Any]]  # instance id -> {"street", "status", "record"}
    dispatches: list[Dispatch]


def period_bounds(start: str | date | None = None, end: str | date | None = None, month: str | None = None,
                  year: int | str | None = None) -> tuple[datetime, datetime]:
    """[start, end) in UTC from dates (China time, end exclusive), a month ``2025-03`` or a year."""
    if month:
        y, m = (int(p) for p in str(month).split("-"))
        first, after = date(y, m, 1), date(y + (m == 12), m % 12 + 1, 1)
    elif year:
        first, after = date(int(year), 1, 1), date(int(year) + 1, 1, 1)
    elif start and end:
        first = start if isinstance(start, date) else date.fromisoformat(str(start))
        after = end if isinstance(end, date) else date.fromisoformat(str(end))
    else:
        raise ValueError("报表需要期间：month=YYYY-MM、year=YYYY，或 start 与 end（YYYY-MM-DD，end 不含）")
    return (datetime.combine(first, time(), CST).astimezone(timezone.utc),
            datetime.combine(after, time(), CST).astimezone(timezone.utc))


def street_of(region: str) -> str:
    return "/".join(region.split("/")[:2])


def collect(engine: Any, begin: datetime, end: datetime, street: str | None = None, actor: Actor = SYSTEM) -> Facts:
    """Read the cases of the period that ``actor`` may see, their dispatches and records, through ``engine.read``.

    A batch of cases at a time: their sign-in and handling tasks, the form data of
    their ``complete`` events and the closed cases' ``case_record``, one query each.
    """
    read = engine.read
    street = street.strip("/") if street else None
    cases: dict[str, dict[str, Any]] = {}
    tasks: list[Any] = []
    forms: dict[str, Mapping[str, Any]] = {}
    for batch in read.iter_cases(actor, PROCESS_KEY, created_from=begin, created_before=end, region=street,
                                 status=("running", "completed")):
        found = {c.id: {"street": street_of(c.region), "status": c.status, "record": None}
                 for c in batch.items if not street or street_of(c.region) == street}
        ids = list(found)
        if not ids:
            continue
        cases.update(found)
        tasks.extend(read.tasks(actor, ids, element_ids=("sign_in", "onsite_report", "handle_feedback")))
        for events in read.iter_events(actor, PROCESS_KEY, since=begin, actions="complete", instance_ids=ids):
            forms.update({e.task_id: e.data for e in events.items if e.task_id})
        closed = [iid for iid in ids if found[iid]["status"] == "completed"]
        for iid, values in read.variables(actor, closed, names="case_record").items():
            found[iid]["record"] = values.get("case_record")

    dispatches: list[Dispatch] = []
    lanes: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in tasks:
        groups = [g for g in row.candidate_groups if g.startswith(DEPT_PREFIX)]
        if groups:
            lanes[(row.instance_id, groups[0][len(DEPT_PREFIX):])].append(row)
    for (iid, dept), rows_ in lanes.items():
        current: Dispatch | None = None
        for row in sorted(rows_, key=lambda r: (utc(r.created_at), r.element_id != "sign_in")):
            data = forms.get(row.id, {})
            done = row.status == "completed"
            if row.element_id == "sign_in":
                current = Dispatch(iid, cases[iid]["street"], dept)
                dispatches.append(current)
                current.responded = done
                current.returned = done and data.get("sign_decision") == "退单"
                current.signed_on_time = (done and data.get("sign_decision") == "签收"
                                          and utc(row.completed_at) <= utc(row.due_at))
            elif current is not None and row.element_id == "onsite_report":
                current.onsite_escalations += row.status == "cancelled"  # only the no-show timer interrupts it
            elif current is not None:
                if row.status == "cancelled":
                    current.escalations += 1  # only the escalation timer interrupts handling
                elif done and data.get("handle_outcome") == "申请延期":
                    current.extension_requests += 1
                elif done and data.get("handle_outcome") == "办结反馈":
                    current.handled = True
                    current.handled_on_time = (current.escalations == 0 and row.due_at is not None
                                               and utc(row.completed_at) <= utc(row.due_at))
    return Facts(cases, dispatches)


# --- figures -----------------------------------------------------------------------------


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _figures(dispatches: list[Dispatch], records: list[dict[str, Any]], upheld: int, overruled: int,
             config: ReportConfig) -> dict[str, Any]:
    n = len(dispatches)
    handled = sum(d.handled for d in dispatches)
    followed = [r for r in records if r.get("satisfaction")]
    resolution = _ratio(sum(config.resolution_weights.get(r.get("resolved"), 0.0) for r in followed), len(followed))
    satisfaction = _ratio(sum(config.satisfaction_weights.get(r["satisfaction"], 0.0) for r in followed), len(followed))
    response = _ratio(sum(d.responded for d in dispatches), n)
    return {
        "dispatched": n,
        "responded": sum(d.responded for d in dispatches),
        "response_rate": response,
        "signed_on_time": sum(d.signed_on_time for d in dispatches),
        "on_time_sign_rate": _ratio(sum(d.signed_on_time for d in dispatches), n),
        "returned": sum(d.returned for d in dispatches),
        "returns_upheld": upheld,
        "returns_overruled": overruled,
        "handled": handled,
        "closure_rate": _ratio(handled, n - upheld),
        "handled_on_time": sum(d.handled_on_time for d in dispatches),
        "on_time_closure_rate": _ratio(sum(d.handled_on_time for d in dispatches), handled),
        "escalations": sum(d.escalations for d in dispatches),
        "onsite_escalations": sum(d.onsite_escalations for d in dispatches),
        "extension_requests": sum(d.extension_requests for d in dispatches),
        "followed_up": len(followed),
        "resolution_rate": resolution,
        "satisfaction_rate": satisfaction,
        "composite": _composite(response, resolution, satisfaction, config),
    }


def _composite(response: float | None, resolution: float | None, satisfaction: float | None,
               config: ReportConfig) -> float | None:
    parts = {"response": response, "resolution": resolution, "satisfaction": satisfaction}
    if any(v is None for v in parts.values()):
        return None
    return round(sum(config.composite_weights.get(k, 0.0) * v for k, v in parts.items()), 4)


def _entries(record: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    return list((record or {}).get("departments") or [])


def department_report(engine: Any, *, config: ReportConfig | None = None, street: str | None = None,
                      names: Mapping[str, str] | None = None, actor: Actor = SYSTEM,
                      **period: Any) -> list[dict[str, Any]]:
    """One row per department (optionally only the cases of one street), over the cases ``actor`` may see."""
    begin, end = period_bounds(**period)
    facts = collect(engine, begin, end, street=street, actor=actor)
    if not facts.cases:
        return []
    config = config or weights_in_force(engine, "部门考核", street, end)
    by_dept: dict[str, list[Dispatch]] = defaultdict(list)
    for d in facts.dispatches:
        by_dept[d.dept].append(d)
    handled_records: dict[str, list[dict[str, Any]]] = defaultdict(list)
    verdicts: dict[str, dict[str, int]] = defaultdict(lambda: {"同意退单": 0, "驳回退单": 0})
    ratings: dict[str, dict[str, list[int]]] = defaultdict(lambda: {"street": [], "community": []})
    for case in facts.cases.values():
        record = case["record"]
        for entry in _entries(record):
            dept = entry["dept"]
            by_dept.setdefault(dept, [])
            if entry.get("return_verdict") in ("同意退单", "驳回退单"):
                verdicts[dept][entry["return_verdict"]] += 1
            if entry.get("status") == "已办结":
                ratings[dept]["street"].append(_street_points(entry))
                ratings[dept]["community"].append(int(entry.get("community_score") or 0) * 20)
        for dept in sorted({e["dept"] for e in _entries(record) if e.get("status") == "已办结"}):
            handled_records[dept].append(record)
    rows = []
    for dept in sorted(by_dept):
        row = {"department": dept, "department_name": (names or {}).get(dept, dept), "street": street or "全部"}
        row.update(_figures(by_dept[dept], handled_records[dept], verdicts[dept]["同意退单"], verdicts[dept]["驳回退单"], config))
        row["street_rating"] = _mean(ratings[dept]["street"])
        row["community_rating"] = _mean(ratings[dept]["community"])
        rows.append(row)
    return rows


def street_report(engine: Any, *, config: ReportConfig | None = None, names: Mapping[str, str] | None = None,
                  actor: Actor = SYSTEM, **period: Any) -> list[dict[str, Any]]:
    """One row per street: its cases, the dispatches they caused and the residents' answers."""
    begin, end = period_bounds(**period)
    facts = collect(engine, begin, end, actor=actor)
    if not facts.cases:
        return []
    config = config or weights_in_force(engine, "街道统计", until=end)
    streets: dict[str, dict[str, Any]] = defaultdict(lambda: {"cases": [], "dispatches": []})
    for iid, case in facts.cases.items():
        streets[case["street"]]["cases"].append(case)
    for d in facts.dispatches:
        streets[d.street]["dispatches"].append(d)
    rows = []
    for path in sorted(streets):
        cases, dispatches = streets[path]["cases"], streets[path]["dispatches"]
        records = [c["record"] for c in cases if c["record"]]
        entries = [e for r in records for e in _entries(r)]
        upheld = sum(e.get("return_verdict") == "同意退单" for e in entries)
        overruled = sum(e.get("return_verdict") == "驳回退单" for e in entries)
        row = {"street": path, "street_name": (names or {}).get(path, path), "cases": len(cases),
               "closed": sum(c["status"] == "completed" for c in cases),
               "community_cases": sum(r.get("handled_by") == "社区" for r in records),
               "whistle_cases": sum(r.get("handled_by") == "吹哨" for r in records)}
        row.update(_figures(dispatches, records, upheld, overruled, config))
        row["case_closure_rate"] = _ratio(row["closed"], row["cases"])
        rows.append(row)
    return rows


def _street_points(entry: Mapping[str, Any]) -> int:
    """The street's overall rating of one response, in points of 100 (a refusal is a veto, see annual.py)."""
    return int((entry.get("street_rating") or {}).get("score") or 0) * 20


def _mean(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


# --- registration --------------------------------------------------------------------------

_PERIOD = {"month": "月份 YYYY-MM", "year": "年份 YYYY", "start": "开始日期 YYYY-MM-DD", "end": "结束日期（不含）YYYY-MM-DD"}
_DEPT_COLUMNS = ("department", "department_name", "street", "dispatched", "responded", "response_rate",
                 "signed_on_time", "on_time_sign_rate", "returned", "returns_upheld", "returns_overruled", "handled",
                 "closure_rate", "handled_on_time", "on_time_closure_rate", "escalations", "onsite_escalations",
                 "extension_requests",
                 "followed_up", "resolution_rate", "satisfaction_rate", "composite", "street_rating", "community_rating")
_STREET_COLUMNS = ("street", "street_name", "cases", "closed", "case_closure_rate", "community_cases", "whistle_cases",
                   *[c for c in _DEPT_COLUMNS[3:-2]])
_TARGET_COLUMNS = ("target_status", "target_breaches")  # against whistle_targets (targets.py)

# Chinese column headings of the CSV exports (code columns stay in the JSON only).
HEADINGS = {
    "department_name": "部门", "street_name": "街道", "dispatched": "派单", "responded": "响应",
    "response_rate": "响应率", "signed_on_time": "按时签收", "on_time_sign_rate": "按时签收率", "returned": "退单",
    "returns_upheld": "退单获准", "returns_overruled": "退单被驳回", "handled": "办结", "closure_rate": "办结率",
    "handled_on_time": "按时办结", "on_time_closure_rate": "按时办结率", "escalations": "升级", "onsite_escalations": "到场督办",
    "extension_requests": "延期申请", "followed_up": "回访", "resolution_rate": "解决率", "satisfaction_rate": "满意率",
    "composite": "综合得分", "street_rating": "街道评价", "community_rating": "社区评价", "cases": "案件",
    "closed": "已办结", "case_closure_rate": "案件办结率", "community_cases": "社区办结", "whistle_cases": "吹哨案件",
    "rank": "名次", "year": "年度", "responses": "评价次数", "vetoes": "一票否决", "score": "年度得分",
    "target_status": "是否达标", "target_breaches": "未达标指标（目标）",
}
RATIOS = frozenset({"response_rate", "on_time_sign_rate", "closure_rate", "on_time_closure_rate", "resolution_rate",
                    "satisfaction_rate", "case_closure_rate"})


def own_street(actor: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Street staff and those below them see their own street's cases; the district sees all."""
    parts = actor.region.split("/") if actor.region else []
    if len(parts) >= 2:
        street = "/".join(parts[:2])
        if params.get("street") and params["street"].strip("/") != street:
            raise NotAllowed(f"只能查看本街道（{street}）的统计", street=params["street"])
        params["street"] = street
    elif not parts:
        raise NotAllowed("没有管辖区域，不能查看统计")
    return params


def _with_targets(engine: Any, rows: list[dict[str, Any]], level: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each row judged against its targets (whistle_targets in force at the period's end): 是否达标, 未达标指标."""
    from .targets import annotate  # targets builds on this module

    period = {k: params[k] for k in ("month", "year", "start", "end") if params.get(k)}
    return annotate(engine, rows, level, params.get("street"), period_bounds(**period)[1]) if rows else rows


def reports(config: ReportConfig | None = None, directory: Callable[[], Any] | None = None) -> list[Report]:
    """The whistle reports (weights from ``whistle_weights`` unless ``config`` overrides them), names from the directory."""
    from .annual import annual_report  # annual.py builds on this module's facts


    def names() -> dict[str, str]:
        if directory is None:
            return {}
        d = directory()
        return {**{code: dept.name for code, dept in d.departments.items()}, **{u.path: u.name for u in d.streets()}}

    def departments(engine: Any, actor: Actor, **params: Any) -> list[dict[str, Any]]:
        rows = department_report(engine, config=config, names=names(), actor=actor, **params)
        return _with_targets(engine, rows, "部门", params)

    def streets(engine: Any, actor: Actor, **params: Any) -> list[dict[str, Any]]:
        return _with_targets(engine, street_report(engine, config=config, names=names(), actor=actor, **params), "街道",
                             params)

    return [
        Report("whistle-departments", "吹哨报到·部门考核", "各职能部门的响应率、解决率、满意率、综合得分、办结率、按时签收率、按时办结率、退单与升级，以及是否达到考核目标",
               {**_PERIOD, "street": "只统计某街道的案件（区域路径）"}, (*_DEPT_COLUMNS, *_TARGET_COLUMNS), departments, scope=own_street,
               headings=HEADINGS, percents=RATIOS, book=(("街道", "whistle-streets"),)),
        Report("whistle-streets", "吹哨报到·街道统计", "各街道的案件量、办结率、部门响应与居民评价", _PERIOD, (*_STREET_COLUMNS, *_TARGET_COLUMNS), streets,
               headings=HEADINGS, percents=RATIOS),
        annual_report(config, names),
    ]
