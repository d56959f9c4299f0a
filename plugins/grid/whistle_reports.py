"""The report ``grid-whistles``: per grid, whistles by level, joint handlings and their timeliness, closed.

Read through ``engine.read`` as the reader: a street sees its own communities' grids only. A joint
handling counts once every member has fed back (the members' results come back to the case together).
"""

from __future__ import annotations

from typing import Any

from gongzhi import Actor, Report

from .whistle import LEVELS

__all__ = ["whistle_reports", "whistle_rows"]

COLUMNS = ("grid", "grid_name", "whistles", "self_handled", "joint", "street", "pending", "joint_members",
           "signed_on_time", "arrived_on_time", "sign_rate", "arrive_rate", "closed")
HEADINGS = {"grid_name": "网格", "whistles": "吹哨数", "self_handled": "网格自办", "joint": "四员联动",
            "street": "社区吹哨", "pending": "待确认层级", "joint_members": "联动成员人次",
            "signed_on_time": "按时签收", "arrived_on_time": "按时到场", "sign_rate": "按时签收率",
            "arrive_rate": "按时到场率", "closed": "已办结"}
BY_LEVEL = dict(zip(LEVELS, ("self_handled", "joint", "street")))
NAMES = ("grid", "place", "level", "whistle_round", "joint_results")


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _row(grid: str, name: str) -> dict[str, Any]:
    return {"grid": grid, "grid_name": name, **{c: 0 for c in COLUMNS[2:] if not c.endswith("_rate")}}


def whistle_rows(engine: Any, actor: Actor, grid: str | None = None, **_: Any) -> list[dict[str, Any]]:
    """One row per grid with whistles the reader may see, by grid code."""
    cases = [c for batch in engine.read.iter_cases(actor, "grid_whistle", region=grid or None) for c in batch.items]
    values = engine.read.variables(actor, [c.id for c in cases], list(NAMES))
    rows: dict[str, dict[str, Any]] = {}
    for case in cases:
        v = values.get(case.id) or {}
        place = v.get("place") or {}
        code = place.get("grid") or v.get("grid")
        row = rows.setdefault(code, _row(code, place.get("grid_name") or code))
        row["whistles"] += 1
        confirmed = v.get("level") if v.get("whistle_round") else None  # before the community confirms: a proposal
        row[BY_LEVEL.get(confirmed, "pending")] += 1
        results = list(v.get("joint_results") or ())
        row["joint_members"] += len(results)
        row["signed_on_time"] += sum(1 for r in results if r.get("sign_on_time"))
        row["arrived_on_time"] += sum(1 for r in results if r.get("arrive_on_time"))
        row["closed"] += case.status == "completed"
    return [{**r, "sign_rate": _ratio(r["signed_on_time"], r["joint_members"]),
             "arrive_rate": _ratio(r["arrived_on_time"], r["joint_members"])} for _, r in sorted(rows.items())]


def whistle_reports() -> list[Report]:
    return [Report("grid-whistles", "网格吹哨与四员联动", "每个网格的吹哨数（按处置层级）、四员联动人次、按时签收和到场、已办结",
                   {"grid": "网格（区域编码前缀），如 990101/001/001/01"}, COLUMNS, whistle_rows,
                   scope=lambda actor, params: params, headings=HEADINGS,
                   percents=frozenset({"sign_rate", "arrive_rate"}))]
