"""Escalation targets (考核目标): running figures against the DMN ``whistle_targets``, one alert per breach.

**What is checked.** The figures of the department and street reports (``reports.py``) for the
*current calendar month to date* (China time) — the period the monthly assessment files, so an
alert says what the month's report will say if nothing changes. A rolling window was not chosen:
its figures would match no report anyone files. For each department (district-wide) and each
street, every figure that ``whistle_targets`` gives a target for (input ``level`` 部门/街道 and
``figure``, the report's column) is judged once it rests on at least ``min_sample`` cases (the
figure's own denominator): below ``target`` is a breach. A street's own table (deployed for its
region) decides for that street; departments are judged by the district's table.

**Once per breach.** A breach is a running instance of ``whistle_target_alert`` (business key
``target:<month>:<level>:<unit>:<figure>:<n>``): starting it sends the notice (its
``whistle.notify`` service task, so the notice goes through the outbox and the notify channel like
every other kind), and it waits for ``whistle_target_recovered``. While it runs, later checks send
nothing. A figure back at or above its target ends it (the message); a later drop is breach n+1.
A new month ends the earlier months' breaches (outcome 月份结束): each month is judged afresh.
A figure that lacks its sample is not judged and leaves a breach as it is. Two checks racing for
the same breach are serialised by a claim on its key (``engine.claims``): one starts it.

**When.** ``whistle_target_watch`` (a cycle timer, hourly or daily, on the background worker)
runs ``whistle.check_targets``; ``check_targets`` is the Python API and the admin action
``whistle-targets-check`` its HTTP form.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping

from gongzhi import SYSTEM, Actor, AdminAction, InvalidInput, NotAllowed, ServiceCall, ServiceTask
from gongzhi.calendar import CST
from gongzhi.humanize import percent

from .reports import department_report, period_bounds, street_report

__all__ = ["Target", "Verdict", "CheckResult", "DECISION", "ALERT_PROCESS", "RECOVERED", "targets_in_force",
           "judge", "annotate", "check_targets", "open_breaches"]

DECISION = "whistle_targets"
ALERT_PROCESS = "whistle_target_alert"
RECOVERED = "whistle_target_recovered"
CLAIM_OWNER = "whistle-targets"
LEVELS = {"部门": "dept", "街道": "street"}  # level -> its short code in business keys
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

# Each figure's denominator: how many cases a ratio rests on (the sample a target needs).
SAMPLES: dict[str, Callable[[Mapping[str, Any]], int]] = {
    "response_rate": lambda r: int(r.get("dispatched") or 0),
    "on_time_sign_rate": lambda r: int(r.get("dispatched") or 0),
    "closure_rate": lambda r: int(r.get("dispatched") or 0) - int(r.get("returns_upheld") or 0),
    "on_time_closure_rate": lambda r: int(r.get("handled") or 0),
    "resolution_rate": lambda r: int(r.get("followed_up") or 0),
    "satisfaction_rate": lambda r: int(r.get("followed_up") or 0),
    "case_closure_rate": lambda r: int(r.get("cases") or 0),
}


@dataclass(frozen=True)
class Target:
    """One row of ``whistle_targets``: ``figure`` must reach ``target`` once ``min_sample`` cases count."""

    figure: str
    label: str
    target: float
    min_sample: int
    alert_group: str


@dataclass(frozen=True)
class Verdict:
    """One unit's figure against its target (``judged``: enough cases to say)."""

    level: str
    unit: str
    unit_name: str
    figure: str
    label: str
    value: float | None
    target: float
    sample: int
    min_sample: int
    alert_group: str

    @property
    def judged(self) -> bool:
        return self.value is not None and self.sample >= self.min_sample

    @property
    def breached(self) -> bool:
        return self.judged and self.value < self.target  # type: ignore[operator]

    def text(self, month: str) -> str:
        """The notice people read: “12月份 生态环境分局 办结率 96%，低于目标 98%”."""
        return f"{int(month[5:])}月份 {self.unit_name} {self.label} {percent(self.value)}，低于目标 {percent(self.target)}"

    def shown(self) -> str:
        return f"{self.label} {percent(self.value)}（目标 {percent(self.target)}）"


@dataclass
class CheckResult:
    """What one check did: the breaches it opened (alerted) and closed, and those still open."""

    month: str
    opened: list[dict[str, Any]]
    closed: list[dict[str, Any]]
    still_open: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- targets and verdicts -------------------------------------------------------------


