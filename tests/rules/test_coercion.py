"""Type conformance and coercion where a value meets a declared type (DMN 1.5 §10.3.2.9.4, §7.3.4).

A singleton list meeting a non-list type becomes its element; a value meeting
a list type becomes a singleton list; null stays null; anything else that
does not conform becomes null, and the explanation says why.
"""

from __future__ import annotations

from typing import Any

import pytest

from gongzhi.rules import DmnModel, load_dmn

DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"
ITEMS = """
  <itemDefinition name="tNumbers" isCollection="true"><typeRef>number</typeRef></itemDefinition>
  <itemDefinition name="tPerson">
    <itemComponent name="name"><typeRef>string</typeRef></itemComponent>
    <itemComponent name="age"><typeRef>number</typeRef></itemComponent>
  </itemDefinition>
  <businessKnowledgeModel id="bkm_age" name="年龄">
    <variable name="年龄" typeRef="number" />
    <encapsulatedLogic>
      <formalParameter name="person" typeRef="tPerson" />
      <literalExpression><text>if person = null then -1 else person.age</text></literalExpression>
    </encapsulatedLogic>
  </businessKnowledgeModel>
  <businessKnowledgeModel id="bkm_list" name="成单">
    <variable name="成单" typeRef="tNumbers" />
    <encapsulatedLogic><literalExpression><text>10</text></literalExpression></encapsulatedLogic>
  </businessKnowledgeModel>
"""


def model(*decisions: str) -> DmnModel:
    return load_dmn(f'<definitions xmlns="{DMN13}" id="d" name="d" namespace="n">{ITEMS}{"".join(decisions)}</definitions>')


def literal(decision_id: str, text: str, type_ref: str) -> str:
    return (f'<decision id="{decision_id}" name="{decision_id}"><variable name="{decision_id}" typeRef="{type_ref}"/>'
            f"<literalExpression><text>{text}</text></literalExpression></decision>")  # fmt: skip


@pytest.mark.parametrize(
    ("text", "type_ref", "expected", "warned"),
    [
        ('"foo"', "number", None, True),  # does not conform: null
        ("10", "number", 10, False),
        ('["foo"]', "string", "foo", False),  # a singleton list meets a non-list type
        ("[10]", "string", None, True),
        ('"foo"', "tNumbers", None, True),
        ("10", "tNumbers", [10], False),  # a value meets a list type
        ("null", "tNumbers", None, False),  # null is not coerced to a list
        ('{name: "王", age: 70}', "tPerson", {"name": "王", "age": 70}, False),
        ('{name: "王", age: "七十"}', "tPerson", None, True),
        ('"12"', "number", 12, False),  # Gongzhi's form-friendly conversion comes first, as for table columns
    ],
)
def test_decision_results(text: str, type_ref: str, expected: Any, warned: bool) -> None:
    result = model(literal("d1", text, type_ref)).evaluate("d1", {})
    assert result.result == expected
    assert any(e.kind == "warning" for e in result.trace) is warned


def test_bkm_parameters_and_results() -> None:
    m = model(literal("ok", '年龄({name: "王", age: 70})', "number"),
              literal("bad", '年龄({name: 5, age: 70})', "number"),
              literal("listed", "成单()", "Any"))  # fmt: skip
    assert m.evaluate("ok", {}).result == 70
    bad = m.evaluate("bad", {})
    assert bad.result == -1  # the parameter did not conform: the BKM saw null
    assert any("参数 'person'" in e.label for e in bad.trace[0].children)
    assert m.evaluate("listed", {}).result == [10]  # the BKM's own typeRef is a list


def test_invocation_type_ref() -> None:
    m = model(
        '<decision id="inv" name="inv"><invocation typeRef="string"><literalExpression><text>年龄</text></literalExpression>'
        '<binding><parameter name="person"/><literalExpression><text>{name: "王", age: 70}</text></literalExpression>'
        "</binding></invocation></decision>"
    )
    result = m.evaluate("inv", {})
    assert result.result is None and result.trace[-1].kind == "warning"


def test_decision_service_type_ref() -> None:
    m = model(
        literal("inner", '"not a number"', "Any"),
        '<decisionService id="svc" name="svc"><variable name="svc" typeRef="number"/>'
        '<outputDecision href="#inner"/></decisionService>',
    )
    result = m.evaluate("svc", {})
    assert result.result is None and "不符合类型 number" in result.trace[0].detail["message"]
