"""Service-task operators of the grid whistle (``bpmn/grid/grid_whistle.bpmn``, 网格吹哨与四员联动).

- ``grid.whistle_check``: the grid, the whistling member (who must hold a role on it or its micro-grids)
  and, when given, the point (which must lie in that grid);
- ``grid.whistle_level``: the community's level checked against the levels the DMN proposes; a changed
  level needs a reason;
- ``grid.joint_team``: the 四员 of the grid by the directory's roles (the whistling member is the 网格员);
- ``grid.whistle_up`` (asynchronous): the community whistles to the street — a ``whistle_dispatch`` case,
  intake prefilled, so the street whistles departments (部门报到);
- ``grid.street_progress``: whether that case has ended (closed or cancelled) and how, read-only.
"""

from __future__ import annotations

from typing import Any

from gongzhi import SYSTEM, InvalidInput, ServiceCall, ServiceTask
from gongzhi.grid import GridDirectory, Member
from gongzhi.grid import of as grid_of

from .services import _start, member_group

__all__ = ["LEVELS", "JOINT_ROLES", "check_member", "whistle_place", "check_level", "joint_team", "street_intake",
           "street_outcome", "whistle_service_tasks"]

LEVELS = ("网格自办", "四员联动", "社区吹哨")  # the outputValues of grid_whistle_routing (a test keeps them equal)
MEMBER_ROLE = "网格员"  # in the DMN's role list: the member who whistled
JOINT_ROLES = {"网格警务": "police", "网格法律": "legal", "网格卫生": "health"}

def _bad(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, errors=[{"field": field, "message": message}])

def _grid(grids: GridDirectory, code: Any) -> Any:
    unit = grids.unit(str(code or ""))
    if unit is None:
        raise _bad("grid", f"网格编码“{code}”不在网格目录中")
    if unit.level != "grid":
        raise _bad("grid", f"“{unit.name}”不是网格")
    return unit

def _serves(person: Member, grid: str) -> bool:
    return any(a.grid == grid or a.grid.startswith(grid + "/") for a in person.assignments)

def check_member(grids: GridDirectory, text: str) -> str:
    """The form format ``grid-member``: a person of the grid directory (ValueError naming it otherwise)."""
    if grids.members.get(text) is None:
        raise ValueError(f"网格员 {text} 不在网格目录中")
    return text


def whistle_place(grids: GridDirectory, grid: Any, member: Any, lon: Any = None, lat: Any = None,
                  started_by: Any = None) -> dict[str, Any]:
    """Where the whistle is blown and by whom; a member of another grid, a point outside it, or a whistle
    started by someone else than the member (``started_by``, set by the engine; an admin — an integration
    acting for the member — may) is refused."""
    unit = _grid(grids, grid)
    person = grids.members.get(str(member or ""))
    if person is None:
        raise _bad("member", f"网格员 {member} 不在网格目录中")
    if isinstance(started_by, dict) and not started_by.get("admin") and started_by.get("id") != person.id:
        raise _bad("member", "只能由网格员本人吹哨：吹哨网格员须是发起吹哨的登录账号本人")
    if not _serves(person, unit.path):
        raise _bad("member", f"网格员 {person.id} 不在“{unit.name}”任职，不能为该网格吹哨")
    place = {"grid": unit.path, "grid_name": unit.name, "community": unit.parent,
             "community_name": grids.units[unit.parent].name, "member": person.id,
             "member_group": member_group(person.id), "lon": None, "lat": None, "located": None, "located_by": None}
    if lon is not None or lat is not None:
        found = grids.locate_point(lon, lat)
        if not any(g.path == unit.path for g in found.grids):
            raise _bad("lon", f"坐标不在“{unit.name}”内（{found.method_name}：{grids.units[found.region].name}）")
        place.update(lon=float(lon), lat=float(lat), located=found.region, located_by=found.method_name)
    return place

def check_level(proposed: Any, level: Any, reason: Any) -> dict[str, Any]:
    """The level the community settled on; changing the proposal needs a reason (kept in the record)."""
    if level not in LEVELS:
        raise _bad("level", f"处置层级“{level}”无效，应为{'、'.join(LEVELS)}之一")
    changed = level != proposed
    text = str(reason or "").strip()
    if changed and not text:
        raise _bad("reason", f"把建议的“{proposed}”改为“{level}”，须说明理由")
    return {"proposed": proposed, "level": level, "changed": changed, "reason": text or None}

def _holder(grids: GridDirectory, grid: str, role: str) -> Member | None:
    holders = [p for p in grids.members_of(grid) if any(a.grid == grid and a.role == role for a in p.assignments)]
    return min(holders, key=lambda p: p.id) if holders else None