def targets_in_force(engine: Any, level: str, region: str = "", at: datetime | None = None) -> list[Target]:
    """The targets ``whistle_targets`` gives ``level`` for each figure, in the table in force for
    ``region`` (a street's own first) at ``at`` (a past period's end; default now)."""
    at = min(at, engine.clock.now()) if at is not None else None
    found = []
    for figure in SAMPLES:
        outcome = engine.evaluate_decision(DECISION, {"level": level, "figure": figure}, region=region, at=at)
        row = outcome.get("result")
        if isinstance(row, Mapping) and row.get("target") is not None:
            found.append(Target(figure, str(row["label"]), float(row["target"]), int(row.get("min_sample") or 1),
                                str(row["alert_group"])))
    return found


def judge(row: Mapping[str, Any], level: str, targets: Iterable[Target]) -> list[Verdict]:
    """Each target's verdict on one report row."""
    unit = str(row["department"] if level == "部门" else row["street"])
    name = str(row.get("department_name") if level == "部门" else row.get("street_name") or unit)
    return [Verdict(level, unit, name, t.figure, t.label, row.get(t.figure), t.target, SAMPLES[t.figure](row),
                    t.min_sample, t.alert_group) for t in targets]


def annotate(engine: Any, rows: list[dict[str, Any]], level: str, street: str | None = None,
             until: datetime | None = None) -> list[dict[str, Any]]:
    """The report rows with 是否达标 (``target_status``) and 未达标指标 (``target_breaches``) added.

    Department rows use the table in force for ``street`` (the district's without); street rows
    their own street's."""
    cache: dict[str, list[Target]] = {}
    for row in rows:
        region = (street or "") if level == "部门" else str(row["street"])
        if region not in cache:
            cache[region] = targets_in_force(engine, level, region, until)
        verdicts = judge(row, level, cache[region])
        breaches = [v.shown() for v in verdicts if v.breached]
        row["target_breaches"] = "；".join(breaches)
        row["target_status"] = ("未达标" if breaches else "达标" if any(v.judged for v in verdicts)
                                else "样本不足" if verdicts else "未设目标")
    return rows


# --- the check ------------------------------------------------------------------------------


def check_targets(engine: Any, *, month: str | None = None, level: str | None = None, actor: Actor = SYSTEM,
                  names: Mapping[str, str] | None = None, region_of_district: str = "") -> CheckResult:
    """Judge every department and street for ``month`` (default: this month) and open or close breaches.

    ``level``: 部门, 街道 or 全部 (default). Only an admin (or ``SYSTEM``) checks: the figures are
    the whole district's. Bad parameters raise ``InvalidInput`` before anything is written."""
    if not actor.is_admin:
        raise NotAllowed("只有管理员可以检查考核目标", permission="admin")
    month, levels = _checked_params(engine, month, level)
    _, end = period_bounds(month=month)
    open_now = open_breaches(engine, since=None)
    opened: list[dict[str, Any]] = []
    closed: list[dict[str, Any]] = []
    for lvl in levels:
        for verdict in _verdicts(engine, lvl, month, end, names):
            base = _base_key(month, verdict)
            if verdict.breached and base not in open_now:
                started = _open(engine, month, verdict, base, region_of_district)
                if started:
                    opened.append(started)
            elif verdict.judged and not verdict.breached and base in open_now:
                closed.append(_close(engine, open_now.pop(base), "恢复达标", verdict.value))
    for base in list(open_now):  # an earlier month's breach: that month is over, each month is judged afresh
        if base.split(":")[1] < month and base.split(":")[2] in {LEVELS[lvl] for lvl in levels}:
            closed.append(_close(engine, open_now.pop(base), "月份结束", None))
    still = [{"business_key": c["business_key"], "instance_id": c["instance_id"]} for c in open_now.values()]
    return CheckResult(month, opened, closed, still)


def _checked_params(engine: Any, month: str | None, level: str | None) -> tuple[str, list[str]]:
    current = engine.clock.now().astimezone(CST).strftime("%Y-%m")
    month = current if month in (None, "") else str(month)
    errors = []
    if not _MONTH.match(month):
        errors.append({"field": "month", "message": "月份写作 YYYY-MM，如 2026-12"})
    elif month > current:
        errors.append({"field": "month", "message": f"不能检查尚未开始的月份（本月是 {current}）"})
    level = level or "全部"
    if level not in (*LEVELS, "全部"):
        errors.append({"field": "level", "message": "考核对象为 部门、街道 或 全部"})
    if errors:
        raise InvalidInput("考核目标检查的参数无效", errors=errors)
    return month, list(LEVELS) if level == "全部" else [level]


def _verdicts(engine: Any, level: str, month: str, end: datetime, names: Mapping[str, str] | None) -> list[Verdict]:
    if level == "部门":
        targets = targets_in_force(engine, level, "", end)
        rows = department_report(engine, names=names, month=month)
        return [v for row in rows for v in judge(row, level, targets)]
    found = []
    for row in street_report(engine, names=names, month=month):
        found += judge(row, level, targets_in_force(engine, level, row["street"], end))
    return found


