"""The organisation directory: the administrative tree, departments, groups and property companies.

A directory is read from YAML (the bundled ``directory.yaml`` describes the
fictional 青禾区). Region paths join codes from the district down, e.g.
``990101/001/002/03`` (district / street / community / grid), the same paths
the engine scopes actors and instances by.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from gongzhi.grid import GridDirectory, GridUnit

__all__ = ["Directory", "OrgUnit", "Department", "LinkedUnit", "RELATIONS", "DEFAULT_DIRECTORY"]

DEFAULT_DIRECTORY = Path(__file__).with_name("directory.yaml")
LEVELS = ("district", "street", "community", "grid", "micro_grid")
RELATIONS = ("挂钩联系单位", "下沉力量")  # what a unit is to the community that rates it (以下评上)

# One node of the administrative tree (the grid layer's unit: it adds kind and boundary).
OrgUnit = GridUnit


@dataclass(frozen=True)
class Department:
    """A functional department that answers whistles; its staff are in ``group``."""

    code: str
    name: str
    group: str

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "group": self.group}


@dataclass(frozen=True)
class LinkedUnit:
    """A department a community rates in the annual 以下评上 round, and what it is to the community."""

    dept: str
    relation: str


@dataclass
class Directory:
    """Implements ``gongzhi.Directory`` (what the core asks of a directory) and adds grids and property companies."""

    units: dict[str, OrgUnit] = field(default_factory=dict)
    departments: dict[str, Department] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    property_companies: list[dict[str, Any]] = field(default_factory=list)
    grid: GridDirectory | None = None
    linked_units: dict[str, list[LinkedUnit]] = field(default_factory=dict)  # community path -> units

    # --- loading -------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path | None = None) -> "Directory":
        """Read a directory YAML file (default: the bundled 青禾区) and the boundary and people files it names."""
        from gongzhi import load_yaml
        from gongzhi.grid import read_grid_files

        path = path or DEFAULT_DIRECTORY
        data = load_yaml(path, "组织目录")
        _departments(data)  # its own mistakes first: they need no other file
        boundaries, people = read_grid_files(path, data)
        return cls.from_dict(data, boundaries, people, str(path))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], boundaries: Any = None, people: Mapping[str, Any] | None = None,
                  source: str = "") -> "Directory":
        """The tree is read and checked by ``gongzhi.grid`` (GridInvalid names every bad unit)."""
        directory = cls()
        directory.grid = GridDirectory.from_data(data, boundaries, people, source)
        directory.units = directory.grid.units
        directory.departments = _departments(data)
        directory.groups = {str(k): str(v) for k, v in (data.get("groups") or {}).items()}
        directory.groups.update({d.group: d.name for d in directory.departments.values()})
        directory.property_companies = list(data.get("property_companies") or ())
        directory.linked_units = _linked_units(data, directory)
        return directory

    # --- lookups -------------------------------------------------------------

    @property
    def grid_directory(self) -> GridDirectory:
        """The grid layer (``gongzhi.hooks.directory.GridAware``): boundaries, people, locating, version."""
        assert self.grid is not None, "a Directory is built by load() or from_dict()"
        return self.grid

    def unit(self, path: str) -> OrgUnit | None:
        return self.units.get(path.strip("/"))

    def of_level(self, level: str) -> list[OrgUnit]:
        return [u for u in self.units.values() if u.level == level]

    @property
    def district(self) -> OrgUnit:
        return self.of_level("district")[0]

    def streets(self) -> list[OrgUnit]:
        return self.of_level("street")

    def communities(self, street: str | None = None) -> list[OrgUnit]:
        return [u for u in self.of_level("community") if street is None or u.parent == street]

    def grids(self, community: str | None = None) -> list[OrgUnit]:
        return [u for u in self.of_level("grid") if community is None or u.parent == community]

    def micro_grids(self, grid: str | None = None) -> list[OrgUnit]:
        return [u for u in self.of_level("micro_grid") if grid is None or u.parent == grid]

    def ancestor(self, path: str, level: str) -> OrgUnit | None:
        """The unit of ``level`` that contains ``path`` (itself included)."""
        parts = path.strip("/").split("/")
        depth = LEVELS.index(level)
        return self.unit("/".join(parts[: depth + 1])) if len(parts) > depth else None

    def name_of(self, path: str) -> str:
        unit = self.unit(path)
        return unit.name if unit else path

    def display_name(self, code: str) -> str | None:
        """The Chinese name of a department code, a group or a region path; None when unknown."""
        dept = self.departments.get(code)
        if dept is not None:
            return dept.name
        unit = self.unit(code) if code and "/" in code or code == self.district.code else None
        return unit.name if unit else self.groups.get(code)

    def department(self, code: str) -> Department | None:
        return self.departments.get(code)

    def units_rated_by(self, community: str) -> list[LinkedUnit]:
        """The linked units and 下沉力量 ``community`` rates in the annual round (none listed: none)."""
        return list(self.linked_units.get(community.strip("/"), ()))

    def department_of_group(self, group: str) -> Department | None:
        return next((d for d in self.departments.values() if d.group == group), None)

    def locate(self, grid: str) -> dict[str, Any]:
        """Where a grid or micro-grid lies: street and community codes and names (``known`` False if not listed)."""
        unit = self.unit(grid or "")
        if unit is not None and unit.level == "street":  # a point in no grid: the street assigns a grid
            return {"known": False, "region": unit.path, "needs_assignment": True, "street": unit.path,
                    "street_name": unit.name, "district_name": self.district.name}
        if unit is None or unit.level not in ("grid", "micro_grid"):
            return {"known": False, "region": grid}
        street, community = self.ancestor(unit.path, "street"), self.ancestor(unit.path, "community")
        return {
            "known": True,
            "region": unit.path,
            "grid_name": unit.name,
            "community": community.path if community else None,
            "community_name": community.name if community else None,
            "street": street.path if street else None,
            "street_name": street.name if street else None,
            "district_name": self.district.name,
        }

    def walk(self) -> Iterable[OrgUnit]:
        return iter(self.units.values())


def _departments(data: Mapping[str, Any]) -> dict[str, Department]:
    out: dict[str, Department] = {}
    for dept in data.get("departments") or ():
        d = Department(str(dept["code"]), dept["name"], dept.get("group") or f"dept_{dept['code']}")
        if d.code in out:
            raise ValueError(f"部门编码重复：{d.code}")
        out[d.code] = d
    return out


def _linked_units(data: Mapping[str, Any], directory: "Directory") -> dict[str, list[LinkedUnit]]:
    """``linked_units``: community path -> [{dept, relation}], every name checked against the directory."""
    out: dict[str, list[LinkedUnit]] = {}
    for path, items in (data.get("linked_units") or {}).items():
        unit = directory.unit(str(path))
        if unit is None or unit.level != "community":
            raise ValueError(f"挂钩联系单位：{path} 不是目录中的社区")
        seen: list[LinkedUnit] = []
        for item in items or ():
            dept, relation = str(item.get("dept") or ""), str(item.get("relation") or "")
            if dept not in directory.departments:
                raise ValueError(f"挂钩联系单位：{unit.name} 列出的部门 {dept} 不在部门名录中")
            if relation not in RELATIONS:
                raise ValueError(f"挂钩联系单位：{unit.name} 的 {directory.departments[dept].name} 关系应为"
                                 f"{'或'.join(RELATIONS)}")
            if any(u.dept == dept for u in seen):
                raise ValueError(f"挂钩联系单位：{unit.name} 重复列出 {directory.departments[dept].name}")
            seen.append(LinkedUnit(dept, relation))
        out[unit.path] = seen
    return out
