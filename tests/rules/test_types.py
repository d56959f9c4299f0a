"""typeRef conversion, input/output value lists and default outputs (fixtures/types.dmn)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from gongzhi.errors import DecisionError
from gongzhi.rules import DmnModel, load_dmn
from gongzhi.rules.types import conforms, converter, normalize_type
from gongzhi.rules.values import YearMonthDuration

FIXTURES = Path(__file__).parent / "fixtures"
ELDER = {
    "birth": "1950-05-01",
    "applied": "2026-02-01T10:00:00",
    "local": "true",
    "members": 3,
    "waited": "P40D",
    "at": "10:30:00",
}


@pytest.fixture(scope="module")
def model() -> DmnModel:
    return load_dmn(FIXTURES / "types.dmn")


def test_strings_from_forms_are_converted_by_type_ref(model: DmnModel) -> None:
    result = model.evaluate("eligibility", ELDER)
    assert result.result == "老年优先"
    assert result.inputs["出生日期"] == dt.date(1950, 5, 1)
    assert result.inputs["申请时间"] == dt.datetime(2026, 2, 1, 10, 0)
    assert result.inputs["本地户籍"] is True
    assert result.inputs["已等待"] == dt.timedelta(days=40)
    assert result.inputs["办理时刻"] == dt.time(10, 30)


def test_python_values_are_accepted_as_is(model: DmnModel) -> None:
    inputs = dict(
        ELDER,
        birth=dt.date(1950, 5, 1),
        applied=dt.datetime(2026, 2, 1, 10),
        local=True,
        waited=dt.timedelta(days=30),
        at=dt.time(9),
    )
    assert model.evaluate("eligibility", inputs).result == "老年优先"


def test_default_output_when_no_rule_matches(model: DmnModel) -> None:
    result = model.evaluate("eligibility", dict(ELDER, at="18:00:00"))
    assert result.result == "不符合"
    assert result.matched_rules == [] and result.outputs == []


def test_second_rule(model: DmnModel) -> None:
    assert model.evaluate("eligibility", dict(ELDER, birth="1990-01-01", members="5")).result == "多人家庭"


@pytest.mark.parametrize(
    ("field", "value", "column"),
    [
        ("birth", "昨天", "出生日期"),
        ("applied", 20260201, "申请时间"),
        ("local", "是", "本地户籍"),
        ("members", 2.5, "家庭人数"),
        ("waited", "3 days", "已等待"),
        ("at", "noon", "办理时刻"),
    ],
)
def test_unconvertible_input_names_decision_and_column(model: DmnModel, field: str, value: object, column: str) -> None:
    with pytest.raises(DecisionError) as info:
        model.evaluate("eligibility", dict(ELDER, **{field: value}))
    assert info.value.decision_id == "eligibility" and info.value.column == column
    assert "资格审核" in str(info.value) and column in str(info.value)


def test_input_value_list_is_enforced(model: DmnModel) -> None:
    with pytest.raises(DecisionError, match=r"不在允许值 \[1\.\.10\]"):
        model.evaluate("eligibility", dict(ELDER, members=11))


def test_output_type_ref_converts_or_fails(model: DmnModel) -> None:
    assert model.evaluate("score", {"score_text": "12.5"}).result == 12.5
    with pytest.raises(DecisionError) as info:
        model.evaluate("score", {"score_text": "优秀"})
    assert info.value.rule == 1 and info.value.column == "分数"
    assert "第 1 条规则，输出列 '分数'" in str(info.value)


@pytest.mark.parametrize(
    ("type_ref", "value", "expected"),
    [
        ("string", 1001, "1001"),
        ("number", "3.14", Decimal("3.14")),
        ("double", 0.1, Decimal("0.1")),
        ("integer", "7", Decimal(7)),
        ("long", 7, Decimal(7)),
        ("boolean", "FALSE", False),
        ("date", dt.datetime(2026, 1, 2, 3, 4), dt.date(2026, 1, 2)),
        ("dateTime", "2026-01-02", dt.datetime(2026, 1, 2)),
        ("date and time", "2026-01-02T03:04:05Z", dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)),
        ("time", "08:00", dt.time(8)),
        ("duration", "P1Y6M", YearMonthDuration(18)),
        ("feel:number", "1", Decimal(1)),
        ("string", None, None),
    ],
)
def test_converters(type_ref: str, value: object, expected: object) -> None:
    convert = converter(type_ref)
    assert convert is not None and convert(value) == expected


@pytest.mark.parametrize(
    ("type_ref", "value"),
    [("number", True), ("string", True), ("integer", 1.5), ("boolean", 1), ("date", 5), ("number", "abc")],
)
def test_converter_errors(type_ref: str, value: object) -> None:
    convert = converter(type_ref)
    assert convert is not None
    with pytest.raises(ValueError, match=type_ref):
        convert(value)


def test_unknown_type_refs_do_not_convert() -> None:
    assert converter("Any") is None and converter("") is None and converter("tCustom") is None
    assert normalize_type("xsd:dateTime") == "date and time"
    assert conforms(Decimal(3), "integer") and not conforms(Decimal("3.5"), "integer")
    assert not conforms("3", "number") and conforms(None, "number")
