"""Reading a whistle case the way portals need it: open or closed, where it is, who is responsible.

Shared by the adapters so Open311, the 12345 hotline and WeChat describe a case
in the same words. Everything goes through the runtime's Python API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gongzhi import Actor, InstanceView

if TYPE_CHECKING:  # pragma: no cover
    from gongzhi import Engine

__all__ = ["CaseSummary", "summarize", "task_data", "group_unit", "CLOSED"]

CLOSED = ("completed", "cancelled")


@dataclass(frozen=True)
class CaseSummary:
    instance_id: str
    business_key: str | None
    open: bool
    status: str  # the instance status: running | completed | cancelled
    stage: str  # 办理中：街道吹哨 / 已办结：已解决 / 已撤销
    agency: str | None  # the unit that has the case now (or handled it)
    created_at: datetime
    updated_at: datetime
    variables: dict[str, Any]


def _directory(engine: Engine) -> Any:
    try:
        return engine.pm.hook.gongzhi_directory()
    except Exception:  # noqa: BLE001 - a missing or broken directory only costs the names
        return None


def group_unit(engine: Engine, group: str, variables: dict[str, Any]) -> str:
    """The name of the unit behind a candidate group (a department, the street, the community...)."""
    location = variables.get("location") or {}
    if group.startswith("dept_"):
        directory = _directory(engine)
        dept = directory.department_of_group(group) if directory is not None else None
        return dept.name if dept is not None else group[len("dept_"):]
    names = {"grid": location.get("grid_name"), "community": location.get("community_name"),
             "street": location.get("street_name"), "street_leader": location.get("street_name"),
             "district": location.get("district_name")}
    return names.get(group) or group


def summarize(engine: Engine, view: InstanceView) -> CaseSummary:
    variables = dict(view.variables)
    is_open = view.status not in CLOSED
    if view.status == "cancelled":
        stage, agency = "已撤销", None
    elif view.status == "completed":
        record = variables.get("case_record") or {}
        triage = variables.get("triage") or {}
        if variables.get("diverted_to"):
            stage = f"已转办：{variables.get('diverted_to')}"
        elif record.get("resolved"):
            stage = f"已办结：{record['resolved']}" + (f"（{record['satisfaction']}）" if record.get("satisfaction") else "")
        else:
            stage = "已办结" + (f"：{triage.get('reason')}" if triage.get("reason") else "")
        units = []
        for dept in record.get("departments") or []:
            units.append(group_unit(engine, f"dept_{dept.get('dept')}", variables))
        agency = "、".join(dict.fromkeys(units)) or (variables.get("location") or {}).get("street_name")
    else:
        names = list(dict.fromkeys(t.name for t in view.open_tasks))
        stage = "办理中" + (f"：{'、'.join(names)}" if names else "")
        units = [group_unit(engine, g, variables) for t in view.open_tasks for g in t.candidate_groups[:1]]
        agency = "、".join(dict.fromkeys(units)) or None
    return CaseSummary(view.id, view.business_key, is_open, view.status, stage, agency, view.created_at,
                       view.updated_at, variables)


def task_data(engine: Engine, actor: Actor, instance_id: str, task_id: str | None) -> dict[str, Any] | None:
    """The form data a task was completed with, from the audit trail (None if not found)."""
    if not task_id:
        return None
    for entry in engine.history(instance_id, actor):
        if entry.get("action") == "complete" and entry.get("task_id") == task_id:
            return dict(entry.get("data") or {})
    return None
