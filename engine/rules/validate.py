"""Semantic validation of a loaded model: unknown names and type mismatches.

Loading already rejects what cannot be evaluated at all; this module finds what
evaluates but is probably wrong: a cell comparing a number column with a
string, an output outside its outputValues, a name nobody provides. It returns
problems and lets the caller decide whether they block deployment.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..errors import Problem
from .feel import names_in
from .model import BoxedExpression, Decision, DecisionTable, DmnModel, LiteralExpression, OutputClause, Rule
from .types import conforms
from .values import to_python, type_name


def validate(model: DmnModel, known_names: set[str] | None = None) -> list[Problem]:
    """Problems in ``model``.

    ``known_names`` are the variables the caller will supply (e.g. a BPMN
    process's data). With ``None`` the caller's variables are unknown, so names
    are only checked in decisions that declare their inputs via ``inputData``.
    """
    problems: list[Problem] = []
    for decision in model.decisions.values():
        allowed = _allowed_names(model, decision, known_names)
        if isinstance(decision.logic, BoxedExpression):
            for name in sorted(decision.logic.free_names - allowed) if allowed is not None else []:
                problems.append(
                    _problem(model, decision, decision.logic.line, "unknown-name",
                             f"{decision.title} {decision.logic.kind}：{_unknown(name)}")  # fmt: skip
                )
            continue
        if isinstance(decision.logic, LiteralExpression):
            node = decision.logic.expression.node
            for name in sorted(names_in(node) - allowed) if allowed is not None and node is not None else []:
                problems.append(
                    _problem(
                        model,
                        decision,
                        decision.logic.line,
                        "unknown-name",
                        f"{decision.title} 字面表达式：{_unknown(name)}",
                    )
                )
            continue
        problems.extend(_table_problems(model, decision, decision.logic, allowed))
    return problems


def _allowed_names(model: DmnModel, decision: Decision, known_names: set[str] | None) -> set[str] | None:
    """Names a decision may read, or None when they cannot be known."""
    if known_names is None and not decision.required_inputs:
        return None
    allowed = set(known_names or ()) | set(decision.required_inputs) | set(model.functions) | set(model.imports)
    for req_id in decision.required_decisions:
        allowed.add(req_id)
        if req_id in model.decisions:
            allowed.add(model.decisions[req_id].name)
    return allowed


def _unknown(name: str) -> str:
    return f"未知的名称 '{name}'（not provided by inputData, required decisions or the caller's known names）"


def _problem(model: DmnModel, decision: Decision, line: int | None, code: str, message: str) -> Problem:
    return Problem(model.file, message, element_id=decision.id, line=line, code=code)


def _table_problems(
    model: DmnModel, decision: Decision, table: DecisionTable, allowed: set[str] | None
) -> Iterator[Problem]:
    for clause in table.inputs:
        node = clause.expression.node
        if allowed is not None and node is not None:
            for name in sorted(names_in(node) - allowed):
                yield _problem(
                    model,
                    decision,
                    clause.line,
                    "unknown-name",
                    f"{decision.title} 输入列 '{clause.display}' 的输入表达式：{_unknown(name)}",
                )
    for rule in table.rules:
        yield from _rule_input_problems(model, decision, table, rule, allowed)
        yield from _rule_output_problems(model, decision, table, rule, allowed)
    for out in table.outputs:
        if out.default is not None and out.default.const:
            for message in _output_value_issues(out, out.default.value):
                yield _problem(
                    model,
                    decision,
                    out.line,
                    "type-mismatch",
                    f"{decision.title} 输出列 '{out.display}' 默认值：{message}",
                )


def _rule_input_problems(
    model: DmnModel, decision: Decision, table: DecisionTable, rule: Rule, allowed: set[str] | None
) -> Iterator[Problem]:
    for clause, tests, cell in zip(table.inputs, rule.tests, rule.input_cells, strict=False):
        where = f"{decision.title}第 {rule.index} 条规则，输入列 '{clause.display}'"
        for name in sorted(tests.names - allowed) if allowed is not None else []:
            yield _problem(model, decision, cell.line, "unknown-name", f"{where}：{_unknown(name)}")
        for literal in tests.literals:
            if not conforms(literal, clause.type_ref):
                yield _problem(
                    model,
                    decision,
                    cell.line,
                    "type-mismatch",
                    f"{where}：{_show(literal)}（{type_name(literal)}）与列类型 {clause.type_ref} 不符",
                )
            elif clause.values is not None and literal is not None and not clause.values.matches(literal, {}):
                yield _problem(
                    model,
                    decision,
                    cell.line,
                    "not-in-values",
                    f"{where}：{_show(literal)} 不在允许值 {clause.values.text} 之内",
                )


def _rule_output_problems(
    model: DmnModel, decision: Decision, table: DecisionTable, rule: Rule, allowed: set[str] | None
) -> Iterator[Problem]:
    for out, compiled, cell in zip(table.outputs, rule.outputs, rule.output_cells, strict=False):
        where = f"{decision.title}第 {rule.index} 条规则，输出列 '{out.display}'"
        if allowed is not None and compiled.node is not None:
            for name in sorted(names_in(compiled.node) - allowed):
                yield _problem(model, decision, cell.line, "unknown-name", f"{where}：{_unknown(name)}")
        if compiled.const:
            for message in _output_value_issues(out, compiled.value):
                yield _problem(model, decision, cell.line, "type-mismatch", f"{where}：{message}")


def _output_value_issues(out: OutputClause, value: Any) -> list[str]:
    if value is None:
        return []
    if not conforms(value, out.type_ref):
        return [f"{_show(value)}（{type_name(value)}）与列类型 {out.type_ref} 不符"]
    if out.values is not None and not any(type(value) is type(v) and value == v for v in out.values):
        allowed = ", ".join(_show(v) for v in out.values)
        return [f"{_show(value)} 不在允许值（outputValues）{allowed} 之内"]
    return []


def _show(value: Any) -> str:
    """A literal the way a modeler wrote it: strings quoted, numbers plain."""
    plain = to_python(value)
    return f'"{plain}"' if isinstance(plain, str) else str(plain)
