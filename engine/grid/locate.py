"""Where is this? Points to grids through an STRtree index; address text to a region by keyword rules."""

from __future__ import annotations

import math
import unicodedata
from typing import Iterable, Sequence

import shapely
from shapely import STRtree

from ..errors import InvalidInput
from .load import AddressRule
from .model import GRID_LEVELS, GridUnit

__all__ = ["PointIndex", "check_coordinates", "match_address"]


class PointIndex:
    """The units holding a point, most specific (smallest area) first; a point on an edge is in both."""

    def __init__(self, units: Iterable[GridUnit]) -> None:
        self.units: list[GridUnit] = [u for u in units if u.boundary is not None]
        self._tree = STRtree([u.boundary for u in self.units]) if self.units else None
        # Smaller first; for equal areas the deeper unit (a micro-grid drawn as its whole grid), then the path.
        self._order = [(u.boundary.area, -u.depth, u.path) for u in self.units]

    def __len__(self) -> int:
        return len(self.units)

    def at(self, lon: float, lat: float) -> list[GridUnit]:
        if self._tree is None:
            return []
        hits = self._tree.query(shapely.Point(lon, lat), predicate="intersects")
        if len(hits) == 1:
            return [self.units[hits[0]]]
        return [self.units[i] for i in sorted(hits, key=self._order.__getitem__)]


def grid_index(units: Iterable[GridUnit]) -> PointIndex:
    return PointIndex(u for u in units if u.level in GRID_LEVELS)


def check_coordinates(lon: object, lat: object) -> tuple[float, float]:
    """Longitude and latitude as floats, or InvalidInput naming the bad one."""
    out = []
    for name, value, limit in (("lon", lon, 180.0), ("lat", lat, 90.0)):
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            number = math.nan
        if isinstance(value, bool) or not math.isfinite(number) or abs(number) > limit:
            what = "经度" if name == "lon" else "纬度"
            raise InvalidInput(f"{what}“{str(value)[:30]}”无效：应为 −{limit:g}～{limit:g} 之间的数",
                               errors=[{"field": name, "message": f"−{limit:g}～{limit:g} 之间的数"}])
        out.append(number)
    return out[0], out[1]


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def match_address(text: str, rules: Sequence[AddressRule]) -> AddressRule | None:
    """The rule whose keyword found in ``text`` is the longest (the most specific); the first listed on a tie."""
    folded = _fold(text)
    best: tuple[int, int] | None = None
    found = None
    for n, rule in enumerate(rules):
        for keyword in rule.keywords:
            key = _fold(keyword)
            if key and key in folded and (best is None or (len(key), -n) > best):
                best, found = (len(key), -n), rule
    return found
