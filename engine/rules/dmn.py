"""Load DMN XML (1.1 to 1.5 namespaces) into a compiled :class:`DmnModel`.

Every cell is parsed and compiled here, once. Anything that makes a decision
impossible to evaluate (bad XML, unknown hit policy, an unparsable cell, a
requirement cycle) is collected as a :class:`Problem` and raised together as
:class:`DefinitionInvalid`, so a modeler sees all mistakes in one go.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from lxml import etree

from ..errors import DefinitionInvalid, Problem
from .compile import Compiled, compile_text, constant
from .feel import FeelError
from .model import (
    AGGREGATIONS,
    HIT_POLICIES,
    Cell,
    Decision,
    DecisionTable,
    DmnModel,
    InputClause,
    LiteralExpression,
    OutputClause,
    Rule,
)
from .types import converter
from .unary import UnaryTests, parse_unary_tests

DMN_NAMESPACES = {
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd": "1.1",
    "http://www.omg.org/spec/DMN/20180521/MODEL/": "1.2",
    "https://www.omg.org/spec/DMN/20191111/MODEL/": "1.3",
    "https://www.omg.org/spec/DMN/20211108/MODEL/": "1.4",
    "https://www.omg.org/spec/DMN/20230324/MODEL/": "1.5",
}

# No entity expansion or network access: DMN files come from modelers' uploads.
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)


def load_dmn(source: bytes | str | os.PathLike[str], filename: str | None = None) -> DmnModel:
    """Load and compile a DMN file.

    ``source`` is XML bytes, XML text (a string starting with ``<``) or a path.
    Raises :class:`DefinitionInvalid` listing every structural or parse problem.
    """
    data, filename = _read(source, filename)
    try:
        root = etree.fromstring(data, _XML_PARSER)
    except etree.XMLSyntaxError as exc:
        problem = Problem(filename, f"DMN 文件不是有效的 XML：{exc.msg}", line=exc.lineno, code="xml")
        raise DefinitionInvalid([problem]) from exc
    loader = _Loader(filename, root)
    model = loader.load()
    if loader.problems:
        raise DefinitionInvalid(loader.problems)
    return model


def _read(source: bytes | str | os.PathLike[str], filename: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, filename or "<dmn>"
    if isinstance(source, str) and source.lstrip().startswith("<"):
        return source.encode("utf-8"), filename or "<dmn>"
    path = Path(source)
    return path.read_bytes(), filename or str(path)


def _text(element: Any, ns: str, child: str = "text") -> str | None:
    found = element.find(f"{{{ns}}}{child}")
    return None if found is None else (found.text or "")


class _Loader:
    """Turns one ``definitions`` element into a model, collecting problems."""

    def __init__(self, filename: str, root: Any) -> None:
        self.file = filename
        self.root = root
        self.ns = etree.QName(root).namespace or ""
        self.problems: list[Problem] = []

    def problem(self, message: str, element: Any, element_id: str | None, code: str = "invalid") -> None:
        line = getattr(element, "sourceline", None)
        self.problems.append(Problem(self.file, message, element_id=element_id, line=line, code=code))

    def tag(self, name: str) -> str:
        return f"{{{self.ns}}}{name}"

    def load(self) -> DmnModel:
        if etree.QName(self.root).localname != "definitions" or self.ns not in DMN_NAMESPACES:
            known = ", ".join(DMN_NAMESPACES)
            self.problem(
                f"不是 DMN 文件：根元素应为 DMN definitions（namespace {self.ns!r}; supported: {known}）",
                self.root,
                None,
                "namespace",
            )
            return DmnModel(self.file, {})
        input_data = {
            el.get("id", ""): el.get("name") or el.get("id", "") for el in self.root.iter(self.tag("inputData"))
        }
        decisions: dict[str, Decision] = {}
        for element in self.root.iter(self.tag("decision")):
            decision = self.decision(element, input_data)
            if decision is not None:
                if decision.id in decisions:
                    self.problem(f"决策 id '{decision.id}' 重复", element, decision.id, "duplicate")
                decisions[decision.id] = decision
        model = DmnModel(self.file, decisions, input_data, self.ns)
        self.check_requirements(model)
        return model

    # --- decisions -------------------------------------------------------

    def decision(self, element: Any, input_data: dict[str, str]) -> Decision | None:
        decision_id = element.get("id")
        if not decision_id:
            self.problem("决策缺少 id 属性", element, None, "structure")
            return None
        # logic is filled in below; the decision must exist first because cell messages quote its title
        shell = Decision(decision_id, element.get("name") or decision_id, element.sourceline, logic=None)  # type: ignore[arg-type]
        for req in element.iter(self.tag("informationRequirement")):
            self.requirement(shell, req, input_data)
        table = element.find(self.tag("decisionTable"))
        literal = element.find(self.tag("literalExpression"))
        if table is not None:
            shell.logic = self.table(shell, table)
        elif literal is not None:
            shell.logic = self.literal(shell, element, literal)
        else:
            self.problem(
                f"{shell.title}：只支持决策表（decisionTable）和字面表达式（literalExpression）",
                element,
                decision_id,
                "unsupported",
            )
            return None
        return shell

    def requirement(self, decision: Decision, req: Any, input_data: dict[str, str]) -> None:
        for child in req:
            href = (child.get("href") or "").lstrip("#")
            local = etree.QName(child).localname
            if local == "requiredDecision":
                decision.required_decisions.append(href)
            elif local == "requiredInput":
                if href not in input_data:
                    self.problem(f"{decision.title}：引用了不存在的输入数据 '{href}'", child, decision.id, "reference")
                else:
                    decision.required_inputs.append(input_data[href])

    def literal(self, decision: Decision, element: Any, literal: Any) -> LiteralExpression:
        text = _text(literal, self.ns) or ""
        variable = element.find(self.tag("variable"))
        type_ref = literal.get("typeRef") or (variable.get("typeRef") if variable is not None else None)
        expression = self.compile(text, literal, decision, f"{decision.title} 字面表达式")
        return LiteralExpression(text, expression, type_ref, converter(type_ref), literal.sourceline)

    def compile(self, text: str, element: Any, decision: Decision, where: str) -> Compiled:
        """Compile an expression; on failure record a problem and return a null stand-in."""
        try:
            return compile_text(text)
        except FeelError as exc:
            self.problem(f'{where}：无法解析 "{text}"：{exc}', element, decision.id, "unparsable")
            return constant(None, None)

    # --- decision tables ---------------------------------------------------

    def table(self, decision: Decision, element: Any) -> DecisionTable:
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
            return parse_unary_tests(text)
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
            return parse_unary_tests(text)
        except FeelError as exc:
            self.problem(f'{where}：无法解析 "{text.strip()}"：{exc}', entry, decision.id, "unparsable")
            return parse_unary_tests("-")

    # --- requirement graph ---------------------------------------------------

    def check_requirements(self, model: DmnModel) -> None:
        for decision in model.decisions.values():
            for req in decision.required_decisions:
                if req not in model.decisions:
                    self.problem(f"{decision.title}：依赖的决策 '{req}' 不存在", None, decision.id, "reference")
        visiting: list[str] = []
        done: set[str] = set()

        def visit(decision_id: str) -> None:
            if decision_id in done or decision_id not in model.decisions:
                return
            if decision_id in visiting:
                cycle = " → ".join([*visiting[visiting.index(decision_id) :], decision_id])
                self.problems.append(
                    Problem(
                        self.file,
                        f"决策依赖存在循环：{cycle}",
                        element_id=decision_id,
                        line=model.decisions[decision_id].line,
                        code="cycle",
                    )
                )
                return
            visiting.append(decision_id)
            for req in model.decisions[decision_id].required_decisions:
                visit(req)
            visiting.pop()
            done.add(decision_id)

        for decision_id in model.decisions:
            visit(decision_id)
