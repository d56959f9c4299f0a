"""What the party reports count: confirmed 双报到 registrations and the services (party_service) of a year.

A registration is a completed ``party_registration`` case that the community confirmed; its
registrant is the user who started it. A service is any completed case, of any process, whose
variables end with ``party_service`` (see README): ``{"kind": "志愿服务" | "解决困难", and one of
"member": <user id>, "member_task": <user task element id> (whoever completed it last; "start":
whoever started the case)}``. Everything is read through ``engine.read`` as the given actor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Iterator

from gongzhi import Actor, CaseSummary, NotFound
from gongzhi.calendar import CST

__all__ = ["Registration", "Service", "KINDS", "REGISTRATION", "year_bounds", "registrations", "services",
           "find_registration"]

REGISTRATION = "party_registration"
KINDS = ("志愿服务", "解决困难")


@dataclass(frozen=True)
class Registration:
    instance_id: str
    member: str  # the registrant's user id: services are credited to it
    registrant_type: str
    name: str  # masked for an actor without pii
    work_unit: str
    community: str
    year: int


@dataclass(frozen=True)
class Service:
    instance_id: str
    process_key: str
    member: str
    kind: str
    source: str
    ended_at: datetime


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """A calendar year in Beijing time."""
    return datetime(year, 1, 1, tzinfo=CST), datetime(year + 1, 1, 1, tzinfo=CST)


def _cases(engine: Any, actor: Actor, key: str, **filters: Any) -> Iterator[list[CaseSummary]]:
    try:
        for batch in engine.read.iter_cases(actor, key, **filters):
            yield list(batch.items)
    except NotFound:  # the process is not deployed here: nothing to count
        return


def find_registration(engine: Any, actor: Actor, year: int, identity: tuple[str, str]) -> str | None:
    """The id of a registration of ``year`` with this identity (running, or confirmed), or None.

    ``identity``: ("phone", number) for a party member, ("work_unit", name) for a unit's party
    organisation. A registration the community refused does not count.
    """
    field, value = identity
    for items in _cases(engine, actor, REGISTRATION, status=("running", "completed")):
        found = engine.read.variables(actor, [c.id for c in items],
                                      names=("registrant_type", "phone", "work_unit", "year", "confirmed"))
        for case in items:
            values = found.get(case.id) or {}
            if case.status == "completed" and values.get("confirmed") is not True:
                continue
            kind = "phone" if values.get("registrant_type") == "在职党员" else "work_unit"
            if values.get("year") == year and kind == field and values.get(field) == value:
                return case.id
    return None


def registrations(engine: Any, actor: Actor, year: int, community: str | None = None) -> list[Registration]:
    """The confirmed registrations of ``year`` the actor may read (under ``community`` when given)."""
    out = []
    for items in _cases(engine, actor, REGISTRATION, status="completed", region=community):
        found = engine.read.variables(actor, [c.id for c in items])
        for case in items:
            v = found.get(case.id) or {}
            if v.get("year") != year or v.get("confirmed") is not True:
                continue
            member = engine.instance(case.id, actor).started_by
            out.append(Registration(case.id, member, str(v.get("registrant_type")), str(v.get("name")),
                                    str(v.get("work_unit")), str(v.get("community")), year))
    return out


def _member(engine: Any, actor: Actor, case_id: str, declared: dict[str, Any], tasks: Iterable[Any]) -> str | None:
    if declared.get("member"):
        return str(declared["member"])
    element = declared.get("member_task")
    if element == "start":
        return engine.instance(case_id, actor).started_by
    done = [t for t in tasks if t.instance_id == case_id and t.element_id == element and t.completed_by]
    return done[-1].completed_by if done else None


def services(engine: Any, actor: Actor, year: int) -> list[Service]:
    """Every service of ``year`` (by the day its case ended, Beijing time) the actor may read."""
    begin, end = year_bounds(year)
    out = []
    for definition in engine.definitions():
        key = definition["key"]
        for items in _cases(engine, actor, key, status="completed", created_before=end):
            ended = {c.id: c for c in items if c.ended_at and begin <= c.ended_at < end}
            if not ended:
                continue
            found = engine.read.variables(actor, list(ended), names="party_service")
            declared = {i: v["party_service"] for i, v in found.items() if isinstance(v.get("party_service"), dict)}
            if not declared:
                continue
            elements = sorted({d["member_task"] for d in declared.values() if d.get("member_task") not in (None, "start")})
            tasks = engine.read.tasks(actor, list(declared), element_ids=elements, status="completed") if elements else []
            for case_id, service in declared.items():
                member = _member(engine, actor, case_id, service, tasks)
                if member and service.get("kind") in KINDS:
                    out.append(Service(case_id, key, member, service["kind"], str(service.get("source") or ""),
                                       ended[case_id].ended_at))
    return out
