"""What the review reads through the engine's public read model (``engine.read``) — nothing is typed in twice.

Every function reads as ``actor`` (default ``SYSTEM``: the review's service tasks
run as the engine; a report passes its reader). Nothing restores a workflow.

- **whistle cases** (process ``whistle_dispatch``) taken in during a period: the
  case summaries give status and intake time, the typed ``start`` audit records
  give the intake form (grid, address, case type);
- **published periods**: each completed ``property_review`` instance ends with
  the variable ``period_record`` (the final list with scores, reasons and
  consequences);
- **replacements**: each completed ``property_expulsion`` ends with
  ``replacement`` (compound, old and new company, handover date);
- **probations**: ``property_probation`` instances, running or finished
  (``probation_record``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Iterator

from gongzhi import SYSTEM, Actor, CaseSummary
from gongzhi.clock import utc

from .periods import Period, parse_period
from .roster import Roster

__all__ = ["PropertyConfig", "whistle_stats", "period_records", "replacements", "probations", "review_entries",
           "company_history", "WHISTLE_KEY", "REVIEW_KEY", "EXPULSION_KEY", "PROBATION_KEY"]

WHISTLE_KEY = "whistle_dispatch"
REVIEW_KEY = "property_review"
EXPULSION_KEY = "property_expulsion"
PROBATION_KEY = "property_probation"
NOT_LISTED = "未上榜"
NO_RECORD = "无记录"


@dataclass(frozen=True)
class PropertyConfig:
    """Settings outside the DMN tables: what counts as a complaint and how survey answers score."""

    complaint_types: frozenset[str] = frozenset({"投诉", "诉求", "求助"})
    survey_points: dict[str, float] = field(default_factory=lambda: {"满意": 100.0, "基本满意": 90.0, "一般": 60.0, "不满意": 0.0})
    survey_columns: tuple[str, ...] = ("满意度", "satisfaction", "score", "得分")


def _cases(engine: Any, actor: Actor, process_key: str, statuses: Iterable[str] | None = None,
           **filters: Any) -> Iterator[list[CaseSummary]]:
    """The process's cases the actor may see, a batch at a time."""
    for batch in engine.read.iter_cases(actor, process_key, status=tuple(statuses) if statuses else None, **filters):
        if batch.items:
            yield list(batch.items)


def _with_variable(engine: Any, actor: Actor, process_key: str, name: str) -> list[tuple[CaseSummary, Any]]:
    """(case, value of variable ``name``) of the process's completed cases, oldest ending first."""
    found = []
    for cases in _cases(engine, actor, process_key, ("completed",)):
        values = engine.read.variables(actor, [c.id for c in cases], names=name)
        found.extend((c, values.get(c.id, {}).get(name)) for c in cases)
    return sorted(found, key=lambda pair: pair[0].ended_at or pair[0].created_at)


# --- whistle cases ------------------------------------------------------------------------


def whistle_stats(engine: Any, roster: Roster, period: str | Period, compounds: Iterable[str] | None = None,
                  config: PropertyConfig | None = None, actor: Actor = SYSTEM) -> dict[str, dict[str, Any]]:
    """Per compound: whistle cases about it taken in during ``period``, complaints among them, closed, closure rate.

    A case is about a compound when its intake names the compound (variable
    ``compound``), its address mentions one of the compound's address keywords,
    or its grid lies in the compound's grids. Cancelled cases do not count.
    """
    config = config or PropertyConfig()
    begin, end = parse_period(period).bounds()
    wanted = set(compounds) if compounds is not None else set(roster.compounds)
    stats = {code: {"cases": 0, "complaints": 0, "closed": 0, "closure_rate": None, "case_ids": []} for code in wanted}
    rows: list[CaseSummary] = []
    intake: dict[str, dict[str, Any]] = {}
    for cases in _cases(engine, actor, WHISTLE_KEY, ("running", "completed"), created_from=begin, created_before=end):
        rows.extend(cases)
        for events in engine.read.iter_events(actor, WHISTLE_KEY, since=begin, actions="start",
                                              instance_ids=[c.id for c in cases]):
            intake.update({e.instance_id: dict(e.variables) for e in events.items})
    for row in rows:
        data = intake.get(row.id, {})
        compound = roster.match(str(data.get("grid") or row.region), str(data.get("address") or ""),
                                data.get("compound"))
        if compound is None or compound.code not in wanted:
            continue
        entry = stats[compound.code]
        entry["cases"] += 1
        if data.get("case_type", "投诉") in config.complaint_types:
            entry["complaints"] += 1
            entry["closed"] += row.status == "completed"
            entry["case_ids"].append(row.id)
    for entry in stats.values():
        entry["closure_rate"] = round(entry["closed"] / entry["complaints"], 4) if entry["complaints"] else None
    return stats


