"""Decision requirement graphs: required decisions run first and feed dependents."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from gongzhi.errors import DecisionError
from gongzhi.rules import DmnModel, load_dmn

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def model() -> DmnModel:
    return load_dmn(FIXTURES / "triage.dmn")


def case(**overrides: object) -> dict[str, object]:
    data = {"category": "漏水", "households": 12, "street": "东街", "received": "2026-03-01"}
    data.update(overrides)
    return {"case": data}


def test_required_decision_result_is_exposed_by_name(model: DmnModel) -> None:
    # department's input expression is `分诊`, the *name* of decision triage
    result = model.evaluate("department", case())
    assert result.result == {"department": "应急办", "days": 1}
    assert result.inputs == {"优先级": "高", "街道": "东街"}
    (triage,) = result.required
    assert triage.decision_id == "triage" and triage.result == "高"


def test_required_decision_result_is_exposed_by_id_through_a_chain(model: DmnModel) -> None:
    # deadline reads `department.days` (the id) and department in turn requires triage
    result = model.evaluate("deadline", case(category="噪音", households=3, street="西街"))
    assert result.result == dt.date(2026, 3, 6)  # 低 → 综合网格站, 5 days
    assert [r.decision_id for r in result.required] == ["department"]
    assert [r.decision_id for r in result.required[0].required] == ["triage"]


@pytest.mark.parametrize(
    ("overrides", "priority", "department"),
    [
        ({"households": 12}, "高", "应急办"),
        ({"households": 2}, "中", "东街网格站"),
        ({"category": "纠纷", "households": 4}, "低", "东街网格站"),
        ({"category": "其他", "households": 0, "street": "北街"}, "低", "综合网格站"),
    ],
)
def test_chain_outcomes(model: DmnModel, overrides: dict[str, object], priority: str, department: str) -> None:
    result = model.evaluate("department", case(**overrides))
    assert result.required[0].result == priority
    assert result.result["department"] == department


def test_as_dict_is_json_ready_and_nested(model: DmnModel) -> None:
    data = model.evaluate("deadline", case()).as_dict()
    text = json.dumps(data, ensure_ascii=False)
    assert json.loads(text)["result"] == "2026-03-02"
    assert set(data) >= {"decision_id", "result", "matched_rules", "inputs", "outputs", "required"}
    department = data["required"][0]
    assert department["outputs"] == [{"department": "应急办", "days": 1}]
    assert department["required"][0]["matched_rules"][0].startswith("DecisionRule_")


def test_input_outside_input_values_is_an_error(model: DmnModel) -> None:
    with pytest.raises(DecisionError, match="不在允许值") as info:
        model.evaluate("department", case(category="火灾"))
    assert info.value.decision_id == "triage" and info.value.column == "类别"


def test_required_decisions_are_evaluated_fresh_per_call(model: DmnModel) -> None:
    first = model.evaluate("department", case(households=12)).result
    second = model.evaluate("department", case(households=2)).result
    assert first != second
