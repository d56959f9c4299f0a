"""Service-task operators of the grid processes (``bpmn/grid``).

- ``grid.unit``: a grid unit's level and kind (what the DMN tables decide on); unknown code: InvalidInput;
- ``grid.visit_plan``: who visits which households, shops and places of a grid in a round;
- ``grid.start_round`` (asynchronous): one ``grid_visit`` case per grid member of the plan;
- ``grid.record_visit``: a visit checked against the member's list and added to it;
- ``grid.open_case`` (asynchronous): a finding started as a ``whistle_dispatch`` case, intake prefilled;
- ``grid.mobilisation_plan``: a community's micro-grids, their 微网格员 and households, and the deadline;
- ``grid.start_mobilisation`` (asynchronous): one ``grid_mobilisation_micro`` case per micro-grid task;
- ``grid.check_reached``: households reached, checked against the micro-grid;
- ``grid.notify``: reminders through the plugin's notifier.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable, Iterable

from gongzhi import SYSTEM, InvalidInput, Notifier, ServiceCall, ServiceTask
from gongzhi.grid import ROLES, GridDirectory
from gongzhi.grid import of as grid_of
from gongzhi.humanize import sentence

from .register import Register

__all__ = ["service_tasks", "member_group", "visit_plan", "mobilisation_plan", "check_reached", "record_visit"]

ROLE_CODES = {r.name: code for code, r in ROLES.items()}


def member_group(member_id: str) -> str:
    """The candidate group of one grid person: the integrator's login gives it to that person alone."""
    return f"grid_member_{member_id}"


def _bad(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, errors=[{"field": field, "message": message}])


def _names(value: Any) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value or ())
    return [str(v).strip() for v in items if str(v).strip()]


def _unit(grids: GridDirectory, path: Any, level: str, field: str) -> Any:
    unit = grids.unit(str(path or ""))
    if unit is None or unit.level != level:
        what = {"grid": "网格", "community": "社区"}[level]
        raise _bad(field, f"{what}编码“{path}”不在网格目录中" if unit is None else f"“{unit.name}”不是{what}")
    return unit


def visit_plan(grids: GridDirectory, register: Register, grid: Any, cover: Any, roles: Any,
               members: Iterable[str] | None = None) -> dict[str, Any]:
    """Each target of ``grid`` of the kinds in ``cover`` goes to the person holding one of ``roles``
    (in that order of preference) on the micro-grid it lies in, else on the grid; ``members`` narrows it."""
    unit = _unit(grids, grid, "grid", "grid")
    wanted = [ROLE_CODES.get(r, r) for r in _names(roles)]
    if not wanted or any(r not in ROLES for r in wanted):
        raise _bad("roles", f"走访人员角色“{roles}”无效")
    places = [unit, *grids.children(unit.path)]
    holders: dict[str, list[tuple[int, str]]] = {}  # unit path -> (preference, member id)
    for place in places:
        for person in grids.members_of(place.path):
            for a in person.assignments:
                if a.grid == place.path and a.role in wanted:
                    holders.setdefault(place.path, []).append((wanted.index(a.role), person.id))
    everyone = {m for found in holders.values() for _, m in found}
    chosen = set(_names(members)) if members else None
    for m in sorted((chosen or set()) - everyone):
        raise _bad("members", f"{m} 不是“{unit.name}”负责走访的网格员")
    assignments: dict[str, list[dict[str, Any]]] = {}
    unassigned = []
    for target in register.within(unit.path, _names(cover)):
        owners = sorted(holders.get(target.grid) or holders.get(unit.path) or [])
        if not owners:
            unassigned.append(target.id)
        elif chosen is None or owners[0][1] in chosen:
            assignments.setdefault(owners[0][1], []).append(target.as_dict())
    return {"grid": unit.path, "grid_name": unit.name, "unassigned": unassigned,
            "assignments": [{"member": m, "member_group": member_group(m), "targets": t}
                            for m, t in sorted(assignments.items())]}


def record_visit(targets: list[dict[str, Any]], visited: list[dict[str, Any]], visit: dict[str, Any],
                 at: str) -> list[dict[str, Any]]:
    """``visited`` with ``visit`` added; a target not on the member's list, or visited already, is refused."""
    known = {t["id"]: t for t in targets}
    target = str(visit.get("target") or "")
    if target not in known:
        raise _bad("target", f"走访对象 {target} 不在本次走访名单中")
    if any(v["target"] == target for v in visited):
        raise _bad("target", f"走访对象 {target} 本轮已走访")
    found = bool(visit.get("found"))
    return [*visited, {"target": target, "kind": known[target]["kind"], "address": known[target]["address"],
                       "found": found, "description": visit.get("description") or "" if found else "",
                       "category": visit.get("category") or "" if found else "", "at": at}]


