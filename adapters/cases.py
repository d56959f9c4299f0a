"""Reading a case the way portals need it: open or closed, where it is, who is responsible.

Shared by the adapters so Open311, the 12345 hotline and WeChat describe a case in the
same words. Which variables say what is the process's business, not the adapters': a
``CaseProfile`` names the process and, in ``summary``, the variable paths to read
(``case_record.resolved``; ``case_record.departments[].dept`` reads ``dept`` of every
item of a list). The bundled profile, ``process.yaml`` next to this module, describes
``whistle_dispatch``; an adapter serving another process is given its own under
``adapter_<name>.process``. Everything goes through the engine's Python API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from gongzhi import Actor, ConfigurationError, InstanceView

from .loading import load_config, load_yaml

if TYPE_CHECKING:  # pragma: no cover
    from gongzhi import Engine

__all__ = ["CaseProfile", "CaseSummary", "SummaryFields", "summarize", "task_data", "group_unit", "pick", "CLOSED"]

CLOSED = ("completed", "cancelled")
BUNDLED_PROFILE = Path(__file__).with_name("process.yaml")
_PATHS = ("places", "department_prefix", "diverted_to", "resolved", "satisfaction", "closing_reason", "handled_by",
          "home_unit")


@dataclass(frozen=True)
class SummaryFields:
    """Variable paths that describe a case; an empty path is simply not shown."""

    places: str = ""
    place_groups: Mapping[str, str] = field(default_factory=dict)
    department_prefix: str = ""
    diverted_to: str = ""
    resolved: str = ""
    satisfaction: str = ""
    closing_reason: str = ""
    handled_by: str = ""
    home_unit: str = ""


@dataclass(frozen=True)
class CaseProfile:
    """The process an adapter starts and reads, and how its cases are summarised."""

    process_key: str
    summary: SummaryFields = field(default_factory=SummaryFields)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], what: str) -> CaseProfile:
        key = data.get("process_key")
        if not isinstance(key, str) or not key.strip():
            raise ConfigurationError(f"{what}: process_key is required (the process the adapter starts)")
        raw = data.get("summary") or {}
        if not isinstance(raw, Mapping):
            raise ConfigurationError(f"{what}.summary must be a mapping of variable paths")
        unknown = set(raw) - set(_PATHS) - {"place_groups"}
        if unknown:
            raise ConfigurationError(f"{what}.summary: unknown keys {sorted(unknown)}; known: place_groups, "
                                     f"{', '.join(_PATHS)}")
        groups = raw.get("place_groups") or {}
        if not isinstance(groups, Mapping) or not all(isinstance(v, str) for v in groups.values()):
            raise ConfigurationError(f"{what}.summary.place_groups must map candidate groups to names")
        paths = {name: raw.get(name) or "" for name in _PATHS}
        bad = [name for name, value in paths.items() if not isinstance(value, str)]
        if bad:
            raise ConfigurationError(f"{what}.summary: {', '.join(bad)} must be variable paths (text)")
        return cls(key.strip(), SummaryFields(place_groups={str(k): v for k, v in groups.items()}, **paths))

    @classmethod
    def load(cls, value: Any, what: str) -> CaseProfile:
        """A profile from a mapping or a YAML file; ``None``: the bundled one."""
        if value is None or value == "":
            return cls.bundled()
        return cls.from_dict(load_config(value, what), what)

    @staticmethod
    @cache
    def bundled() -> CaseProfile:
        return CaseProfile.from_dict(load_yaml(BUNDLED_PROFILE, str(BUNDLED_PROFILE.name)), BUNDLED_PROFILE.name)


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


def pick(data: Any, path: str) -> Any:
    """The value at a dotted ``path`` (``a.b``; through a list, every item's: ``a.items[].b``), or None."""
    value = data
    for name in path.replace("[]", "").split(".") if path else ():
        if isinstance(value, list):
            value = [item.get(name) for item in value if isinstance(item, Mapping)]
        elif isinstance(value, Mapping):
            value = value.get(name)
        else:
            return None
    return value if path else None


def _directory(engine: Engine) -> Any:
    try:
        return engine.directory
    except Exception:  # noqa: BLE001 - a missing or broken directory only costs the names
        return None


def group_unit(engine: Engine, group: str, variables: Mapping[str, Any], profile: CaseProfile | None = None) -> str:
    """The name of the unit behind a candidate group (a department, the street, the community...)."""
    fields = (profile or CaseProfile.bundled()).summary
    prefix = fields.department_prefix
    if prefix and group.startswith(prefix):
        directory = _directory(engine)
        dept = directory.department_of_group(group) if directory is not None else None
        return dept.name if dept is not None else group[len(prefix):]
    places = pick(variables, fields.places)
    key = fields.place_groups.get(group)
    name = places.get(key) if key and isinstance(places, Mapping) else None
    return name or group


def _closed_stage(fields: SummaryFields, variables: Mapping[str, Any]) -> str:
    diverted, resolved = pick(variables, fields.diverted_to), pick(variables, fields.resolved)
    if diverted:
        return f"已转办：{diverted}"
    if resolved:
        satisfaction = pick(variables, fields.satisfaction)
        return f"已办结：{resolved}" + (f"（{satisfaction}）" if satisfaction else "")
    reason = pick(variables, fields.closing_reason)
    return "已办结" + (f"：{reason}" if reason else "")


def summarize(engine: Engine, view: InstanceView, profile: CaseProfile | None = None) -> CaseSummary:
    profile = profile or CaseProfile.bundled()
    fields = profile.summary
    variables = dict(view.variables)
    if view.status == "cancelled":
        stage, agency = "已撤销", None
    elif view.status == "completed":
        stage = _closed_stage(fields, variables)
        codes = pick(variables, fields.handled_by)
        codes = codes if isinstance(codes, list) else [codes] if codes else []
        units = [group_unit(engine, f"{fields.department_prefix}{code}", variables, profile) for code in codes if code]
        agency = "、".join(dict.fromkeys(units)) or pick(variables, fields.home_unit)
    else:
        names = list(dict.fromkeys(t.name for t in view.open_tasks))
        stage = "办理中" + (f"：{'、'.join(names)}" if names else "")
        units = [group_unit(engine, g, variables, profile) for t in view.open_tasks for g in t.candidate_groups[:1]]
        agency = "、".join(dict.fromkeys(units)) or None
    return CaseSummary(view.id, view.business_key, view.status not in CLOSED, view.status, stage, agency,
                       view.created_at, view.updated_at, variables)


def task_data(engine: Engine, actor: Actor, instance_id: str, task_id: str | None) -> dict[str, Any] | None:
    """The form data a task was completed with, from the audit trail (None if not found)."""
    if not task_id:
        return None
    for entry in engine.history(instance_id, actor):
        if entry.get("action") == "complete" and entry.get("task_id") == task_id:
            return dict(entry.get("data") or {})
    return None