# --- the review's own history ---------------------------------------------------------------


def period_records(engine: Any, actor: Actor = SYSTEM) -> dict[str, dict[str, Any]]:
    """Published periods: code -> ``period_record`` of the latest completed review of that period."""
    records: dict[str, dict[str, Any]] = {}
    for case, record in _with_variable(engine, actor, REVIEW_KEY, "period_record"):
        if record:
            records[str(record["period"])] = {**record, "instance_id": case.id}
    return records


def replacements(engine: Any, actor: Actor = SYSTEM) -> list[dict[str, Any]]:
    """Completed expulsions, oldest first: who replaced whom at which compound."""
    return [{**replacement, "instance_id": case.id}
            for case, replacement in _with_variable(engine, actor, EXPULSION_KEY, "replacement") if replacement]


def probations(engine: Any, actor: Actor = SYSTEM) -> list[dict[str, Any]]:
    """Every probation: company, compound, status (running/completed) and, when finished, its record."""
    found = []
    for cases in _cases(engine, actor, PROBATION_KEY, ("running", "completed")):
        values = engine.read.variables(actor, [c.id for c in cases])
        for case in cases:
            data = values.get(case.id, {})
            found.append({"instance_id": case.id, "status": case.status, "company": data.get("company"),
                          "compound": data.get("compound"), "since": data.get("probation_from") or data.get("since"),
                          "record": data.get("probation_record")})
    return found


def review_entries(engine: Any, roster: Roster, period: str | Period, actor: Actor = SYSTEM) -> dict[str, Any]:
    """Who is reviewed for ``period``: each compound with the company managing it, its previous listing and probation."""
    period = parse_period(period)
    end = period.bounds()[1]
    records = period_records(engine, actor)
    previous = records.get(str(period.previous()))
    previous_by_compound = {e["compound"]: e for e in (previous or {}).get("entries") or ()}
    managers = {code: (c.company, roster.company_name(c.company)) for code, c in roster.compounds.items()}
    for r in replacements(engine, actor):
        if r["compound"] in managers and utc_date_before(r.get("since") or r.get("recorded_at"), end):
            managers[r["compound"]] = (r["new_company"], r["new_company_name"])
    on_probation = {(p["company"], p["compound"]) for p in probations(engine, actor) if p["status"] == "running"}
    entries = []
    for code, compound in roster.compounds.items():
        company, company_name = managers[code]
        before = previous_by_compound.get(code)
        previous_list = NO_RECORD if before is None or before.get("company") != company else before.get("list", NOT_LISTED)
        entries.append({
            "company": company, "company_name": company_name, "compound": code, "compound_name": compound.name,
            "street": compound.street, "community": compound.community, "previous_list": previous_list,
            "previous_score": before.get("score") if before and before.get("company") == company else None,
            "on_probation": (company, code) in on_probation,
        })
    return {"period": str(period), "previous_period": str(period.previous()), "entries": entries}


def utc_date_before(value: Any, end: Any) -> bool:
    """Whether a date or time (ISO text, China time for bare dates) lies before ``end``."""
    from datetime import date, time

    from gongzhi.calendar import CST

    if not value:
        return True
    text = str(value)
    moment = (datetime.combine(date.fromisoformat(text), time(), CST) if len(text) == 10
              else datetime.fromisoformat(text))
    return utc(moment) < end


def company_history(engine: Any, company: str, compound: str | None = None, since: str | None = None,
                    actor: Actor = SYSTEM) -> list[dict[str, Any]]:
    """One row per published period and compound where ``company`` was reviewed, oldest first."""
    rows = []
    for code, record in sorted(period_records(engine, actor).items(), key=lambda kv: parse_period(kv[0]).first_day):
        if since and not utc_date_before(since, parse_period(code).bounds()[1]):
            continue  # the period ended before ``since``
        for entry in sorted(record.get("entries") or (), key=lambda e: str(e.get("compound"))):
            if entry.get("company") == company and (compound is None or entry.get("compound") == compound):
                rows.append({**entry, "period": code, "published_at": record.get("published_at")})
    return rows

