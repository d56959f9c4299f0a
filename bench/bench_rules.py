"""Benchmark: gongzhi.rules against SpiffWorkflow's DMN engine on the same table.

A 20-rule UNIQUE table (5 categories × 4 age bands) is written twice: once in
FEEL for Gongzhi, once with the Python-expression cells SpiffWorkflow expects.
Both are parsed up front (parsing is not timed); each engine then evaluates the
same inputs, and every answer is compared. Figures are the median of several
repeats, measured in the same run so machine speed cancels out of the ratio.

Run: ``python bench/bench_rules.py [evaluations-per-repeat]``
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

CATEGORIES = ["噪音", "漏水", "纠纷", "环境", "其他"]
# (FEEL cell, SpiffWorkflow Python cell) for each age band
AGE_BANDS = [("< 18", "< 18"), ("[18..35)", "18 <= ? < 35"), ("[35..60)", "35 <= ? < 60"), (">= 60", ">= 60")]
DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def _table_xml(cells: Callable[[str, str], tuple[str, str]], rules: list[tuple[str, str, int]]) -> bytes:
    """A dmn-js shaped single-table DMN document; ``cells`` renders one rule's input cells."""
    rows = []
    for i, (category, band, code) in enumerate(rules, start=1):
        cat_cell, age_cell = cells(category, band)
        rows.append(
            f'<rule id="DecisionRule_{i:03d}">'
            f'<inputEntry id="UnaryTests_{i:03d}a"><text>{cat_cell}</text></inputEntry>'
            f'<inputEntry id="UnaryTests_{i:03d}b"><text>{_escape(age_cell)}</text></inputEntry>'
            f'<outputEntry id="LiteralExpression_{i:03d}"><text>{code}</text></outputEntry></rule>'
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<definitions xmlns="{DMN_NS}" id="Definitions_bench" '
        'name="bench" namespace="http://camunda.org/schema/1.0/dmn">'
        '<decision id="bench" name="分诊基准"><decisionTable id="DecisionTable_bench">'
        '<input id="Input_1" label="类别"><inputExpression id="InputExpression_1" typeRef="string">'
        "<text>category</text></inputExpression></input>"
        '<input id="Input_2" label="年龄"><inputExpression id="InputExpression_2" typeRef="number">'
        "<text>age</text></inputExpression></input>"
        '<output id="Output_1" label="代码" name="code" typeRef="number" />'
        + "".join(rows)
        + "</decisionTable></decision></definitions>"
    ).encode("utf-8")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _rules() -> list[tuple[str, str, int]]:
    return [(c, band, ci * 10 + bi) for ci, c in enumerate(CATEGORIES) for bi, band in enumerate(AGE_BANDS)]


def build_gongzhi() -> Callable[[dict[str, Any]], Any]:
    from gongzhi.rules import load_dmn

    xml = _table_xml(lambda cat, band: (f'"{cat}"', band[0]), _rules())
    model = load_dmn(xml, filename="bench.dmn")
    decision = model.find("bench")  # resolve once; evaluate by id like a caller would
    return lambda inputs: model.evaluate(decision.id, inputs).result


def build_spiff() -> Callable[[dict[str, Any]], Any]:
    from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
    from SpiffWorkflow.dmn.parser.BpmnDmnParser import BpmnDmnParser

    xml = _table_xml(lambda cat, band: (f'"{cat}"', band[1]), _rules())
    parser = BpmnDmnParser()
    parser.add_dmn_str(xml, filename="bench.dmn")
    engine = parser.get_engine("bench", None)
    script_engine = PythonScriptEngine()

    def decide(inputs: dict[str, Any]) -> Any:
        # DMNEngine only needs task.data and task.workflow.script_engine
        task = SimpleNamespace(data=dict(inputs), workflow=SimpleNamespace(script_engine=script_engine))
        return engine.result(task).get("code")

    return decide


def sample_inputs(count: int) -> list[dict[str, Any]]:
    """Deterministic inputs covering every rule (a linear congruential sequence)."""
    seed, out = 12345, []
    for _ in range(count):
        seed = (seed * 1103515245 + 12345) % 2**31
        out.append({"category": CATEGORIES[seed % len(CATEGORIES)], "age": (seed >> 8) % 100})
    return out


def _rate(decide: Callable[[dict[str, Any]], Any], inputs: list[dict[str, Any]], repeats: int) -> float:
    """Median evaluations per second over ``repeats`` passes over ``inputs``."""
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for item in inputs:
            decide(item)
        rates.append(len(inputs) / (time.perf_counter() - start))
    return statistics.median(rates)


def run(evaluations: int = 5000, repeats: int = 5) -> dict[str, Any]:
    """Measure both engines; returns rates, their ratio and whether all answers agreed."""
    ours, spiff = build_gongzhi(), build_spiff()
    inputs = sample_inputs(evaluations)
    ours_answers = [ours(i) for i in inputs]
    spiff_answers = [spiff(i) for i in inputs]
    gongzhi_rate = _rate(ours, inputs, repeats)
    spiff_rate = _rate(spiff, inputs, repeats)
    return {
        "rules": len(_rules()),
        "evaluations": evaluations,
        "repeats": repeats,
        "gongzhi_per_s": gongzhi_rate,
        "spiff_per_s": spiff_rate,
        "ratio": gongzhi_rate / spiff_rate,
        "answers_match": ours_answers == spiff_answers,
        "mismatches": sum(a != b for a, b in zip(ours_answers, spiff_answers, strict=True)),
    }


def report(figures: dict[str, Any]) -> str:
    lines = [
        f"{figures['rules']}-rule UNIQUE table, {figures['evaluations']} evaluations × {figures['repeats']} repeats "
        "(median; parsing excluded)",
        f"{'engine':<32}{'evals/s':>12}{'µs/eval':>10}",
    ]
    engines = (("gongzhi.rules (FEEL, compiled)", "gongzhi_per_s"), ("SpiffWorkflow DMN (Python eval)", "spiff_per_s"))
    for label, key in engines:
        lines.append(f"{label:<32}{figures[key]:>12,.0f}{1e6 / figures[key]:>10.1f}")
    lines.append(f"ratio gongzhi/spiff: {figures['ratio']:.1f}x; answers identical: {figures['answers_match']}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)))
