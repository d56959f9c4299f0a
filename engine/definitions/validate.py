"""Checks run before deploying: each returns Problems naming file, element and line.

- the BPMN XSD (every error, not just the first);
- every flow element, lane and participant has a diagram shape or edge, and
  every DMN decision, input, BKM and decision service has a DMN shape (the file opens as a drawing);
- scripts and expressions compile in the sandbox, and use nothing it refuses
  (imports, escapes, endless ``while True``, constants past the limits);
- constant timer and due-date values parse and stay within the limits;
- instructions templates compile and hold no giant constants;
- forms exist and are valid JSON Schema; service-task operators are known;
  called decisions and called processes exist;
- SpiffWorkflow can build every executable process;
- DMN tables parse and their cells type-check.
"""

from __future__ import annotations

import ast
import copy
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator

from ..errors import DefinitionInvalid, InvalidInput, LimitExceeded, Problem
from ..limits import DEFAULT_LIMITS
from ..sandbox import inspect_source
from ..sandbox.templates import check_template
from ..spiff.timers import Where, cycle_plan, due_time, duration_due, moment_due
from .model import FORM_PROPERTY, DefinitionSet
from .xmlindex import NS, Element

__all__ = ["validate", "Check"]

Check = Callable[[DefinitionSet], Iterable[Problem]]

_XSD: BpmnValidator | None = None

# (xpath relative to the element, sandbox mode) of code SpiffWorkflow evaluates
_CODE = [
    ("bpmn:script", "exec"),
    ("bpmn:conditionExpression", "eval"),
    ("bpmn:timerEventDefinition/bpmn:timeDuration", "eval"),
    ("bpmn:timerEventDefinition/bpmn:timeDate", "eval"),
    ("bpmn:timerEventDefinition/bpmn:timeCycle", "eval"),
    ("bpmn:multiInstanceLoopCharacteristics/bpmn:loopCardinality", "eval"),
    ("bpmn:multiInstanceLoopCharacteristics/bpmn:completionCondition", "eval"),
    ("bpmn:extensionElements/spiffworkflow:preScript", "exec"),
    ("bpmn:extensionElements/spiffworkflow:postScript", "exec"),
    ("bpmn:extensionElements/spiffworkflow:serviceTaskOperator/spiffworkflow:parameters/spiffworkflow:parameter/@value", "eval"),
]
_CODE_PROPERTIES = {"candidateGroupsExpression": "eval", "dueDateExpression": "eval"}


def check_schema(defs: DefinitionSet) -> Iterable[Problem]:
    global _XSD
    _XSD = _XSD or BpmnValidator()
    for file, index in defs.indexes.items():
        # A copy, because preprocessing renames elements; deepcopy keeps the source lines and,
        # unlike a serialise-and-parse round trip, never parses the text a second time.
        tree = copy.deepcopy(index.root)
        _XSD.preprocess(tree)
        if not _XSD.validator.validate(tree):
            for err in _XSD.validator.error_log:
                yield Problem(file, f"不符合 BPMN 2.0 规范：{err.message}", line=err.line, code="xsd")


def check_drawn(defs: DefinitionSet) -> Iterable[Problem]:
    for file, index in defs.indexes.items():
        for el in index.elements.values():
            if el.id not in index.drawn:
                label = f"“{el.name}”" if el.name else el.id
                yield Problem(file, f"元素 {label}（{el.tag}）没有图形，建模器中看不到它；请在建模器中把它画出来",
                              element_id=el.id, line=el.line, code="not-drawn")
    for file, root in defs.dmn_roots.items():
        shapes = {s.get("dmnElementRef") for s in root.iter() if isinstance(s.tag, str) and etree.QName(s).localname == "DMNShape"}
        for node in root.iter():
            tag = etree.QName(node).localname if isinstance(node.tag, str) else ""
            drawable = tag in ("decision", "inputData", "businessKnowledgeModel", "decisionService")
            if drawable and node.get("href") is None and node.get("id") not in shapes:  # href: a service's reference
                yield Problem(file, f"{tag} “{node.get('name') or node.get('id')}” 没有 DMN 图形（DMNShape）",
                              element_id=node.get("id"), line=node.sourceline, code="not-drawn")


def check_code(defs: DefinitionSet) -> Iterable[Problem]:
    """Scripts, expressions, constant timer values and instructions templates, within the default limits."""
    for file, index in defs.indexes.items():
        for el in index.elements.values():
            for source, mode, line in _code_of(el):
                yield from _code_problems(file, el, source, mode, line)
            yield from _timer_problems(file, el)
            yield from _template_problems(file, el)


def _code_problems(file: str, el: Element, source: str, mode: str, line: int) -> Iterable[Problem]:
    label, excerpt = el.name or el.id, source.strip()[:80]
    for finding in inspect_source(source, mode, DEFAULT_LIMITS):
        at = line + finding.line - 1 if mode == "exec" else line
        if finding.kind == "compile":
            yield Problem(file, f"“{label}” 中的表达式或脚本无法编译：{finding.message}（代码：{excerpt}）",
                          element_id=el.id, line=at, code="expression")
        else:
            yield Problem(file, f"“{label}” 中的脚本第 {finding.line} 行不被允许：{finding.message}（代码：{excerpt}）",
                          element_id=el.id, line=at, code="unsafe-code")


# timer paths whose value, when written as a constant string, can be checked before deploying
_TIMERS: dict[str, Callable[..., Any]] = {
    "bpmn:timerEventDefinition/bpmn:timeDuration": duration_due,
    "bpmn:timerEventDefinition/bpmn:timeDate": moment_due,
    "bpmn:timerEventDefinition/bpmn:timeCycle": cycle_plan,
}


