"""Loading DMN files: namespaces, sources, structure errors, line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from gongzhi.errors import DefinitionInvalid, UnknownDecision
from gongzhi.rules import Decision, DmnModel, load_dmn
from gongzhi.rules.dmn import DMN_NAMESPACES

FIXTURES = Path(__file__).parent / "fixtures"
DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"
CASE = {"case": {"category": "噪音", "households": 3, "street": "西街", "received": "2026-03-01"}}


def test_loads_from_path_bytes_and_text() -> None:
    path = FIXTURES / "triage.dmn"
    for source in (path, str(path), path.read_bytes(), path.read_text(encoding="utf-8")):
        model = load_dmn(source)
        assert isinstance(model, DmnModel)
        assert set(model.decisions) == {"triage", "department", "deadline"}
        assert model.evaluate("triage", CASE).result == "低"


def test_filename_defaults_to_path_and_can_be_overridden() -> None:
    path = FIXTURES / "triage.dmn"
    assert load_dmn(path).file == str(path)
    assert load_dmn(path.read_bytes(), filename="上传.dmn").file == "上传.dmn"


@pytest.mark.parametrize("namespace", sorted(DMN_NAMESPACES))
def test_every_supported_namespace_loads(namespace: str) -> None:
    text = (FIXTURES / "triage.dmn").read_text(encoding="utf-8").replace(DMN13, namespace)
    model = load_dmn(text)
    assert model.namespace == namespace
    assert model.evaluate("department", CASE).result == {"department": "综合网格站", "days": 5}


def test_dmn_11_camunda_file_with_biodi_layout() -> None:
    model = load_dmn(FIXTURES / "legacy_11.dmn")
    assert model.namespace == "http://www.omg.org/spec/DMN/20151101/dmn.xsd"
    assert model.evaluate("dish", {"month": 1}).result == "饺子"
    assert model.evaluate("dish", {"month": 7}).result == "凉面"
    assert model.evaluate("菜品", {"month": 4}).result == "家常菜"


def test_dmn_14_file() -> None:
    model = load_dmn(FIXTURES / "types.dmn")
    assert model.namespace == "https://www.omg.org/spec/DMN/20211108/MODEL/"


def test_find_by_id_or_name_and_unknown_lists_ids() -> None:
    model = load_dmn(FIXTURES / "triage.dmn")
    assert model.find("分诊") is model.find("triage")
    assert isinstance(model.find("triage"), Decision)
    with pytest.raises(UnknownDecision) as info:
        model.find("nope")
    assert info.value.known == ["deadline", "department", "triage"]
    assert "triage" in str(info.value)


def test_rules_keep_ids_and_source_lines() -> None:
    model = load_dmn(FIXTURES / "triage.dmn")
    table = model.find("triage").logic
    assert table.rules[0].id.startswith("DecisionRule_")  # type: ignore[union-attr]
    lines = (FIXTURES / "triage.dmn").read_text(encoding="utf-8").splitlines()
    first_rule = table.rules[0]  # type: ignore[union-attr]
    assert f'id="{first_rule.id}"' in lines[first_rule.line - 1]


def test_rule_without_id_uses_its_number() -> None:
    text = (FIXTURES / "legacy_11.dmn").read_text(encoding="utf-8").replace(' id="row-dish-2"', "")
    model = load_dmn(text)
    assert model.evaluate("dish", {"month": 7}).matched_rules == ["2"]


def test_unparsable_cells_fail_the_load_with_located_messages() -> None:
    with pytest.raises(DefinitionInvalid) as info:
        load_dmn(FIXTURES / "invalid_cells.dmn")
    problems = info.value.problems
    assert len(problems) == 2
    first, second = problems
    assert first.element_id == "triage" and first.file.endswith("invalid_cells.dmn")
    assert first.message.startswith("决策 'triage'（分诊）第 3 条规则，输入列 '类别'：无法解析 \"[1..\"：")
    lines = (FIXTURES / "invalid_cells.dmn").read_text(encoding="utf-8").splitlines()
    assert "<inputEntry" in lines[first.line - 1]
    assert "第 4 条规则，输出列 '优先级'" in second.message and "frobnicate" in second.message


def test_invalid_xml() -> None:
    with pytest.raises(DefinitionInvalid) as info:
        load_dmn(b"<definitions><decision></definitions>", filename="broken.dmn")
    problem = info.value.problems[0]
    assert problem.file == "broken.dmn" and problem.line == 1 and problem.code == "xml"


def test_not_a_dmn_namespace() -> None:
    with pytest.raises(DefinitionInvalid, match="namespace"):
        load_dmn(b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>')


def test_requirement_cycle_is_rejected() -> None:
    with pytest.raises(DefinitionInvalid) as info:
        load_dmn(FIXTURES / "cycle.dmn")
    (problem,) = info.value.problems
    assert problem.code == "cycle" and "a → b → a" in problem.message


def test_missing_required_decision_is_rejected() -> None:
    text = (FIXTURES / "triage.dmn").read_text(encoding="utf-8").replace('href="#triage"', 'href="#gone"')
    with pytest.raises(DefinitionInvalid, match="'gone' 不存在"):
        load_dmn(text)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('hitPolicy="PRIORITY"', 'hitPolicy="RANDOM"', "未知的命中策略"),
        ('hitPolicy="FIRST"', 'hitPolicy="FIRST" aggregation="SUM"', "只能用于 COLLECT"),
        ('aggregation="SUM"', 'aggregation="AVERAGE"', "只能用于 COLLECT"),
    ],
)
def test_hit_policy_structure_errors(old: str, new: str, expected: str) -> None:
    text = (FIXTURES / "hit_policies.dmn").read_text(encoding="utf-8").replace(old, new)
    with pytest.raises(DefinitionInvalid, match=expected):
        load_dmn(text)


def test_hit_policy_spelling_is_normalised() -> None:
    text = (FIXTURES / "hit_policies.dmn").read_text(encoding="utf-8").replace('"RULE ORDER"', '"rule_order"')
    assert load_dmn(text).find("rule_order_items").logic.hit_policy == "RULE ORDER"  # type: ignore[union-attr]


def test_priority_without_output_values_is_rejected() -> None:
    text = (FIXTURES / "hit_policies.dmn").read_text(encoding="utf-8").replace('"特困","低保","普通"', "")
    with pytest.raises(DefinitionInvalid, match="outputValues"):
        load_dmn(text)


def test_external_entities_are_never_expanded() -> None:
    evil = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        f'<definitions xmlns="{DMN13}"><decision id="d" name="d"><literalExpression><text>"&x;"</text>'
        "</literalExpression></decision></definitions>"
    )
    with pytest.raises(DefinitionInvalid) as info:  # the unexpanded entity leaves an unparsable cell
        load_dmn(evil)
    assert "root:" not in str(info.value)
