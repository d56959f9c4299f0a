"""Boundaries: GeoJSON geometries read into Shapely, and the checks each must pass."""

from __future__ import annotations

import math
import re
from typing import Any, Mapping

import shapely
from shapely.geometry import shape

__all__ = ["read_geometry", "outside_share", "POLYGONAL"]

POLYGONAL = ("Polygon", "MultiPolygon")
_AT = re.compile(r"\[\s*(-?[0-9.eE+-]+)\s+(-?[0-9.eE+-]+)\s*\]")
# GEOS's reasons (shapely.is_valid_reason), in words an integrator reads.
_REASONS = {
    "Self-intersection": "边界自相交",
    "Ring Self-intersection": "边界环自相交",
    "Too few points in geometry component": "边界点数太少",
    "Interior is disconnected": "内部不连通",
    "Hole lies outside shell": "内洞在外边界之外",
    "Nested shells": "多边形相互嵌套",
    "Duplicate Rings": "边界环重复",
    "Invalid Coordinate": "坐标无效",
    "Ring is not closed": "边界环未闭合",
}


def read_geometry(geojson: Any) -> tuple[Any, str | None]:
    """(geometry, None) for a valid Polygon/MultiPolygon in longitude/latitude, else (None, what is wrong)."""
    if not isinstance(geojson, Mapping) or geojson.get("type") not in POLYGONAL:
        kind = geojson.get("type") if isinstance(geojson, Mapping) else type(geojson).__name__
        return None, f"边界应为 GeoJSON Polygon 或 MultiPolygon，实际是 {kind}"
    try:
        geometry = shape(geojson)
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.GEOSException) as exc:
        return None, f"边界坐标无法读取：{exc}"
    if geometry.is_empty:
        return None, "边界为空"
    minx, miny, maxx, maxy = geometry.bounds
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)) or not (
            -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        return None, "边界坐标超出经纬度范围（经度 −180～180，纬度 −90～90，顺序为 [经度, 纬度]）"
    reason = shapely.is_valid_reason(geometry)
    if reason != "Valid Geometry":
        return None, _explain(reason)
    if geometry.area == 0:
        return None, "边界面积为零"
    shapely.prepare(geometry)
    return geometry, None


def _explain(reason: str) -> str:
    head = reason.split("[", 1)[0].strip()
    words = _REASONS.get(head, f"边界无效（{head}）")
    at = _AT.search(reason)
    return f"{words}，位置：经度 {float(at.group(1)):.6f}，纬度 {float(at.group(2)):.6f}" if at else words


def outside_share(inner: Any, outer: Any) -> float:
    """The share (0–1) of ``inner``'s area lying outside ``outer``."""
    return inner.difference(outer).area / inner.area
