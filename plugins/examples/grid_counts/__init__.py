"""各网格案件数: a third-party report plugin written only from the README's "Writing a report plugin".

It counts one process's cases per grid (the region each case is filed under) for
a month, from the engine's public read model (``engine.read``), and imports
nothing but ``gongzhi``'s public names. A street officer sees their own street's
grids; an admin sees every grid, or one street's with ``region``.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timezone
from typing import Any

from gongzhi import Actor, InvalidInput, NotAllowed, Report, hookimpl
from gongzhi.calendar import CST

__all__ = ["plugin", "GridCountsPlugin", "cases_per_grid"]

PARAMS = {"process": "流程键，如 whistle_dispatch", "month": "月份 YYYY-MM（按立案时间，北京时间）",
          "region": "只统计某区域（路径）之下的网格"}
COLUMNS = ("grid", "grid_name", "cases", "open", "closed", "cancelled", "closure_rate")
HEADINGS = {"grid_name": "网格", "cases": "案件数", "open": "办理中", "closed": "已办结", "cancelled": "已撤销",
            "closure_rate": "办结率"}


def _month(value: Any) -> tuple[datetime, datetime]:
    try:
        year, month = (int(p) for p in str(value).split("-"))
        first, after = date(year, month, 1), date(year + (month == 12), month % 12 + 1, 1)
    except (TypeError, ValueError):
        raise InvalidInput("参数 month 应为 YYYY-MM，例如 2026-11",
                           errors=[{"field": "month", "message": "YYYY-MM"}]) from None
    return (datetime.combine(first, time(), CST).astimezone(timezone.utc),
            datetime.combine(after, time(), CST).astimezone(timezone.utc))


def cases_per_grid(engine: Any, actor: Actor, process: str = "", month: str = "",
                   region: str | None = None) -> list[dict[str, Any]]:
    """One row per grid with cases of ``process`` filed in ``month``, as ``actor`` may see them
    (``closure_rate``: completed / all, cancelled included)."""
    if not process:
        raise InvalidInput("参数 process 必填（流程键）", errors=[{"field": "process", "message": "required"}])
    begin, end = _month(month)
    counts: dict[str, Counter] = {}
    for batch in engine.read.iter_cases(actor, process, created_from=begin, created_before=end, region=region):
        for case in batch.items:
            counts.setdefault(case.region, Counter())[case.status] += 1
    return [{"grid": grid, "grid_name": grid, "cases": sum(c.values()), "open": c["running"],
             "closed": c["completed"], "cancelled": c["cancelled"],
             "closure_rate": round(c["completed"] / sum(c.values()), 4)} for grid, c in sorted(counts.items())]


def own_region(actor: Actor, params: dict[str, Any]) -> dict[str, Any]:
    """A non-admin counts the grids under their own region only."""
    if not actor.region:
        raise NotAllowed("没有管辖区域，不能查看网格统计")
    asked = (params.get("region") or "").strip("/")
    if asked and asked != actor.region and not asked.startswith(actor.region + "/"):
        raise NotAllowed(f"只能查看本辖区（{actor.region}）的网格", region=asked)
    params["region"] = asked or actor.region
    return params


class GridCountsPlugin:
    @hookimpl
    def gongzhi_register_reports(self) -> list[Report]:
        return [Report("grid-counts", "各网格案件数", "某流程某月立案的案件，按网格统计办理中、已办结与已撤销的件数",
                       PARAMS, COLUMNS, cases_per_grid, scope=own_region, headings=HEADINGS,
                       percents=frozenset({"closure_rate"}), named=frozenset({"grid_name"}))]


plugin = GridCountsPlugin()