def _timer_problems(file: str, el: Element) -> Iterable[Problem]:
    found: list[tuple[str, Callable[..., Any], str, int]] = []
    if el.node is not None:
        for path, check in _TIMERS.items():
            for node in el.node.xpath(path, namespaces=NS):
                found.append((node.text or "", check, path.rsplit(":", 1)[1], node.sourceline or el.line))
    if el.properties.get("dueDateExpression"):
        found.append((el.properties["dueDateExpression"], due_time, "dueDateExpression", el.line))
    now = datetime.now(timezone.utc)
    for source, check, what, line in found:
        value = _constant(source)
        if value is None:
            continue  # computed when the process runs, and checked then
        try:
            check(value, now, DEFAULT_LIMITS, Where(el.id, el.name, f"计时器（{what}）"))
        except (InvalidInput, LimitExceeded) as exc:
            yield Problem(file, exc.message, element_id=el.id, line=line, code="timer")


def _constant(source: str) -> str | None:
    try:
        value = ast.literal_eval(source.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, str) else None


def _template_problems(file: str, el: Element) -> Iterable[Problem]:
    if el.node is None:
        return
    for node in el.node.xpath("bpmn:extensionElements/spiffworkflow:instructionsForEndUser", namespaces=NS):
        if node.text and node.text.strip():
            for finding in check_template(node.text, DEFAULT_LIMITS):
                yield Problem(file, f"“{el.name or el.id}” 的任务说明模板第 {finding.line} 行：{finding.message}",
                              element_id=el.id, line=(node.sourceline or el.line) + finding.line - 1, code="template")


def _code_of(el: Element) -> Iterable[tuple[str, str, int]]:
    if el.node is None:
        return
    for path, mode in _CODE:
        for found in el.node.xpath(path, namespaces=NS):
            text = found if isinstance(found, str) else found.text
            line = el.line if isinstance(found, str) else (found.sourceline or el.line)
            if text and text.strip():
                yield text, mode, line
    for name, mode in _CODE_PROPERTIES.items():
        if el.properties.get(name):
            yield el.properties[name], mode, el.line


def check_references(defs: DefinitionSet, operators: set[str] | None = None) -> Iterable[Problem]:
    processes = defs.executable_processes()
    all_processes = {pid for index in defs.indexes.values() for pid in index.processes}
    for file, index in defs.indexes.items():
        for el in index.elements.values():
            yield from _check_form(defs, file, el)
            node = el.node
            if node is None:
                continue
            if el.tag == "eventBasedGateway":
                yield Problem(file, f"事件网关 “{el.name or el.id}” 暂不支持：请改用接收任务或消息捕获事件加中断型边界计时器",
                              element_id=el.id, line=el.line, code="unsupported")
            if el.tag == "callActivity" and node.get("calledElement") not in all_processes:
                yield Problem(file, f"调用活动 “{el.name or el.id}” 调用的流程 '{node.get('calledElement')}' 不存在",
                              element_id=el.id, line=el.line, code="unknown-process")
            ref = node.find("bpmn:extensionElements/spiffworkflow:calledDecisionId", NS)
            if el.tag == "businessRuleTask" and (ref is None or (ref.text or "").strip() not in defs.decision_files):
                name = (ref.text or "").strip() if ref is not None else ""
                yield Problem(file, f"业务规则任务 “{el.name or el.id}” 引用的决策 '{name}' 不存在",
                              element_id=el.id, line=el.line, code="unknown-decision")
            op = node.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
            if el.tag == "serviceTask" and operators is not None and (op is None or op.get("id") not in operators):
                name = op.get("id") if op is not None else ""
                yield Problem(file, f"服务任务 “{el.name or el.id}” 的操作 '{name}' 没有插件提供；已有：{', '.join(sorted(operators))}",
                              element_id=el.id, line=el.line, code="unknown-operator")
    if not processes and defs.indexes:
        yield Problem(next(iter(defs.indexes)), "没有可执行的流程（isExecutable）", code="no-process")


def _check_form(defs: DefinitionSet, file: str, el: Element) -> Iterable[Problem]:
    name = el.properties.get(FORM_PROPERTY)
    if not name:
        if el.tag == "userTask":
            yield Problem(file, f"用户任务 “{el.name or el.id}” 没有表单（属性 {FORM_PROPERTY}）",
                          element_id=el.id, line=el.line, code="missing-form")
        return
    resolved = defs.resolve_form(file, name)
    if resolved is None:
        yield Problem(file, f"“{el.name or el.id}” 的表单文件 '{name}' 不存在", element_id=el.id, line=el.line, code="missing-form")
        return
    try:
        Draft202012Validator.check_schema(defs.forms[resolved])
    except SchemaError as exc:
        yield Problem(resolved, f"表单不是有效的 JSON Schema：{exc.message}", element_id=el.id, code="form-schema")


def check_processes(defs: DefinitionSet) -> Iterable[Problem]:
    for pid in defs.executable_processes():
        try:
            defs.bundle(pid)
        except DefinitionInvalid as exc:
            yield from exc.problems


def check_decisions(defs: DefinitionSet) -> Iterable[Problem]:
    for model in defs.dmn.values():
        yield from model.validate()


def validate(defs: DefinitionSet, operators: set[str] | None = None) -> list[Problem]:
    """Every problem in the set, de-duplicated, in file and line order."""
    problems = list(defs.problems)
    for check in (check_schema, check_drawn, check_code, check_decisions):
        problems.extend(check(defs))
    problems.extend(check_references(defs, operators))
    if not problems:  # building specs on broken XML only repeats what was found
        problems.extend(check_processes(defs))
        problems.extend(p for p in defs.problems if p not in problems)
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.file, p.line or 0, p.element_id or ""))