def intake(grids: GridDirectory, grid: str, member: str, finding: dict[str, Any]) -> dict[str, Any]:
    """The whistle start form (bpmn/whistle/forms/intake.json) filled from a visit's finding."""
    person = grids.members.get(member)
    if person is None:
        raise _bad("member", f"网格员 {member} 不在网格目录中")
    unit = grids.unit(grid)
    general = unit.parent if unit is not None and unit.level == "micro_grid" else grid  # intake takes a grid code
    return {"channel": "网格员上报", "category_l1": finding.get("category") or "其他", "category_l2": "入户走访发现",
            "category_l3": finding.get("kind") or "居民户", "case_type": "诉求", "description": finding["description"],
            "address": finding["address"], "grid": general, "reporter_name": person.name,
            "reporter_mobile": "".join(ch for ch in person.phone if ch.isdigit()), "urgency": "一般", "emergency": "无"}


def check_grid(grids: GridDirectory, path: str) -> str:
    """The form format ``grid-code``: a general grid of the directory (ValueError naming it otherwise)."""
    try:
        return _unit(grids, path, "grid", "grid").path
    except InvalidInput as exc:
        raise ValueError(exc.message) from exc


def check_mobilisable(grids: GridDirectory, path: str) -> str:
    """The form format ``grid-community``: a community of the directory divided into micro-grids."""
    try:
        unit = _unit(grids, path, "community", "community")
    except InvalidInput as exc:
        raise ValueError(exc.message) from exc
    if not any(m.level == "micro_grid" for g in grids.children(unit.path) for m in grids.children(g.path)):
        raise ValueError(f"“{unit.name}”没有划分微网格，无法发起入户组织动员")
    return unit.path


def mobilisation_plan(grids: GridDirectory, register: Register, community: Any) -> list[dict[str, Any]]:
    """One task per 微网格员 and micro-grid of ``community``; a micro-grid without one goes to its grid's people."""
    unit = _unit(grids, community, "community", "community")
    plan = []
    for grid in grids.children(unit.path):
        for micro in grids.children(grid.path):
            if micro.level != "micro_grid":
                continue
            people = [p.id for p in grids.members_of(micro.path)
                      if any(a.grid == micro.path and a.role == "micro_grid_worker" for a in p.assignments)]
            people = people or [p.id for p in grids.members_of(grid.path)
                                if any(a.grid == grid.path and a.role in ("full_time", "grid_chief") for a in p.assignments)][:1]
            for person in people[:1]:
                plan.append({"micro_grid": micro.path, "micro_grid_name": micro.name, "households": micro.households or 0,
                             "member": person, "member_group": member_group(person),
                             "register": [t.as_dict() for t in register.within(micro.path, ["居民户"])]})
    if not plan:
        raise _bad("community", f"“{unit.name}”没有划分微网格，无法发起入户组织动员")
    return plan


def member_role(grids: GridDirectory, member: Any, grid: Any) -> str:
    """The role ``member`` holds on ``grid`` or one of its micro-grids (its Chinese name; "" if none)."""
    person = grids.members.get(str(member or ""))
    path = str(grid or "")
    for a in person.assignments if person is not None else ():
        if a.grid == path or a.grid.startswith(path + "/"):
            return a.role_name
    return ""


def check_reached(households: int, register: list[dict[str, Any]], count: Any, reached: Any) -> dict[str, Any]:
    """The households a 微网格员 reached: a count, a list of household numbers from the register, or both."""
    ids = _names(reached)
    known = {t["id"] for t in register}
    for item in ids:
        if item not in known:
            raise _bad("reached", f"住户 {item} 不在本微网格的名册中")
    total = max(int(count or 0), len(set(ids)))
    if total > households:
        raise _bad("reached_count", f"已入户 {total} 户，超过本微网格的 {households} 户")
    return {"reached_count": total, "reached": sorted(set(ids))}


