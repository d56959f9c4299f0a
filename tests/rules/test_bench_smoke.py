"""The benchmark runs at tiny size and both engines agree on every answer."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_rules.py"


def load_bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_rules", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_smoke() -> None:
    bench = load_bench()
    figures = bench.run(evaluations=60, repeats=1)
    assert figures["rules"] == 20
    assert figures["answers_match"] is True and figures["mismatches"] == 0
    assert figures["ratio"] > 0 and figures["gongzhi_per_s"] > 0 and figures["spiff_per_s"] > 0
    assert "ratio gongzhi/spiff" in bench.report(figures)
    assert figures["context_bkm_answers_match"] is True and figures["context_bkm_per_s"] > 0
    assert "context + 2 BKMs" in bench.report(figures)


def test_context_benchmark_inputs_reach_every_grade() -> None:
    bench = load_bench()
    grades = {bench.context_reference(i) for i in bench.context_inputs(200)}
    assert grades == {"优秀", "合格", "待改进"}


def test_sample_inputs_cover_every_rule() -> None:
    bench = load_bench()

    def band(age: int) -> int:
        return sum(age >= limit for limit in (18, 35, 60))

    seen = {(item["category"], band(item["age"])) for item in bench.sample_inputs(400)}
    assert len(seen) == len(bench.CATEGORIES) * len(bench.AGE_BANDS) == 20
