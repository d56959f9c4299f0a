"""The grid directory's value objects: units of the administrative tree, their people, a location.

Kinds, levels and roles are named once here, in English for code and Chinese for people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..security.masking import mask_kind

__all__ = ["LEVELS", "KINDS", "DEDICATED_KINDS", "ROLES", "GridUnit", "Member", "Assignment", "Location"]

# The tree from the top; a dedicated grid (专属网格) sits at the "grid" level of its home community.
LEVELS = ("district", "street", "community", "grid", "micro_grid")
# Where each level's children are listed in the directory YAML.
CHILDREN = {"district": "streets", "street": "communities", "community": "grids", "grid": "micro_grids"}

DEDICATED_KINDS = {
    "dedicated": "专属网格",
    "school": "学校专属网格",
    "hospital": "医院专属网格",
    "market": "市场专属网格",
    "industrial_park": "园区专属网格",
    "commercial_street": "商业街专属网格",
    "office_building": "商务楼宇专属网格",
}
KINDS = {"district": "区", "street": "街道", "community": "社区", "grid": "一般网格", "micro_grid": "微网格",
         **DEDICATED_KINDS}
GRID_LEVELS = frozenset({"grid", "micro_grid"})  # the units a point is located in


@dataclass(frozen=True)
class Role:
    code: str
    name: str
    levels: frozenset[str]  # the levels a person of this role may be assigned to


# 网格长 … 楼栋长 and the 四员联动 roles that join a grid (网格警务/法律/卫生).
ROLES: dict[str, Role] = {r.code: r for r in (
    Role("grid_chief", "网格长", frozenset({"grid"})),
    Role("full_time", "专职网格员", frozenset({"grid"})),
    Role("part_time", "兼职网格员", frozenset({"grid", "micro_grid"})),
    Role("micro_grid_worker", "微网格员", frozenset({"micro_grid"})),
    Role("building_head", "楼栋长", frozenset({"grid", "micro_grid"})),
    Role("police", "网格警务", frozenset({"grid"})),
    Role("legal", "网格法律", frozenset({"grid"})),
    Role("health", "网格卫生", frozenset({"grid"})),
)}
ROLE_BY_NAME = {r.name: r for r in ROLES.values()}


@dataclass(frozen=True)
class GridUnit:
    """One node of the tree. The first seven fields are the older ``OrgUnit``'s, in its order."""

    path: str  # region path, e.g. ``990101/001/002/03/01``: what actors and cases are scoped by
    code: str
    name: str
    level: str  # one of LEVELS
    parent: str | None
    households: int | None = None
    dedicated: bool = False  # 专属网格: an overlay on the general grids
    kind: str = ""  # one of KINDS; the level for a general unit, the dedicated kind otherwise
    boundary: Any = field(default=None, compare=False, repr=False)  # a shapely Polygon/MultiPolygon, or None

    @property
    def kind_name(self) -> str:
        return KINDS.get(self.kind or self.level, self.kind)

    @property
    def depth(self) -> int:
        return self.path.count("/")

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "code": self.code, "name": self.name, "level": self.level,
                "parent": self.parent, "households": self.households, "dedicated": self.dedicated,
                "kind": self.kind or self.level}


@dataclass(frozen=True)
class Assignment:
    role: str  # a ROLES code
    grid: str  # region path of a grid or micro-grid

    @property
    def role_name(self) -> str:
        return ROLES[self.role].name


@dataclass(frozen=True)
class Member:
    """A person working in the grids of one community. Name and phone are personal data."""

    id: str
    name: str = field(repr=False)
    phone: str = field(default="", repr=False)
    community: str = ""
    assignments: tuple[Assignment, ...] = ()

    PERSONAL = {"name": "name", "phone": "phone"}  # field -> masking kind (gongzhi.security.masking)

    def view(self, pii: bool, grid: str | None = None) -> dict[str, Any]:
        """What a reader sees: name and phone masked unless ``pii``; roles on ``grid`` only if given."""
        values = {"name": self.name, "phone": self.phone}
        if not pii:
            values = {key: mask_kind(kind, values[key]) for key, kind in self.PERSONAL.items()}
        roles = [a for a in self.assignments if grid is None or a.grid == grid]
        return {"id": self.id, **values, "community": self.community,
                "roles": [{"role": a.role, "role_name": a.role_name, "grid": a.grid} for a in roles]}


@dataclass(frozen=True)
class Location:
    """Where a point or an address lies.

    ``region`` is the primary region a case is scoped by: the most specific general grid
    (a micro-grid, else a grid) holding the point; when none does, the street whose polygon
    holds it, the configured default street, or the district. ``overlays`` are the dedicated
    grids holding it: their members see the case besides everyone the primary region grants.
    """

    method: str  # grid | address | street | default_street | district
    region: str
    grids: tuple[GridUnit, ...]  # every grid holding the point, most specific (smallest) first
    overlays: tuple[GridUnit, ...]
    version: str

    METHODS = {"grid": "按坐标定位到网格", "address": "按地址关键词定位", "street": "不在任何网格内，按街道范围分派",
               "default_street": "不在任何网格或街道范围内，分派到默认街道", "district": "不在任何网格或街道范围内，分派到区"}

    @property
    def method_name(self) -> str:
        return self.METHODS[self.method]

    def as_dict(self) -> dict[str, Any]:
        """What a case records of where it was opened (JSON values, region paths only)."""
        return {"region": self.region, "method": self.method, "grids": [u.path for u in self.grids],
                "overlays": [u.path for u in self.overlays], "grid_version": self.version}
