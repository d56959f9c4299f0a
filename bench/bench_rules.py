"""Benchmark: gongzhi.rules against SpiffWorkflow's DMN engine on the same table.

A 20-rule UNIQUE table (5 categories × 4 age bands) is written twice: once in
FEEL for Gongzhi, once with the Python-expression cells SpiffWorkflow expects.
Both are parsed up front (parsing is not timed); each engine then evaluates the
same inputs, and every answer is compared. Figures are the median of several
repeats, measured in the same run so machine speed cancels out of the ratio.

A second benchmark times a context-and-BKM decision (DMN 1.3, as Camunda
Modeler saves it): a boxed context whose entries call a scoring BKM for each
of five departments, average the scores and invoke a BKM whose body is a FIRST
decision table. SpiffWorkflow cannot evaluate BKMs or boxed contexts, so this
figure stands alone; every answer is checked against a Python reference.

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


CONTEXT_BKM_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="{DMN_NS}" id="Definitions_ctx" name="bench" namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="evaluation" name="综合评价">
    <knowledgeRequirement id="kr1"><requiredKnowledge href="#score" /></knowledgeRequirement>
    <knowledgeRequirement id="kr2"><requiredKnowledge href="#grade" /></knowledgeRequirement>
    <context id="Context_1">
      <contextEntry id="ce1"><variable id="v1" name="得分" />
        <literalExpression id="le1"><text>for d in departments return 部门得分(d.rating, d.signed)</text></literalExpression>
      </contextEntry>
      <contextEntry id="ce2"><variable id="v2" name="平均分" typeRef="number" />
        <literalExpression id="le2"><text>decimal(mean(得分), 1)</text></literalExpression>
      </contextEntry>
      <contextEntry id="ce3"><variable id="v3" name="低分数" typeRef="number" />
        <literalExpression id="le3"><text>count(departments[rating &lt; 3])</text></literalExpression>
      </contextEntry>
      <contextEntry id="ce4">
        <literalExpression id="le4"><text>评价等级(平均分, 低分数)</text></literalExpression>
      </contextEntry>
    </context>
  </decision>
  <businessKnowledgeModel id="score" name="部门得分">
    <encapsulatedLogic id="f1">
      <formalParameter id="p1" name="rating" typeRef="number" />
      <formalParameter id="p2" name="signed" typeRef="boolean" />
      <literalExpression id="le5"><text>rating * 20 - (if signed then 0 else 10)</text></literalExpression>
    </encapsulatedLogic>
  </businessKnowledgeModel>
  <businessKnowledgeModel id="grade" name="评价等级">
    <encapsulatedLogic id="f2">
      <formalParameter id="p3" name="平均分" typeRef="number" />
      <formalParameter id="p4" name="低分数" typeRef="number" />
      <decisionTable id="dt" hitPolicy="FIRST">
        <input id="i1"><inputExpression id="ie1" typeRef="number"><text>平均分</text></inputExpression></input>
        <input id="i2"><inputExpression id="ie2" typeRef="number"><text>低分数</text></inputExpression></input>
        <output id="o1" name="等级" typeRef="string" />
        <rule id="r1"><inputEntry id="a1"><text>&gt;= 80</text></inputEntry><inputEntry id="a2"><text>0</text></inputEntry>
          <outputEntry id="b1"><text>"优秀"</text></outputEntry></rule>
        <rule id="r2"><inputEntry id="a3"><text>&gt;= 60</text></inputEntry><inputEntry id="a4"><text>-</text></inputEntry>
          <outputEntry id="b2"><text>"合格"</text></outputEntry></rule>
        <rule id="r3"><inputEntry id="a5"><text>-</text></inputEntry><inputEntry id="a6"><text>-</text></inputEntry>
          <outputEntry id="b3"><text>"待改进"</text></outputEntry></rule>
      </decisionTable>
    </encapsulatedLogic>
  </businessKnowledgeModel>
</definitions>""".encode("utf-8")


def context_inputs(count: int) -> list[dict[str, Any]]:
    """Five departments per evaluation, ratings 1-5, every fourth unsigned (deterministic)."""
    seed, out = 54321, []
    for _ in range(count):
        departments = []
        for k in range(5):
            seed = (seed * 1103515245 + 12345) % 2**31
            departments.append({"name": f"部门{k}", "rating": 1 + (seed >> 8) % 5, "signed": (seed >> 12) % 4 != 0})
        out.append({"departments": departments})
    return out


def context_reference(inputs: dict[str, Any]) -> str:
    """The decision computed in plain Python, to check every answer of the benchmark."""
    from decimal import ROUND_HALF_EVEN, Decimal

    scores = [d["rating"] * 20 - (0 if d["signed"] else 10) for d in inputs["departments"]]
    average = (Decimal(sum(scores)) / len(scores)).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
    low = sum(d["rating"] < 3 for d in inputs["departments"])
    return "优秀" if average >= 80 and low == 0 else "合格" if average >= 60 else "待改进"


def build_context_bkm() -> Callable[[dict[str, Any]], Any]:
    from gongzhi.rules import load_dmn

    model = load_dmn(CONTEXT_BKM_XML, filename="bench_context.dmn")
    decision = model.find("evaluation")
    return lambda inputs: model.evaluate(decision.id, inputs).result


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
    boxed = build_context_bkm()
    boxed_inputs = context_inputs(max(evaluations // 5, 10))
    boxed_answers = [boxed(i) for i in boxed_inputs]
    return {
        "context_bkm_per_s": _rate(boxed, boxed_inputs, repeats),
        "context_bkm_evaluations": len(boxed_inputs),
        "context_bkm_answers_match": boxed_answers == [context_reference(i) for i in boxed_inputs],
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
    lines.append(
        f"context + 2 BKMs (5 calls, 1 BKM table), {figures['context_bkm_evaluations']} evaluations: "
        f"{figures['context_bkm_per_s']:,.0f} evals/s, {1e6 / figures['context_bkm_per_s']:.1f} µs/eval; "
        f"answers match the Python reference: {figures['context_bkm_answers_match']}"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)))
