"""Reports on grid visits and mobilisation, read through ``engine.read`` as the reader may see them.

========================  =============================================================
``grid-visits``           per grid member and round: targets, visited, findings, cases
                          opened, coverage; ``grid`` (a region prefix), ``member``
``grid-visit-grids``      per grid and round: members, targets, visited, coverage
``grid-mobilisation``     per micro-grid of a mobilisation: households, reached,
                          coverage, status — while it runs and after; ``mobilisation``
                          (the ``grid_mobilisation`` case), ``community``
========================  =============================================================
"""

from __future__ import annotations

from typing import Any, Iterable

from gongzhi import Actor, InvalidInput, Report
from gongzhi.humanize import name_of

__all__ = ["reports", "visit_rows", "grid_rows", "mobilisation_rows"]

VISIT_COLUMNS = ("round_started", "grid", "grid_name", "member", "member_group", "member_name", "targets", "visited",
                 "findings", "cases", "coverage", "status")
GRID_COLUMNS = ("round_started", "grid", "grid_name", "members", "targets", "visited", "findings", "cases", "coverage")
MOBILISATION_COLUMNS = ("mobilisation", "subject", "micro_grid", "micro_grid_name", "member_group", "member_name",
                        "households", "reached", "coverage", "status", "deadline")
HEADINGS = {"round_started": "走访轮次开始", "grid_name": "网格", "member_name": "网格员", "members": "网格员人数",
            "targets": "应走访", "visited": "已走访", "findings": "发现问题", "cases": "立案", "coverage": "走访覆盖率",
            "status": "状态", "subject": "动员事项", "micro_grid_name": "微网格", "households": "户数",
            "reached": "已入户", "deadline": "完成时限"}
MOBILISATION_HEADINGS = {**HEADINGS, "coverage": "入户覆盖率"}
STATUS = {"running": "进行中", "completed": "已完成", "cancelled": "已取消"}


def _cases(engine: Any, actor: Actor, key: str, region: str | None) -> list[Any]:
    return [case for batch in engine.read.iter_cases(actor, key, region=region or None) for case in batch.items]


def _person(group: Any) -> str | None:
    """A grid member's masked name (网格员郑**) beside the group code: the console and the exports show the name."""
    return name_of(group) if group else None


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _check_member(engine: Any, grid: str | None, member: str) -> None:
    from gongzhi.grid import of

    person = of(engine).members.get(member)
    if person is None:
        raise InvalidInput(f"网格员 {member} 不在网格目录中", errors=[{"field": "member", "message": "未知网格员"}])
    if grid and not any(a.grid == grid.strip("/") or a.grid.startswith(grid.strip("/") + "/") for a in person.assignments):
        raise InvalidInput(f"网格员 {member} 不在网格 {grid} 任职", errors=[{"field": "member", "message": "不在该网格"}])


def visit_rows(engine: Any, actor: Actor, grid: str | None = None, member: str | None = None, **_: Any) -> list[dict[str, Any]]:
    """One row per grid member and round, oldest round first."""
    if member:
        _check_member(engine, grid, str(member))
    cases = _cases(engine, actor, "grid_visit", grid)
    values = engine.read.variables(actor, [c.id for c in cases], ["round_started", "grid", "grid_name", "member", "member_group",
                                                                     "targets", "visited", "cases"])
    rows = []
    for case in cases:
        v = values.get(case.id) or {}
        if member and v.get("member") != member:
            continue
        targets, visited = len(v.get("targets") or ()), list(v.get("visited") or ())
        rows.append({"round_started": v.get("round_started"), "grid": v.get("grid"), "grid_name": v.get("grid_name"),
                     "member": v.get("member"), "member_group": v.get("member_group"),
                     "member_name": _person(v.get("member_group")), "targets": targets,
                     "visited": len(visited), "findings": sum(1 for x in visited if x.get("found")),
                     "cases": len(v.get("cases") or ()), "coverage": _ratio(len(visited), targets),
                     "status": STATUS.get(case.status, case.status)})
    return rows


def grid_rows(engine: Any, actor: Actor, grid: str | None = None, **_: Any) -> list[dict[str, Any]]:
    """The member rows summed per grid and round."""
    totals: dict[tuple[Any, Any], dict[str, Any]] = {}
    for row in visit_rows(engine, actor, grid):
        key = (row["round_started"], row["grid"])
        total = totals.setdefault(key, {"round_started": row["round_started"], "grid": row["grid"], "grid_name": row["grid_name"],
                                        "members": 0, "targets": 0, "visited": 0, "findings": 0, "cases": 0})
        total["members"] += 1
        for name in ("targets", "visited", "findings", "cases"):
            total[name] += row[name]
    return [{**t, "coverage": _ratio(t["visited"], t["targets"])} for t in totals.values()]


def mobilisation_rows(engine: Any, actor: Actor, mobilisation: str | None = None, community: str | None = None,
                      **_: Any) -> list[dict[str, Any]]:
    """One row per micro-grid task of the mobilisations under ``community`` (or of one ``mobilisation``)."""
    cases = _cases(engine, actor, "grid_mobilisation_micro", community)
    values = engine.read.variables(actor, [c.id for c in cases], ["mobilisation", "subject", "micro_grid",
                                                                     "micro_grid_name", "member_group", "households",
                                                                     "confirmed", "status", "deadline"])
    rows = []
    for case in cases:
        v = values.get(case.id) or {}
        if mobilisation and v.get("mobilisation") != mobilisation:
            continue
        households = int(v.get("households") or 0)
        reached = int((v.get("confirmed") or {}).get("reached_count") or 0)
        rows.append({"mobilisation": v.get("mobilisation"), "subject": v.get("subject"), "micro_grid": v.get("micro_grid"),
                     "micro_grid_name": v.get("micro_grid_name"), "member_group": v.get("member_group"),
                     "member_name": _person(v.get("member_group")),
                     "households": households, "reached": reached, "coverage": _ratio(reached, households),
                     "status": v.get("status") or "待确认", "deadline": v.get("deadline")})
    return sorted(rows, key=lambda r: (str(r["mobilisation"]), str(r["micro_grid"])))


def _scoped(actor: Actor, params: dict[str, Any]) -> dict[str, Any]:
    """Any reader: the reads keep to the cases the actor's regions hold."""
    return params


def _report(name: str, title: str, description: str, params: dict[str, str], columns: Iterable[str], compute: Any,
            headings: dict[str, str]) -> Report:
    return Report(name, title, description, params, tuple(columns), compute, scope=_scoped,
                  headings={k: v for k, v in headings.items() if k in columns},
                  percents=frozenset({"coverage"}))


def reports() -> list[Report]:
    grid = {"grid": "网格（区域编码前缀），如 990101/001/001/01"}
    return [
        _report("grid-visits", "网格员走访覆盖", "每名网格员每轮走访：应走访、已走访、发现问题、立案数和覆盖率",
                {**grid, "member": "网格员编号（只看这一人）"}, VISIT_COLUMNS, visit_rows, HEADINGS),
        _report("grid-visit-grids", "网格走访覆盖", "每个网格每轮走访：网格员人数、应走访、已走访、发现问题、立案数和覆盖率",
                grid, GRID_COLUMNS, grid_rows, HEADINGS),
        _report("grid-mobilisation", "入户组织动员进度", "各微网格的户数、已入户户数和覆盖率，动员进行中即可查看",
                {"mobilisation": "入户组织动员案件编号", "community": "社区（区域编码前缀）"}, MOBILISATION_COLUMNS,
                mobilisation_rows, MOBILISATION_HEADINGS),
    ]
