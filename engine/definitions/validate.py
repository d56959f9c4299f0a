"""Checks run before deploying: each returns Problems naming file, element and line.

- the BPMN XSD (every error, not just the first);
- every flow element, lane and participant has a diagram shape or edge, and
  every DMN decision, input, BKM and decision service has a DMN shape (the file opens as a drawing);
- scripts and expressions compile in the sandbox;
- forms exist and are valid JSON Schema; service-task operators are known;
  called decisions and called processes exist;
- SpiffWorkflow can build every executable process;
- DMN tables parse and their cells type-check.
"""

from __future__ import annotations

from typing import Callable, Iterable

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator

from ..errors import DefinitionInvalid, Problem
from ..sandbox import check_source
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
        tree = etree.fromstring(etree.tostring(index.root))
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
    for file, index in defs.indexes.items():
        for el in index.elements.values():
            for source, mode, line in _code_of(el):
                reason = check_source(source, mode)
                if reason:
                    yield Problem(file, f"“{el.name or el.id}” 中的表达式或脚本无法编译：{reason}（代码：{source.strip()[:80]}）",
                                  element_id=el.id, line=line, code="expression")


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
