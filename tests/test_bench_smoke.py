"""The benchmark suite still runs: measurements 1 (engine overhead) and 4 (storage) at a tiny size.

No timing is asserted (these machines are shared and noisy); only that the figures exist, are
positive, and that the durable engine and bare SpiffWorkflow completed the same cases.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "run.py"


def _bench():
    spec = importlib.util.spec_from_file_location("gongzhi_bench_run", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_overhead_and_storage_tiny(tmp_path):
    bench = _bench()
    overhead = bench.measure_overhead(cases=2, repeats=1, folder=tmp_path, cache_off=False)
    assert overhead["bare_cases_per_s"] > 0 and overhead["durable_cases_per_s"] > 0 and overhead["ratio"] > 0
    assert overhead["durable_completed"] == overhead["bare_completed"] == 2

    storage = bench.measure_storage(cases=1, url=bench.sqlite_url(tmp_path, "storage.sqlite3"))
    for kind in ("completed", "open"):
        assert storage[kind]["row_bytes"] > 0 and storage[kind]["disk_bytes"] > 0
        assert storage[kind]["per_table"]["gz_instance"]["rows"] == 1
    assert storage["completed"]["per_table"]["gz_task"]["rows"] == bench.STEPS_PER_CASE
    assert storage["instances"] == {"completed": 2, "running": 1}
