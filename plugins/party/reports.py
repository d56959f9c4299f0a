"""Year-end 双报到 reports (通报所在单位): per registrant and per unit, region-scoped.

========================  =========================================================
``party-members``          ``year``; ``community`` (region path, optional): each confirmed
                           registrant's services, commitments (DMN 双报到年度承诺), whether
                           they were met, what fell short and the points (DMN 党员服务积分,
                           capped by 党员积分年度上限)
``party-units``            ``year``; ``community``: per 所在单位 — registrants, how many met
                           their commitments, who fell short (names masked without pii)
========================  =========================================================
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from gongzhi import Actor, InvalidInput, NotAllowed, Report

from .records import Registration, Service, registrations, services

__all__ = ["reports", "member_rows", "unit_rows", "MEMBER_COLUMNS", "UNIT_COLUMNS", "scope"]

MEMBER_COLUMNS = ("year", "member", "name", "registrant_type", "work_unit", "community", "volunteer_done",
                  "volunteer_required", "solved_done", "solved_required", "met", "shortfall", "points")
UNIT_COLUMNS = ("year", "work_unit", "registrants", "met", "fell_short", "short_names", "points")
MEMBER_HEADINGS = {"year": "年度", "name": "姓名或单位党组织", "registrant_type": "报到类型", "work_unit": "所在单位",
                   "community": "报到社区", "volunteer_done": "志愿服务（次）", "volunteer_required": "应参加志愿服务（次）",
                   "solved_done": "解决实际困难（个）", "solved_required": "应解决实际困难（个）", "met": "完成年度承诺",
                   "shortfall": "未完成事项", "points": "积分"}
UNIT_HEADINGS = {"year": "年度", "work_unit": "所在单位", "registrants": "报到人数", "met": "完成承诺人数",
                 "fell_short": "未完成人数", "short_names": "未完成名单", "points": "积分合计"}
_PARAMS = {"year": "年度，如 2026", "community": "只统计某社区或街道（区域路径），默认本人管辖范围"}


def _year(params: dict[str, Any]) -> int:
    text = str(params.get("year") or "").strip()
    if not text.isdigit() or not 2000 <= int(text) <= 2100:
        raise InvalidInput("年度须为四位数字，如 2026", errors=[{"field": "year", "message": "四位数字的年度"}])
    return int(text)


def scope(actor: Any, params: dict[str, Any]) -> dict[str, Any]:
    """An actor sees the registrants inside their own region; a narrower ``community`` is allowed."""
    region = (actor.region or "").strip("/")
    if not region:
        raise NotAllowed("没有管辖区域，不能查看双报到统计")
    asked = str(params.get("community") or "").strip("/")
    if asked and asked != region and not asked.startswith(region + "/"):
        raise NotAllowed("只能查看本人管辖范围内的双报到统计", community=asked)
    params["community"] = asked or region
    return params


class _Rules:
    """The DMN answers a report needs, each asked once per (decision, input, region)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.cache: dict[tuple[Any, ...], Any] = {}

    def ask(self, decision: str, inputs: dict[str, Any], region: str) -> Any:
        key = (decision, tuple(sorted(inputs.items())), region)
        if key not in self.cache:
            self.cache[key] = self.engine.evaluate_decision(decision, inputs, region=region)["result"]
        return self.cache[key]


def _row(reg: Registration, done: list[Service], rules: _Rules) -> dict[str, Any]:
    wanted = rules.ask("party_commitments", {"registrant_type": reg.registrant_type}, reg.community)
    volunteer = sum(1 for s in done if s.kind == "志愿服务")
    solved = sum(1 for s in done if s.kind == "解决困难")
    points = sum(int(rules.ask("party_service_points", {"kind": s.kind}, reg.community)) for s in done)
    cap = int(rules.ask("party_points_cap", {"registrant_type": reg.registrant_type}, reg.community))
    short = []
    if volunteer < wanted["volunteer_services"]:
        short.append(f"志愿服务差 {wanted['volunteer_services'] - volunteer} 次")
    if solved < wanted["problems_solved"]:
        short.append(f"解决实际困难差 {wanted['problems_solved'] - solved} 个")
    return {"year": reg.year, "member": reg.member, "name": reg.name, "registrant_type": reg.registrant_type,
            "work_unit": reg.work_unit, "community": reg.community, "volunteer_done": volunteer,
            "volunteer_required": wanted["volunteer_services"], "solved_done": solved,
            "solved_required": wanted["problems_solved"], "met": not short, "shortfall": "；".join(short) or "无",
            "points": min(points, cap)}


def member_rows(engine: Any, actor: Actor, year: Any, community: str | None = None, **_: Any) -> list[dict[str, Any]]:
    """One row per confirmed registrant of ``year``: services done against the commitments, and points."""
    number = _year({"year": year})
    regs = registrations(engine, actor, number, community or None)
    by_member: dict[str, list[Service]] = defaultdict(list)
    if regs:
        for service in services(engine, actor, number):
            by_member[service.member].append(service)
    rules = _Rules(engine)
    rows = [_row(reg, by_member.get(reg.member, []), rules) for reg in regs]
    return sorted(rows, key=lambda r: (r["work_unit"], r["met"], r["name"]))


def unit_rows(engine: Any, actor: Actor, year: Any, community: str | None = None, **_: Any) -> list[dict[str, Any]]:
    """One row per 所在单位: how its registrants did, and who fell short (通报所在单位)."""
    units: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in member_rows(engine, actor, year, community):
        units[row["work_unit"]].append(row)
    out = []
    for unit, rows in sorted(units.items()):
        short = [r["name"] for r in rows if not r["met"]]
        out.append({"year": rows[0]["year"], "work_unit": unit, "registrants": len(rows), "met": len(rows) - len(short),
                    "fell_short": len(short), "short_names": "、".join(short) or "无",
                    "points": sum(r["points"] for r in rows)})
    return out


def reports() -> list[Report]:
    return [
        Report("party-members", "双报到年度履职情况（按报到人）",
               "每名在职党员（或单位党组织）本年度到社区参加志愿服务、解决实际困难的次数，与年度承诺比较，并计党员积分",
               _PARAMS, MEMBER_COLUMNS, member_rows, scope=scope, headings=MEMBER_HEADINGS,
               named=frozenset({"community"})),
        Report("party-units", "双报到年度履职通报（按所在单位）",
               "按所在单位汇总报到人完成年度承诺的情况，列出未完成的报到人，供通报所在单位党组织",
               _PARAMS, UNIT_COLUMNS, unit_rows, scope=scope, headings=UNIT_HEADINGS),
    ]
