"""model.validate(): unknown names and type mismatches, located and in plain language."""

from __future__ import annotations

from pathlib import Path

import pytest

from gongzhi.errors import Problem
from gongzhi.rules import DmnModel, load_dmn

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def model() -> DmnModel:
    return load_dmn(FIXTURES / "validation.dmn")


def by_code(problems: list[Problem], code: str) -> list[Problem]:
    return [p for p in problems if p.code == code]


def line_of(problem: Problem) -> str:
    return (FIXTURES / "validation.dmn").read_text(encoding="utf-8").splitlines()[problem.line - 1]


def test_unknown_name_in_input_expression(model: DmnModel) -> None:
    (problem,) = by_code(model.validate(), "unknown-name")
    assert problem.element_id == "check" and problem.file.endswith("validation.dmn")
    assert "决策 'check'（核查）" in problem.message and "'收入'" in problem.message
    assert "'aplicant'" in problem.message
    assert "<input " in line_of(problem)


def test_string_literal_in_number_column(model: DmnModel) -> None:
    problems = [p for p in by_code(model.validate(), "type-mismatch") if "输入列" in p.message]
    (problem,) = problems
    assert problem.message.startswith("决策 'check'（核查）第 2 条规则，输入列 '年龄'：")
    assert '"老人"' in problem.message and "number" in problem.message
    assert "<inputEntry" in line_of(problem)


def test_output_entry_outside_output_values(model: DmnModel) -> None:
    problems = [p for p in by_code(model.validate(), "type-mismatch") if "输出列" in p.message]
    (problem,) = problems
    assert problem.message.startswith("决策 'check'（核查）第 3 条规则，输出列 '等级'：")
    assert '"极高"' in problem.message and "outputValues" in problem.message


def test_known_names_extend_what_is_allowed(model: DmnModel) -> None:
    assert by_code(model.validate(known_names={"aplicant"}), "unknown-name") == []


def test_clean_models_have_no_problems() -> None:
    triage = load_dmn(FIXTURES / "triage.dmn")
    assert triage.validate() == []
    assert triage.validate(known_names=set()) == []  # everything comes from inputData and required decisions


def test_known_names_none_skips_tables_without_input_data() -> None:
    model = load_dmn(FIXTURES / "hit_policies.dmn")
    assert model.validate() == []
    problems = model.validate(known_names={"age"})
    assert problems and all(p.code == "unknown-name" and "'income'" in p.message for p in problems)


def test_type_mismatch_in_output_column_type() -> None:
    source = (FIXTURES / "hit_policies.dmn").read_text(encoding="utf-8")
    text = source.replace("<text>300</text>", '<text>"三百"</text>')
    problems = load_dmn(text).validate()
    assert problems and all(p.code == "type-mismatch" for p in problems)
    assert any("第 1 条规则，输出列 '金额'" in p.message and '"三百"（string）' in p.message for p in problems)


def test_literal_in_input_values_list_is_checked() -> None:
    source = (FIXTURES / "triage.dmn").read_text(encoding="utf-8")
    text = source.replace('<text>"漏水"</text>', '<text>"火灾"</text>', 1)
    (problem,) = load_dmn(text).validate()
    assert problem.code == "not-in-values" and "第 1 条规则，输入列 '类别'" in problem.message