def service_tasks(registers: Callable[[], Register], notifier: Notifier) -> list[ServiceTask]:
    def grids(call: ServiceCall) -> GridDirectory:
        return grid_of(call.engine)

    def register(call: ServiceCall) -> Register:
        found = registers()
        found.check(grids(call))
        return found

    def unit(call: ServiceCall) -> dict[str, Any]:
        found = grids(call).unit(str(call.params.get("code") or ""))
        if found is None:
            raise _bad("grid", f"网格编码“{call.params.get('code')}”不在网格目录中")
        return {**found.as_dict(), "kind_name": found.kind_name}

    def plan(call: ServiceCall) -> dict[str, Any]:
        p = call.params
        return visit_plan(grids(call), register(call), p.get("grid"), p.get("cover"), p.get("roles"), p.get("members"))

    def start_round(call: ServiceCall) -> list[str]:
        p = call.params
        started = []
        for a in p["plan"]["assignments"]:
            variables = {"grid": p["plan"]["grid"], "grid_name": p["plan"]["grid_name"], "member": a["member"],
                         "member_group": a["member_group"], "targets": a["targets"], "visited": [], "cases": [],
                         "visit_days": p["visit_days"], "round_started": p.get("round_started") or call.now.isoformat()}
            started.append(_start(call, "grid_visit", f"{call.instance_id}:{call.task_id}:{a['member']}", variables,
                                  p["plan"]["grid"]))
        return started

    def record(call: ServiceCall) -> list[dict[str, Any]]:
        p = call.params
        return record_visit(list(p.get("targets") or ()), list(p.get("visited") or ()), dict(p.get("entry") or {}),
                            call.now.isoformat())

    def open_case(call: ServiceCall) -> dict[str, Any]:
        p = call.params
        form = intake(grids(call), str(p["grid"]), str(p["member"]), dict(p["finding"]))
        case = _start(call, "whistle_dispatch", f"{call.instance_id}:{call.task_id}", form, form["grid"])
        return {"case_id": case, "target": p["finding"]["target"]}

    def mobilise(call: ServiceCall) -> dict[str, Any]:
        p = call.params
        hours, before = float(p["deadline_hours"]), float(p.get("remind_minutes_before") or 0)
        deadline = call.now + timedelta(hours=hours)
        return {"deadline": deadline.isoformat(), "remind_at": (deadline - timedelta(minutes=before)).isoformat(),
                "items": mobilisation_plan(grids(call), register(call), p.get("community"))}

    def start_mobilisation(call: ServiceCall) -> list[str]:
        p = call.params
        return [_start(call, "grid_mobilisation_micro", f"{call.instance_id}:{item['micro_grid']}",
                       {**item, "subject": p["subject"], "deadline": p["deadline"], "remind_at": p["remind_at"],
                        "mobilisation": call.instance_id, "community": p["community"],
                        "remind_minutes": p.get("remind_minutes") or 0}, item["micro_grid"])
                for item in p["items"]]

    def reached(call: ServiceCall) -> dict[str, Any]:
        p = call.params
        return check_reached(int(p.get("households") or 0), list(p.get("register") or ()), p.get("count"), p.get("reached"))

    def role(call: ServiceCall) -> str:
        return member_role(grids(call), call.params.get("member"), call.params.get("grid"))

    def notify(call: ServiceCall) -> dict[str, Any]:
        notice = {"kind": str(call.params.get("kind") or "提醒"), "to": str(call.params.get("to") or ""),
                  "text": sentence(str(call.params.get("text") or "")), "at": call.now.isoformat(),
                  "instance_id": call.instance_id, "element_id": call.element_id}
        notifier(notice)
        return notice

    return [
        ServiceTask("grid.unit", unit, "查询网格单元的层级与类型"),
        ServiceTask("grid.visit_plan", plan, "按名册和角色排定本轮走访对象"),
        ServiceTask("grid.start_round", start_round, "为每名网格员发起本轮走访"),
        ServiceTask("grid.record_visit", record, "核对并记录一次走访"),
        ServiceTask("grid.open_case", open_case, "把走访发现的问题立为吹哨案件"),
        ServiceTask("grid.mobilisation_plan", mobilise, "排定社区各微网格的入户组织动员"),
        ServiceTask("grid.start_mobilisation", start_mobilisation, "向各微网格员发出入户组织动员任务"),
        ServiceTask("grid.check_reached", reached, "核对已入户的住户"),
        ServiceTask("grid.notify", notify, "发送入户动员、走访提醒"),
        ServiceTask("grid.member_role", role, "查询网格人员在本网格的角色"),
    ]


def _start(call: ServiceCall, key: str, business_key: str, variables: dict[str, Any], region: str) -> str:
    """Start ``key`` once for ``business_key`` (a retried job finds the case it started)."""
    engine = call.engine
    for batch in engine.read.iter_cases(SYSTEM, key, region=region):
        for case in batch.items:
            if case.business_key == business_key:
                return case.id
    return engine.start(key, SYSTEM, variables, business_key=business_key, region=region).id
