"""The grid directory: the tree with boundaries and people, versioned, and the answer to "where is this?"."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping

import shapely

from ..errors import InvalidInput
from .errors import AddressUnmatched, NoGridData, OutsideDistrict
from .load import GridSettings, parse, read_files
from .locate import PointIndex, check_coordinates, grid_index, match_address
from .model import GRID_LEVELS, LEVELS, GridUnit, Location, Member

__all__ = ["GridDirectory"]


class GridDirectory:
    """Units by region path, members by id, the settings they were checked against and a content ``version``.

    Build it with :meth:`load` (a directory YAML and the files it names) or :meth:`from_data`;
    either checks every rule and raises ``GridInvalid`` listing what is wrong.
    """

    def __init__(self, units: Mapping[str, GridUnit], members: Mapping[str, Member], settings: GridSettings,
                 version: str, has_boundaries: bool) -> None:
        self.units = dict(units)
        self.members = dict(members)
        self.settings = settings
        self.version = version  # changes with the tree, boundaries or rules; a case records it
        self.has_boundaries = has_boundaries
        self._grids = grid_index(self.units.values())
        self._streets = PointIndex(u for u in self.units.values() if u.level == "street")
        self._staff: dict[str, list[Member]] = {}
        for member in self.members.values():
            for grid in dict.fromkeys(a.grid for a in member.assignments):
                self._staff.setdefault(grid, []).append(member)
        self._children: dict[str, list[GridUnit]] = {}
        for unit in self.units.values():
            if unit.parent is not None:
                self._children.setdefault(unit.parent, []).append(unit)

    @classmethod
    def load(cls, path: str | Path) -> "GridDirectory":
        data, boundaries, people = read_files(path)
        return cls.from_data(data, boundaries, people, str(path))

    @classmethod
    def from_data(cls, data: Mapping[str, Any], boundaries: Any = None, people: Mapping[str, Any] | None = None,
                  source: str = "") -> "GridDirectory":
        parsed = parse(data, boundaries, people, source)
        return cls(parsed.units, parsed.members, parsed.settings, parsed.version, parsed.has_boundaries)

    # --- the tree -----------------------------------------------------------------------------

    @property
    def district(self) -> GridUnit:
        return next(iter(self.units.values()))

    def unit(self, path: str) -> GridUnit | None:
        return self.units.get((path or "").strip("/"))

    def children(self, path: str) -> list[GridUnit]:
        return list(self._children.get(path.strip("/"), ()))

    def of_level(self, level: str) -> list[GridUnit]:
        return [u for u in self.units.values() if u.level == level]

    def ancestor(self, path: str, level: str) -> GridUnit | None:
        """The unit of ``level`` on the way from the district to ``path`` (itself included)."""
        parts = path.strip("/").split("/")
        depth = LEVELS.index(level)
        return self.unit("/".join(parts[: depth + 1])) if len(parts) > depth else None

    def members_of(self, path: str) -> list[Member]:
        """The people with a role on the grid at ``path``."""
        return list(self._staff.get(path.strip("/"), ()))

    def walk(self) -> Iterable[GridUnit]:
        return iter(self.units.values())

    # --- where is this? -----------------------------------------------------------------------

    def grids_at(self, lon: float, lat: float) -> list[GridUnit]:
        """Every grid and micro-grid (dedicated ones too) holding the point, most specific first."""
        return self._grids.at(lon, lat)

    def locate(self, lon: object = None, lat: object = None, address: str | None = None) -> Location:
        """Coordinates first; address rules when the point lies in no general grid (or no point is given).

        A point outside the district raises OutsideDistrict; inside it but in no grid, the street
        whose polygon holds it, else the default street, else the district — never an error.
        Only an address alone that matches no rule raises (AddressUnmatched).
        """
        if lon is None and lat is None:
            if not address or not address.strip():
                raise InvalidInput("请给出坐标（经度 lon 与纬度 lat）或地址 address",
                                   errors=[{"field": "lon", "message": "缺少坐标或地址"}])
            return self.locate_address(address)
        found = self.locate_point(lon, lat)
        if found.method != "grid" and address:
            rule = match_address(address, self.settings.address_rules)
            if rule is not None:
                return self._address_location(rule.region, found.overlays)
        return found

    def locate_point(self, lon: object, lat: object) -> Location:
        x, y = check_coordinates(lon, lat)
        if not self.has_boundaries:
            raise NoGridData("网格边界")
        hits = self._grids.at(x, y)
        overlays = tuple(u for u in hits if u.dedicated)
        general = next((u for u in hits if not u.dedicated), None)
        if general is not None:
            return Location("grid", general.path, tuple(hits), overlays, self.version)
        if not self.district.boundary.intersects(shapely.Point(x, y)):
            raise OutsideDistrict(x, y, self.district.name)
        streets = self._streets.at(x, y)
        if streets:
            return Location("street", streets[0].path, tuple(hits), overlays, self.version)
        if self.settings.default_street:
            return Location("default_street", self.settings.default_street, tuple(hits), overlays, self.version)
        return Location("district", self.district.path, tuple(hits), overlays, self.version)

    def locate_address(self, address: str) -> Location:
        rule = match_address(address or "", self.settings.address_rules)
        if rule is None:
            raise AddressUnmatched()
        return self._address_location(rule.region, ())

    def _address_location(self, region: str, overlays: tuple[GridUnit, ...]) -> Location:
        unit = self.units[region]
        if unit.dedicated:  # a rule naming a dedicated grid: the overlay, with its community as primary region
            overlays = tuple(dict.fromkeys((unit, *overlays)))
            return Location("address", unit.parent or region, overlays, overlays, self.version)
        grids = (unit,) if unit.level in GRID_LEVELS else ()
        return Location("address", region, grids + overlays, overlays, self.version)
