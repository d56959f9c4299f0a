"""Benchmark: "where is this?" among 5 000 grid polygons (issue 19: median lookup < 50 µs).

A made-up district on a jittered lattice: 25 streets of 10 × 10 general grids (2 500), each grid
with one micro-grid over its western half (2 500 more): 5 000 grid polygons, read and checked by
the real loader (``gongzhi.grid.GridDirectory.from_data``). Random points over the district's
bounding box are then located one by one, each call timed on its own; the figures are medians
(and the 95th percentile) of those calls. ``locate`` is the full answer (a ``Location`` with the
primary region, overlays and version, the street when no grid holds the point); ``grids_at`` is
the index query alone.

Run: ``python bench/grid_locate.py [points]``
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from typing import Any

CELL = 0.002  # degrees, about 200 m
SIDE = 50  # grids per side: 2 500 grids
BLOCK = 10  # grids per street side: 25 streets
X0, Y0 = 120.0, 30.0


def _lattice(seed: int) -> list[list[tuple[float, float]]]:
    rnd = random.Random(seed)
    pts = []
    for i in range(SIDE + 1):
        row = []
        for j in range(SIDE + 1):
            jx = 0 if i in (0, SIDE) else rnd.uniform(-0.15, 0.15) * CELL
            jy = 0 if j in (0, SIDE) else rnd.uniform(-0.15, 0.15) * CELL
            row.append((round(X0 + i * CELL + jx, 7), round(Y0 + j * CELL + jy, 7)))
        pts.append(row)
    return pts


def _ring(points: list[tuple[float, float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[list(p) for p in points + points[:1]]]}


def build(seed: int = 19) -> tuple[dict[str, Any], dict[str, Any]]:
    """The directory mapping and its GeoJSON boundaries."""
    import shapely
    from shapely.geometry import mapping, shape

    p = _lattice(seed)
    features: list[dict[str, Any]] = []
    streets = []
    for s in range((SIDE // BLOCK) ** 2):
        bx, by = divmod(s, SIDE // BLOCK)
        street = f"990102/{s + 1:03d}"
        grids, quads = [], []
        for g in range(BLOCK * BLOCK):
            i, j = bx * BLOCK + g // BLOCK, by * BLOCK + g % BLOCK
            a, b, c, d = p[i][j], p[i + 1][j], p[i + 1][j + 1], p[i][j + 1]
            quad = _ring([a, b, c, d])
            west = _ring([a, ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2), ((c[0] + d[0]) / 2, (c[1] + d[1]) / 2), d])
            path = f"{street}/001/{g + 1:03d}"
            features += [{"properties": {"region": path}, "geometry": quad},
                         {"properties": {"region": path + "/01"}, "geometry": west}]
            quads.append(shape(quad))
            grids.append({"code": f"{g + 1:03d}", "name": f"第{s + 1}街道第{g + 1}网格", "households": 400,
                          "micro_grids": [{"code": "01", "name": "西微网格", "households": 90}]})
        outline = mapping(shapely.union_all(quads))
        features += [{"properties": {"region": street}, "geometry": outline},
                     {"properties": {"region": street + "/001"}, "geometry": outline}]
        streets.append({"code": f"{s + 1:03d}", "name": f"第{s + 1}街道", "communities": [
            {"code": "001", "name": f"第{s + 1}社区", "grids": grids}]})
    district = _ring([p[0][0], p[SIDE][0], p[SIDE][SIDE], p[0][SIDE]])
    features.append({"properties": {"region": "990102"}, "geometry": district})
    data = {"district": {"code": "990102", "name": "基准区", "streets": streets}}
    return data, {"type": "FeatureCollection", "features": [{"type": "Feature", **f} for f in features]}


def _timed(call: Any, points: list[tuple[float, float]]) -> list[float]:
    out = []
    clock = time.perf_counter_ns
    for lon, lat in points:
        t = clock()
        call(lon, lat)
        out.append((clock() - t) / 1000)
    return out


def run(points: int = 20_000, seed: int = 19) -> dict[str, Any]:
    from gongzhi.grid import GridDirectory

    data, boundaries = build(seed)
    started = time.perf_counter()
    grids = GridDirectory.from_data(data, boundaries)
    load_s = time.perf_counter() - started
    polygons = sum(1 for u in grids.walk() if u.level in ("grid", "micro_grid"))
    rnd = random.Random(seed)
    span = SIDE * CELL
    sample = [(X0 + rnd.uniform(0.001, span - 0.001), Y0 + rnd.uniform(0.001, span - 0.001)) for _ in range(points)]
    for lon, lat in sample[:500]:  # warm up
        grids.locate(lon, lat)
    located = _timed(grids.locate, sample)
    raw = _timed(grids.grids_at, sample)
    checked = sample[:2000]
    in_micro = sum(1 for lon, lat in checked if grids.locate(lon, lat).region.count("/") == 4)
    q = statistics.quantiles(located, n=20)
    return {"polygons": polygons, "points": points, "load_s": round(load_s, 2),
            "locate_median_us": round(statistics.median(located), 1), "locate_p95_us": round(q[-1], 1),
            "grids_at_median_us": round(statistics.median(raw), 1),
            "share_in_micro_grid": round(in_micro / len(checked), 2)}


if __name__ == "__main__":
    result = run(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
    for key, value in result.items():
        print(f"{key}: {value}")
