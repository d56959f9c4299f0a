"""Reading the directory files into a :class:`GridDirectory`, checking every rule on the way.

Files (paths in the ``grid`` section are relative to the directory YAML):

- the directory YAML: the tree ``district → streets → communities → grids → micro_grids``
  and a ``grid`` section with ``boundaries``, ``people``, ``household_limits``,
  ``containment_tolerance``, ``default_street`` and ``address_rules``;
- a GeoJSON FeatureCollection: one feature per unit, ``properties.region`` = its region path;
- a people YAML: ``people: [{id, name, phone, community, roles: [{role, grid}]}]``.

All problems are collected and raised together as one :class:`GridInvalid`; nothing is half-used.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

import orjson

from ..hooks.kit import load_yaml
from .errors import GridInvalid, GridProblem
from .geometry import outside_share, read_geometry
from .model import (CHILDREN, DEDICATED_KINDS, GRID_LEVELS, LEVELS, ROLE_BY_NAME, ROLES, Assignment, GridUnit,
                    Member)

__all__ = ["GridSettings", "AddressRule", "DEFAULT_HOUSEHOLD_LIMITS", "parse", "read_files", "read_grid_files"]

# Seed 003 (昆山, citing 中组发〔2022〕2号): "每个网格原则上覆盖300~500户" and "按照每个精微网格覆盖100户的标准".
DEFAULT_HOUSEHOLD_LIMITS = {"grid": 500, "micro_grid": 100}
DEFAULT_TOLERANCE = 0.01  # share of a unit's area that may lie outside its parent (hand-drawn edges)
_CODE = re.compile(r"[0-9]{1,12}")


@dataclass(frozen=True)
class AddressRule:
    """An address containing one of ``keywords`` lies in ``region``."""

    keywords: tuple[str, ...]
    region: str


@dataclass(frozen=True)
class GridSettings:
    household_limits: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_HOUSEHOLD_LIMITS))
    containment_tolerance: float = DEFAULT_TOLERANCE
    default_street: str | None = None
    address_rules: tuple[AddressRule, ...] = ()


@dataclass
class Parsed:
    units: dict[str, GridUnit]
    members: dict[str, Member]
    settings: GridSettings
    version: str
    has_boundaries: bool


def read_files(path: str | Path) -> tuple[dict[str, Any], Any, dict[str, Any] | None]:
    """The directory YAML, the GeoJSON boundaries (or None) and the people YAML (or None) it names."""
    data = load_yaml(path, "组织目录")
    return (data, *read_grid_files(path, data))


def read_grid_files(path: str | Path, data: Mapping[str, Any]) -> tuple[Any, dict[str, Any] | None]:
    """The boundaries and people files the ``grid`` section of ``data`` (read from ``path``) names."""
    path = Path(path)
    section = data.get("grid") or {}
    if not isinstance(section, Mapping):
        raise GridInvalid([GridProblem("", "", "grid 一节应是映射（键: 值）", "format")], str(path))
    boundaries = _read_json(path.parent / section["boundaries"]) if section.get("boundaries") else None
    people = load_yaml(path.parent / section["people"], "网格人员") if section.get("people") else None
    return boundaries, people


def _read_json(path: Path) -> Any:
    from ..errors import ConfigurationError

    try:
        return orjson.loads(path.read_bytes())
    except OSError as exc:
        raise ConfigurationError(f"网格边界文件 {path} 无法读取：{exc.strerror or exc}", path=str(path)) from exc
    except orjson.JSONDecodeError as exc:
        raise ConfigurationError(f"网格边界文件 {path} 第 {exc.lineno} 行不是合法的 JSON：{exc.msg}",
                                 path=str(path)) from exc


def parse(data: Mapping[str, Any], boundaries: Any = None, people: Mapping[str, Any] | None = None,
          source: str = "") -> Parsed:
    """Build and check; raises GridInvalid listing every problem found."""
    b = _Builder()
    b.tree(data.get("district"))
    settings = b.settings(data.get("grid") or {})
    geometries = b.boundaries(boundaries) if boundaries is not None else {}
    b.households(settings)
    if boundaries is not None:
        b.containment(settings)
    b.members(people or {})
    if b.problems:
        raise GridInvalid(b.problems, source)
    version = _version(b.units, geometries, settings)
    return Parsed(b.units, b.people, settings, version, boundaries is not None)


class _Builder:
    def __init__(self) -> None:
        self.units: dict[str, GridUnit] = {}
        self.people: dict[str, Member] = {}
        self.problems: list[GridProblem] = []

    def fail(self, unit: GridUnit | str | None, message: str, rule: str) -> None:
        if isinstance(unit, GridUnit):
            self.problems.append(GridProblem(unit.path, unit.name, message, rule))
        else:
            self.problems.append(GridProblem(unit or "", "", message, rule))

    # --- the tree -----------------------------------------------------------------------------

    def tree(self, district: Any) -> None:
        if not isinstance(district, Mapping):
            self.fail(None, "缺少 district（区）及其下的街道、社区与网格", "format")
            return
        self._add(district, None, 0)

    def _add(self, node: Any, parent: GridUnit | None, depth: int) -> None:
        level = LEVELS[depth]
        where = parent.path if parent else ""
        if not isinstance(node, Mapping):
            self.fail(where, f"{parent.name if parent else ''}下的一项不是映射（应有 code 与 name）", "format")
            return
        code, name = str(node.get("code", "")).strip(), str(node.get("name") or "").strip()
        path = f"{parent.path}/{code}" if parent else code
        if not _CODE.fullmatch(code):
            self.fail(path, f"“{name or '（无名称）'}”的编码“{code}”无效：应为 1～12 位数字", "code")
            return
        if not name:
            self.fail(path, "缺少名称 name", "format")
        if path in self.units:
            self.fail(self.units[path], f"编码重复：“{name}”与“{self.units[path].name}”的区域编码都是 {path}", "code")
            return
        kind = self._kind(node, level, path, name)
        unit = GridUnit(path, code, name, level, parent.path if parent else None, self._households(node, path, name),
                        kind in DEDICATED_KINDS, kind)
        self.units[path] = unit
        key = CHILDREN.get(level)
        children = node.get(key) if key else None
        if children is not None and not isinstance(children, list):
            self.fail(unit, f"{key} 应是列表", "format")
            return
        for child in children or ():
            self._add(child, unit, depth + 1)
        extra = [k for k in CHILDREN.values() if k != key and node.get(k)]
        if extra:
            self.fail(unit, f"{unit.name}这一级不能有 {extra[0]}", "format")

    def _kind(self, node: Mapping[str, Any], level: str, path: str, name: str) -> str:
        kind = str(node.get("kind") or ("dedicated" if node.get("dedicated") else level))
        if kind == level:
            return kind
        if level not in GRID_LEVELS or kind not in DEDICATED_KINDS:
            allowed = "、".join(k for k in DEDICATED_KINDS)
            self.fail(path, f"“{name}”的类型“{kind}”无效：只有网格可以是专属网格，类型为 {allowed} 之一", "format")
            return level
        return kind

    def _households(self, node: Mapping[str, Any], path: str, name: str) -> int | None:
        value = node.get("households")
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(path, f"“{name}”的户数“{value}”无效：应为不小于 0 的整数", "households")
            return None
        return value

    # --- settings -----------------------------------------------------------------------------

    def settings(self, section: Mapping[str, Any]) -> GridSettings:
        limits = dict(DEFAULT_HOUSEHOLD_LIMITS)
        for kind, limit in (section.get("household_limits") or {}).items():
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
                self.fail(None, f"household_limits 中 {kind} 的上限“{limit}”应为不小于 0 的整数", "format")
            else:
                limits[str(kind)] = limit
        tolerance = section.get("containment_tolerance", DEFAULT_TOLERANCE)
        if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not 0 <= tolerance < 1:
            self.fail(None, f"containment_tolerance“{tolerance}”应为 0～1 之间的小数", "format")
            tolerance = DEFAULT_TOLERANCE
        street = section.get("default_street")
        if street is not None:
            street = str(street).strip("/")
            unit = self.units.get(street)
            if unit is None or unit.level != "street":
                self.fail(street, f"default_street“{street}”不是目录中的街道", "reference")
                street = None
        return GridSettings(limits, float(tolerance), street, tuple(self._rules(section.get("address_rules") or ())))

    def _rules(self, rules: Any) -> list[AddressRule]:
        out: list[AddressRule] = []
        if not rules:
            return out
        for n, rule in enumerate(rules if isinstance(rules, list) else [rules], 1):
            keywords = rule.get("keywords") if isinstance(rule, Mapping) else None
            if isinstance(keywords, str):
                keywords = [keywords]
            region = str(rule.get("region", "")).strip("/") if isinstance(rule, Mapping) else ""
            if not keywords or not all(isinstance(k, str) and k.strip() for k in keywords):
                self.fail(region, f"第 {n} 条地址规则缺少关键词 keywords", "format")
            elif region not in self.units:
                self.fail(region, f"第 {n} 条地址规则的区域“{region}”不在目录中", "reference")
            else:
                out.append(AddressRule(tuple(k.strip() for k in keywords), region))
        return out

    # --- boundaries ---------------------------------------------------------------------------

    def boundaries(self, collection: Any) -> dict[str, Any]:
        """Attach each feature's geometry to its unit; returns the raw geometries for the version."""
        features = collection.get("features") if isinstance(collection, Mapping) else None
        if not isinstance(features, list):
            self.fail(None, "边界文件应是 GeoJSON FeatureCollection（含 features 列表）", "boundary")
            return {}
        raw: dict[str, Any] = {}
        for n, feature in enumerate(features, 1):
            props = feature.get("properties") if isinstance(feature, Mapping) else None
            path = str((props or {}).get("region", "")).strip("/")
            unit = self.units.get(path)
            if unit is None:
                self.fail(path, f"边界文件第 {n} 个要素的 properties.region“{path}”不在目录中", "reference")
                continue
            if path in raw:
                self.fail(unit, "边界文件中有两个要素", "boundary")
                continue
            geometry, problem = read_geometry(feature.get("geometry"))
            if problem:
                self.fail(unit, problem, "geometry")
                continue
            raw[path] = feature.get("geometry")
            self.units[path] = replace(unit, boundary=geometry)
        for unit in self.units.values():
            if unit.boundary is None and (unit.level in GRID_LEVELS or unit.level == "district") and unit.path not in raw:
                if not any(p.region == unit.path for p in self.problems):
                    self.fail(unit, "没有边界（边界文件中缺少该区域的要素）", "boundary")
        return raw

    def containment(self, settings: GridSettings) -> None:
        """Each unit lies inside its nearest bounded ancestor; a dedicated grid inside the district only."""
        district = next((u for u in self.units.values() if u.level == "district"), None)
        for unit in self.units.values():
            if unit.boundary is None or unit.parent is None:
                continue
            outer = district if unit.dedicated else self._bounded_ancestor(unit)
            if outer is None or outer.boundary is None:
                continue
            share = outside_share(unit.boundary, outer.boundary)
            if share > settings.containment_tolerance:
                what = {"micro_grid": "微网格"}.get(unit.level, "区域")
                self.fail(unit, f"{what}有 {share:.0%} 的面积在{outer.name}（{outer.path}）之外"
                                f"（允许 {settings.containment_tolerance:.0%}）", "containment")

    def _bounded_ancestor(self, unit: GridUnit) -> GridUnit | None:
        parent = self.units.get(unit.parent or "")
        while parent is not None and parent.boundary is None:
            parent = self.units.get(parent.parent or "")
        return parent

    def households(self, settings: GridSettings) -> None:
        for unit in self.units.values():
            limit = settings.household_limits.get(unit.kind)
            if limit is not None and unit.households is not None and unit.households > limit:
                self.fail(unit, f"{unit.kind_name}户数 {unit.households} 超过上限 {limit}", "households")

    # --- people -------------------------------------------------------------------------------

    def members(self, data: Mapping[str, Any]) -> None:
        people = data.get("people")
        if people is None:
            return
        if not isinstance(people, list):
            self.fail(None, "人员文件的 people 应是列表", "format")
            return
        for n, item in enumerate(people, 1):
            member = self._member(item, n)
            if member is not None:
                self.people[member.id] = member

    def _member(self, item: Any, n: int) -> Member | None:
        if not isinstance(item, Mapping) or not str(item.get("id") or "").strip():
            self.fail(None, f"人员文件第 {n} 人缺少编号 id", "member")
            return None
        pid = str(item["id"]).strip()  # never the name in a message: it is personal data
        if pid in self.people:
            self.fail(None, f"人员编号 {pid} 重复", "member")
            return None
        if not str(item.get("name") or "").strip():
            self.fail(None, f"人员 {pid} 缺少姓名 name", "member")
        community = self.units.get(str(item.get("community", "")).strip("/"))
        if community is None or community.level != "community":
            self.fail(str(item.get("community", "")), f"人员 {pid} 的社区 community 不是目录中的社区", "member")
            return None
        roles = item.get("roles") or ()
        assignments = [a for a in (self._assignment(pid, community, r) for r in roles) if a is not None]
        phone = item.get("phone")
        return Member(pid, str(item.get("name") or "").strip(), "" if phone is None else str(phone),
                      community.path, tuple(assignments))

    def _assignment(self, pid: str, community: GridUnit, item: Any) -> Assignment | None:
        if not isinstance(item, Mapping):
            self.fail(community, f"人员 {pid} 的一项职务不是映射（应有 role 与 grid）", "member")
            return None
        name = str(item.get("role") or "")
        role = ROLES.get(name) or ROLE_BY_NAME.get(name)
        path = str(item.get("grid", "")).strip("/")
        grid = self.units.get(path)
        if role is None:
            known = "、".join(r.name for r in ROLES.values())
            self.fail(path, f"人员 {pid} 的职务“{name}”未知：应为 {known} 之一", "member")
        elif grid is None or grid.level not in GRID_LEVELS:
            self.fail(path, f"人员 {pid} 分派到的“{path}”不是目录中的网格", "member")
        elif not path.startswith(community.path + "/"):
            self.fail(grid, f"人员 {pid} 属于{community.name}（{community.path}），不能分派到本社区以外的网格", "member")
        elif grid.level not in role.levels:
            self.fail(grid, f"人员 {pid} 的职务{role.name}不能设在{grid.kind_name}", "member")
        else:
            return Assignment(role.code, grid.path)
        return None


def _version(units: Mapping[str, GridUnit], geometries: Mapping[str, Any], settings: GridSettings) -> str:
    """A content hash of what places a case: the tree, the boundaries and the rules (not the people)."""
    content = {
        "units": [u.as_dict() for u in units.values()],
        "boundaries": dict(sorted(geometries.items())),
        "limits": dict(sorted(settings.household_limits.items())),
        "tolerance": settings.containment_tolerance,
        "default_street": settings.default_street,
        "rules": [[list(r.keywords), r.region] for r in settings.address_rules],
    }
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]
