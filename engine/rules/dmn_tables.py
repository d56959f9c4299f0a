"""Loading decision tables: hit policies, input and output clauses, rules and their cells.

A mixin of the DMN loader (:mod:`dmn`): it uses the loader's ``problem``,
``compile``, ``expression_problem``, ``tag``, ``ns`` and ``current_env``. Every
cell is parsed and compiled here, once; tables nested in BKMs and contexts
compile in the scope they sit in.
"""

from __future__ import annotations

from typing import Any

from .compile import Env, constant
from .feel import FeelError
from .model import AGGREGATIONS, HIT_POLICIES, Cell, Decision, DecisionTable, InputClause, OutputClause, Rule
from .types import converter
from .unary import UnaryTests, parse_unary_tests


def _text(element: Any, ns: str, child: str = "text") -> str | None:
    found = element.find(f"{{{ns}}}{child}")
    return None if found is None else (found.text or "")


class TableLoader:
    """Decision tables of one DMN file (mixed into the loader)."""

    ns: str
    env: Env
    current_env: Env
    problem: Any
    compile: Any
    expression_problem: Any
    tag: Any


    def table(self, decision: Any, element: Any, env: Env | None = None) -> DecisionTable:
        saved, self.current_env = self.current_env, env or self.env
        try:
            return self._table(decision, element)
        finally:
            self.current_env = saved

    def _table(self, decision: Any, element: Any) -> DecisionTable:
        hit_policy = " ".join((element.get("hitPolicy") or "UNIQUE").upper().replace("_", " ").split())
        aggregation = element.get("aggregation")
        if hit_policy not in HIT_POLICIES:
            self.problem(
                f"{decision.title}：未知的命中策略 '{hit_policy}'（supported: {', '.join(HIT_POLICIES)}）",
                element,
                decision.id,
                "hit-policy",
            )
        if aggregation and (hit_policy != "COLLECT" or aggregation not in AGGREGATIONS):
            self.problem(
                f"{decision.title}：聚合 '{aggregation}' 只能用于 COLLECT（SUM、MIN、MAX、COUNT）",
                element,
                decision.id,
                "hit-policy",
            )
        inputs = [self.input_clause(decision, el) for el in element.findall(self.tag("input"))]
        outputs = [self.output_clause(decision, el) for el in element.findall(self.tag("output"))]
        table = DecisionTable(element.get("id", ""), hit_policy, aggregation, inputs, outputs, [], element.sourceline)
        rules = element.findall(self.tag("rule"))
        table.rules = [self.rule(decision, table, el, i) for i, el in enumerate(rules, start=1)]
        self.check_table(decision, table, element)
        return table

    def check_table(self, decision: Decision, table: DecisionTable, element: Any) -> None:
        if not table.outputs:
            self.problem(f"{decision.title}：决策表没有输出列", element, decision.id, "structure")
        if table.aggregation and len(table.outputs) > 1:
            self.problem(
                f"{decision.title}：带聚合（{table.aggregation}）的 COLLECT 表只能有一个输出列",
                element,
                decision.id,
                "hit-policy",
            )
        if table.hit_policy in ("PRIORITY", "OUTPUT ORDER") and not any(o.values for o in table.outputs):
            self.problem(
                f"{decision.title}：{table.hit_policy} 命中策略需要输出列定义允许值（outputValues）作为优先级",
                element,
                decision.id,
                "hit-policy",
            )

    def input_clause(self, decision: Decision, element: Any) -> InputClause:
        label = element.get("label") or ""
        expr_el = element.find(self.tag("inputExpression"))
        text = (_text(expr_el, self.ns) if expr_el is not None else None) or ""
        type_ref = expr_el.get("typeRef") if expr_el is not None else None
        where = f"{decision.title} 输入列 '{label or text}'"
        expression = self.compile(text, expr_el if expr_el is not None else element, decision, where)
        values = self.value_list(element, "inputValues", decision, where)
        return InputClause(
            element.get("id", ""),
            label,
            expression,
            text.strip(),
            type_ref,
            converter(type_ref),
            values,
            element.sourceline,
        )

    def output_clause(self, decision: Decision, element: Any) -> OutputClause:
        name, label = element.get("name") or "", element.get("label") or ""
        type_ref = element.get("typeRef")
        where = f"{decision.title} 输出列 '{label or name}'"
        allowed = self.value_list(element, "outputValues", decision, where)
        values = None
        if allowed is not None:
            if allowed.literals and not allowed.names and not allowed.uses_input:
                values = allowed.literals
            else:
                self.problem(f"{where}：允许值（outputValues）只能是常量列表", element, decision.id, "unparsable")
        default_el = element.find(self.tag("defaultOutputEntry"))
        default = None
        if default_el is not None and (_text(default_el, self.ns) or "").strip():
            default = self.compile(_text(default_el, self.ns) or "", default_el, decision, f"{where} 默认值")
        return OutputClause(
            element.get("id", ""), label, name, type_ref, converter(type_ref), values, default, element.sourceline
        )

    def value_list(self, element: Any, tag: str, decision: Decision, where: str) -> UnaryTests | None:
        values_el = element.find(self.tag(tag))
        text = None if values_el is None else _text(values_el, self.ns)
        if not text or not text.strip():
            return None
        try:
            return parse_unary_tests(text, self.current_env)
        except FeelError as exc:
            self.problem(f'{where} 允许值：无法解析 "{text}"：{exc}', values_el, decision.id, "unparsable")
            return None

    def rule(self, decision: Decision, table: DecisionTable, element: Any, index: int) -> Rule:
        rule_id = element.get("id") or str(index)
        entries = element.findall(self.tag("inputEntry"))
        out_entries = element.findall(self.tag("outputEntry"))
        prefix = f"{decision.title}第 {index} 条规则"
        if len(entries) != len(table.inputs) or len(out_entries) != len(table.outputs):
            self.problem(
                f"{prefix}：单元格数量与列数不符（{len(entries)}/{len(table.inputs)} 输入，"
                f"{len(out_entries)}/{len(table.outputs)} 输出）",
                element,
                decision.id,
                "structure",
            )
        rule = Rule(rule_id, index, [], [], [], [], element.sourceline,
                    description=(_text(element, self.ns, "description") or "").strip())
        for entry, clause in zip(entries, table.inputs, strict=False):
            text = _text(entry, self.ns) or ""
            rule.input_cells.append(Cell(text, entry.sourceline))
            rule.tests.append(self.cell(text, entry, decision, f"{prefix}，输入列 '{clause.display}'"))
        for entry, out in zip(out_entries, table.outputs, strict=False):
            text = _text(entry, self.ns) or ""
            rule.output_cells.append(Cell(text, entry.sourceline))
            where = f"{prefix}，输出列 '{out.display}'"
            rule.outputs.append(self.compile(text, entry, decision, where) if text.strip() else constant(None, None))
        rule.checks = [(i, t.test) for i, t in enumerate(rule.tests) if t.test is not None]
        return rule

    def cell(self, text: str, entry: Any, decision: Decision, where: str) -> UnaryTests:
        try:
            return parse_unary_tests(text, self.current_env)
        except FeelError as exc:
            self.expression_problem(exc, text, entry, decision, where)
            return parse_unary_tests("-")
