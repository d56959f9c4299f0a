"""The grid benchmark still runs at a tiny size: 5 000 polygons pass the real loader and every point is placed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "grid_locate.py"


def test_the_grid_benchmark_builds_5000_polygons_and_locates_points() -> None:
    spec = importlib.util.spec_from_file_location("gongzhi_bench_grid_locate", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    result = module.run(points=600)
    assert result["polygons"] == 5000 and result["locate_median_us"] > 0
    assert 0.3 < result["share_in_micro_grid"] < 0.7  # the micro-grids cover half of each grid