def _base_key(month: str, verdict: Verdict) -> str:
    return f"target:{month}:{LEVELS[verdict.level]}:{verdict.unit}:{verdict.figure}"


def open_breaches(engine: Any, since: datetime | None = None) -> dict[str, dict[str, Any]]:
    """The breaches open now (running alert instances), by key without the breach number."""
    found: dict[str, dict[str, Any]] = {}
    for batch in engine.read.iter_cases(SYSTEM, ALERT_PROCESS, status="running", created_from=since):
        for case in batch.items:
            if case.business_key and case.business_key.startswith("target:"):
                found[case.business_key.rpartition(":")[0]] = {"business_key": case.business_key,
                                                               "instance_id": case.id}
    return found


def _open(engine: Any, month: str, verdict: Verdict, base: str, district: str) -> dict[str, Any] | None:
    """Start the breach's alert instance, once: the claim on its key lets one racing check win."""
    begin, _ = period_bounds(month=month)
    earlier = sum(1 for batch in engine.read.iter_cases(SYSTEM, ALERT_PROCESS, created_from=begin)
                  for c in batch.items if (c.business_key or "").rpartition(":")[0] == base)
    key = f"{base}:{earlier + 1}"
    claim = engine.claims.claim(CLAIM_OWNER, key, "target_breach", key)
    if not claim.owned:
        return None  # another check opened (or is opening) this very breach
    try:
        variables = {**asdict(verdict), "month": month, "alert_text": verdict.text(month),
                     "value_text": percent(verdict.value), "target_text": percent(verdict.target)}
        region = verdict.unit if verdict.level == "街道" else district
        case = engine.start(ALERT_PROCESS, SYSTEM, variables, business_key=key, region=region)
    except Exception:
        engine.claims.release(CLAIM_OWNER, key)
        raise
    engine.claims.finish(CLAIM_OWNER, key, 201, case.id)
    return {"business_key": key, "instance_id": case.id, "text": variables["alert_text"],
            "alert_group": verdict.alert_group}


def _close(engine: Any, case: Mapping[str, Any], outcome: str, value: float | None) -> dict[str, Any]:
    engine.correlate(RECOVERED, SYSTEM, {"outcome": outcome, "value": value}, business_key=case["business_key"])
    return {**case, "outcome": outcome}


# --- wiring ------------------------------------------------------------------------------------


def names_of_directory(directory: Any) -> dict[str, str]:
    """Department codes and street paths -> Chinese names (what the reports show)."""
    return {**{code: dept.name for code, dept in directory.departments.items()},
            **{u.path: u.name for u in directory.streets()}}


def check_task(directory: Callable[[], Any]) -> ServiceTask:
    """``whistle.check_targets``: the periodic check (asynchronous in ``whistle_target_watch``)."""

    def run(call: ServiceCall) -> dict[str, Any]:
        if call.engine is None:
            raise RuntimeError("whistle.check_targets 需要引擎读取报表并发起预警，但调用方没有提供引擎")
        d = directory()
        result = check_targets(call.engine, level=str(call.params.get("level") or "全部"),
                               names=names_of_directory(d), region_of_district=d.district.path)
        return {"month": result.month, "opened": len(result.opened), "closed": len(result.closed),
                "still_open": len(result.still_open)}

    return ServiceTask("whistle.check_targets", run, "检查各部门、各街道本月考核指标是否低于目标，未达标时预警")


def check_action(directory: Callable[[], Any]) -> AdminAction:
    """``POST /api/v1/admin-actions/whistle-targets-check``: the same check, on demand."""

    def run(engine: Any, actor: Actor, month: Any = None, level: Any = None) -> dict[str, Any]:
        for field, value in (("month", month), ("level", level)):
            if value is not None and not isinstance(value, str):
                raise InvalidInput("考核目标检查的参数无效", errors=[{"field": field, "message": "须为字符串"}])
        d = directory()
        return check_targets(engine, month=month, level=level, actor=actor, names=names_of_directory(d),
                             region_of_district=d.district.path).as_dict()

    return AdminAction("whistle-targets-check", "检查考核目标",
                       "按决策表“考核目标”（whistle_targets）检查各部门、各街道某月（默认本月至今）的指标；"
                       "新低于目标的发出预警（每次未达标一次），恢复达标的结束该次未达标。返回本次发起、结束和仍在进行的未达标",
                       {"month": "月份 YYYY-MM（默认本月，不能是以后的月份）", "level": "考核对象：部门、街道或全部（默认）"}, run)
