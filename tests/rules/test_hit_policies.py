"""Hit policies, over the subsidy tables in fixtures/hit_policies.dmn."""

from __future__ import annotations

from pathlib import Path

import pytest

from gongzhi.errors import DecisionError, HitPolicyViolation
from gongzhi.rules import DmnModel, load_dmn

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def model() -> DmnModel:
    return load_dmn(FIXTURES / "hit_policies.dmn")


def rule_numbers(model: DmnModel, decision: str, rule_ids: list[str]) -> list[int]:
    table = model.find(decision).logic
    by_id = {rule.id: rule.index for rule in table.rules}  # type: ignore[union-attr]
    return [by_id[r] for r in rule_ids]


def test_unique_single_match(model: DmnModel) -> None:
    result = model.evaluate("unique_group", {"age": 30})
    assert result.result == "成年"
    assert rule_numbers(model, "unique_group", result.matched_rules) == [2]


def test_unique_second_match_is_a_violation_naming_both_rules(model: DmnModel) -> None:
    with pytest.raises(HitPolicyViolation) as info:
        model.evaluate("unique_group", {"age": 70})
    error = info.value
    assert error.decision_id == "unique_group"
    assert rule_numbers(model, "unique_group", error.rules) == [1, 2]
    assert "UNIQUE" in str(error) and "第 1 条" in str(error) and "第 2 条" in str(error)
    assert isinstance(error, DecisionError)


def test_unique_no_match_without_defaults_is_none(model: DmnModel) -> None:
    result = model.evaluate("unique_group", {"age": None})
    assert result.result is None and result.matched_rules == [] and result.outputs == []


def test_any_agreeing_matches(model: DmnModel) -> None:
    result = model.evaluate("any_level", {"age": 10})
    assert result.result == "A"
    assert rule_numbers(model, "any_level", result.matched_rules) == [1, 2]


def test_any_disagreement_is_a_violation(model: DmnModel) -> None:
    with pytest.raises(HitPolicyViolation, match="ANY") as info:
        model.evaluate("any_level", {"age": 75})
    assert rule_numbers(model, "any_level", info.value.rules) == [3, 4]


@pytest.mark.parametrize(("income", "expected", "rule"), [(500, "特困", 3), (1500, "低保", 2), (5000, "普通", 1)])
def test_priority_follows_output_values_not_rule_order(model: DmnModel, income: int, expected: str, rule: int) -> None:
    result = model.evaluate("priority_level", {"income": income})
    assert result.result == expected
    assert rule_numbers(model, "priority_level", result.matched_rules) == [rule]


@pytest.mark.parametrize(("income", "expected"), [(500, "特困"), (1500, "低保"), (5000, "普通")])
def test_first_takes_the_first_match_in_rule_order(model: DmnModel, income: int, expected: str) -> None:
    result = model.evaluate("first_level", {"income": income})
    assert result.result == expected
    assert len(result.matched_rules) == 1


def test_rule_order_lists_all_matches_in_rule_order(model: DmnModel) -> None:
    result = model.evaluate("rule_order_items", {"age": 70, "income": 1500})
    assert result.result == ["老年补贴", "低收入补贴", "基本补贴"]
    assert rule_numbers(model, "rule_order_items", result.matched_rules) == [1, 2, 3]


def test_output_order_sorts_by_output_values(model: DmnModel) -> None:
    result = model.evaluate("output_order_items", {"age": 70, "income": 1500})
    assert result.result == ["低收入补贴", "老年补贴", "基本补贴"]
    assert rule_numbers(model, "output_order_items", result.matched_rules) == [2, 1, 3]


def test_collect_without_aggregation_is_a_list(model: DmnModel) -> None:
    assert model.evaluate("collect_items", {"age": 30, "income": 1500}).result == ["低收入补贴", "基本补贴"]
    assert model.evaluate("collect_items", {"age": 30, "income": 9000}).result == ["基本补贴"]


@pytest.mark.parametrize(
    ("decision", "age", "income", "expected"),
    [
        ("collect_sum", 70, 1500, 900),
        ("collect_sum", 30, 9000, 100),
        ("collect_min", 70, 1500, 100),
        ("collect_max", 70, 1500, 500),
        ("collect_max", 70, 9000, 300),
        ("collect_count", 70, 1500, 3),
        ("collect_count", 30, 9000, 1),
    ],
)
def test_collect_aggregations(model: DmnModel, decision: str, age: int, income: int, expected: int) -> None:
    assert model.evaluate(decision, {"age": age, "income": income}).result == expected


def test_collect_with_no_match(model: DmnModel) -> None:
    nothing = {"age": None, "income": None}
    assert model.evaluate("collect_count", nothing).result == 0  # the count of no matches is known
    assert model.evaluate("collect_sum", nothing).result is None
    assert model.evaluate("collect_max", nothing).result is None
    assert model.evaluate("collect_items", {"age": 30, "income": 9000}).result == ["基本补贴"]
    assert model.evaluate("collect_multi", {"age": 30, "income": 9000}).result is None


def test_collect_with_several_outputs_gives_dicts(model: DmnModel) -> None:
    result = model.evaluate("collect_multi", {"age": 70, "income": 1000})
    assert result.result == [{"item": "老年补贴", "amount": 300}, {"item": "低收入补贴", "amount": 250}]
    assert result.outputs == result.result
    assert [m.index for m in result.matches] == [1, 2]


def test_decimal_output_expression_is_exact(model: DmnModel) -> None:
    result = model.evaluate("collect_multi", {"age": 30, "income": 1000.2})
    assert result.result == [{"item": "低收入补贴", "amount": 250.05}]