def joint_team(grids: GridDirectory, grid: Any, member: Any, roles: Any) -> dict[str, Any]:
    """One teammate per role: the whistling member as 网格员, the grid's holder of each other role.
    A role nobody holds on the grid is listed in ``missing`` (the community is told in the case)."""
    unit = _grid(grids, grid)
    names = [r.strip() for r in str(roles or "").split(",") if r.strip()]
    unknown = [r for r in names if r != MEMBER_ROLE and r not in JOINT_ROLES]
    if not names or unknown:
        raise _bad("roles", f"联动角色“{roles}”无效")
    members, missing = [], []
    for name in names:
        person = grids.members.get(str(member)) if name == MEMBER_ROLE else _holder(grids, unit.path, JOINT_ROLES[name])
        if person is None:
            missing.append(name)
            continue
        if any(m["member"] == person.id for m in members):  # one person holding two roles handles once
            continue
        members.append({"member": person.id, "member_group": member_group(person.id), "role_name": name})
    if not any(m["role_name"] != MEMBER_ROLE for m in members):
        raise _bad("grid", f"“{unit.name}”没有网格警务、网格法律或网格卫生人员，无法四员联动")
    return {"members": members, "missing": missing}

def street_intake(grids: GridDirectory, p: dict[str, Any]) -> dict[str, Any]:
    """The whistle start form (bpmn/whistle/forms/intake.json) filled from the grid whistle."""
    unit = _grid(grids, p.get("grid"))
    person = grids.members.get(str(p.get("member")))
    if person is None:
        raise _bad("member", f"网格员 {p.get('member')} 不在网格目录中")
    resident = bool(p.get("reporter_name") and p.get("reporter_mobile"))
    reason = f"（社区改定理由：{p['reason']}）" if p.get("reason") else ""
    return {"channel": "网格员上报", "category_l1": p.get("category") or "其他", "category_l2": "网格吹哨",
            "category_l3": "社区吹哨", "case_type": "诉求", "description": f"【网格吹哨】{p['subject']}：{p['description']}{reason}",
            "address": p.get("address") or unit.name, "grid": unit.path,
            "reporter_name": p["reporter_name"] if resident else person.name,
            "reporter_mobile": p["reporter_mobile"] if resident else "".join(ch for ch in person.phone if ch.isdigit()),
            "urgency": p.get("urgency") or "一般", "emergency": "无"}

def street_outcome(status: str, record: dict[str, Any] | None) -> dict[str, Any]:
    """What the community reads of the street's case: ended or not, and its result in words."""
    if status == "cancelled":
        return {"closed": True, "outcome": "街道案件已撤销"}
    if status != "completed":
        return {"closed": False, "outcome": "街道办理中"}
    resolved = (record or {}).get("resolved")
    return {"closed": True, "outcome": f"街道已办结（{resolved}）" if resolved else "街道已办结"}


def whistle_service_tasks() -> list[ServiceTask]:
    def grids(call: ServiceCall) -> GridDirectory:
        return grid_of(call.engine)

    def place(call: ServiceCall) -> dict[str, Any]:
        p = call.params
        return whistle_place(grids(call), p.get("grid"), p.get("member"), p.get("lon"), p.get("lat"), p.get("started_by"))

    def level(call: ServiceCall) -> dict[str, Any]:
        p = call.params
        return check_level(p.get("proposed"), p.get("level"), p.get("reason"))

    def team(call: ServiceCall) -> dict[str, Any]:
        p = call.params
        return joint_team(grids(call), p.get("grid"), p.get("member"), p.get("roles"))

    def whistle_up(call: ServiceCall) -> dict[str, Any]:
        form = street_intake(grids(call), dict(call.params))
        return {"case_id": _start(call, "whistle_dispatch", f"{call.instance_id}:{call.task_id}", form, form["grid"])}

    def progress(call: ServiceCall) -> dict[str, Any]:
        case = call.engine.instance(str(call.params.get("case_id")), SYSTEM)
        return street_outcome(case.status, case.variables.get("case_record"))

    return [
        ServiceTask("grid.whistle_check", place, "核对吹哨的网格、网格员和位置"),
        ServiceTask("grid.whistle_level", level, "核对社区确认的处置层级"),
        ServiceTask("grid.joint_team", team, "按角色组成四员联动小组"),
        ServiceTask("grid.whistle_up", whistle_up, "社区向街道吹哨，发起吹哨报到案件"),
        ServiceTask("grid.street_progress", progress, "查看街道吹哨报到案件的办理进度"),
    ]
