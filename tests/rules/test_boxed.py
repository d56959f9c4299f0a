"""Boxed expressions, BKMs, decision services, item definitions and imports, as modelers save them.

``governance.dmn`` is written the way Camunda Modeler saves a DMN 1.3 file
(literal and context decisions, BKMs with literal and decision-table bodies,
a decision service, dmndi shapes); ``boxed15.dmn`` uses the DMN 1.5 boxed
elements (conditional, for, some, every, filter, list, relation, function
definition) and item definitions; ``import_main.dmn`` imports ``import_lib.dmn``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from gongzhi.errors import DefinitionInvalid
from gongzhi.rules import BoxedExpression, DmnModel, load_dmn

FIXTURES = Path(__file__).parent / "fixtures"
DEPARTMENTS = [
    {"name": "城管", "rating": 4, "signed": True},
    {"name": "水务", "rating": 2, "signed": False},
    {"name": "街道", "rating": 5, "signed": True},
]


@pytest.fixture(scope="module")
def governance() -> DmnModel:
    return load_dmn(FIXTURES / "governance.dmn")


@pytest.fixture(scope="module")
def boxed() -> DmnModel:
    return load_dmn(FIXTURES / "boxed15.dmn")


# --- governance rules written in FEEL ---------------------------------------------------


def test_number_of_departments_rated_below_three(governance: DmnModel) -> None:
    assert governance.evaluate("低分部门数", {"departments": DEPARTMENTS}).result == 1
    assert governance.evaluate("低分部门数", {"departments": []}).result == 0


def test_every_co_handling_department_has_signed(governance: DmnModel) -> None:
    assert governance.evaluate("全部会签", {"departments": DEPARTMENTS}).result is False
    signed = [dict(d, signed=True) for d in DEPARTMENTS]
    assert governance.evaluate("全部会签", {"departments": signed}).result is True


def test_working_days_between_intake_and_closure(governance: DmnModel) -> None:
    # Monday 2 March to Friday 13 March 2026: two working weeks
    result = governance.evaluate("办理工作日", {"受理日期": "2026-03-02", "办结日期": "2026-03-13"})
    assert result.result == 10
    assert governance.evaluate("办理工作日", {"受理日期": dt.date(2026, 3, 6), "办结日期": dt.date(2026, 3, 9)}).result == 2


def test_a_context_calls_a_scoring_bkm_shared_by_tables(governance: DmnModel) -> None:
    result = governance.evaluate("综合评价", {"departments": DEPARTMENTS})
    assert result.result == {"等级": "合格", "平均分": 70, "需要督办": True}
    assert isinstance(governance.decisions["Decision_evaluation"].logic, BoxedExpression)
    entries = [e for e in result.trace if e.kind == "entry"]
    assert [(e.label, e.value) for e in entries][:2] == [("各部门得分", [80, 30, 100]), ("平均分", 70)]
    calls = [c for c in entries[0].children if c.kind == "call"]
    assert [c.detail["args"]["rating"] for c in calls] == [4, 2, 5]
    (grade_call,) = entries[2].children
    (table,) = grade_call.children
    assert table.kind == "table" and table.detail["matched_rules"] == ["DecisionRule_grade_fair"]


def test_high_marks_reach_the_first_rule_of_the_bkm_table(governance: DmnModel) -> None:
    good = [{"name": "城管", "rating": 5, "signed": True}, {"name": "街道", "rating": 4, "signed": True}]
    assert governance.evaluate("综合评价", {"departments": good}).result["等级"] == "优秀"


def test_decision_service_invoked_from_the_engine(governance: DmnModel) -> None:
    result = governance.evaluate("考评服务", {"departments": DEPARTMENTS})
    assert result.result == {"等级": "合格", "平均分": 70, "需要督办": True}
    assert [r.decision_name for r in result.required] == ["综合评价"]


def test_decision_service_invoked_from_feel(governance: DmnModel) -> None:
    service = governance.functions["考评服务"]
    assert service.params == ("departments",)
    assert service(DEPARTMENTS[:1]) is not None
    text = load_dmn(
        (FIXTURES / "governance.dmn").read_text(encoding="utf-8").replace(
            "<text>// weekdays from intake to closure, both counted",
            "<text>考评服务(departments).平均分 // the service, called from a decision outside it",
        ).replace("count((for d in 受理日期..办结日期", "+ 0 * count((for d in 受理日期..办结日期")
    )
    result = text.evaluate("办理工作日", {"departments": DEPARTMENTS, "受理日期": "2026-03-02", "办结日期": "2026-03-03"})
    assert result.result == 70
    (call,) = [e for e in result.trace if e.kind == "call"]
    assert call.detail["callee"] == "service" and call.label == "考评服务"


def test_bkms_are_functions_of_the_model(governance: DmnModel) -> None:
    score = governance.functions["部门得分"]
    assert score.params == ("rating", "signed")
    assert governance.bkms["BusinessKnowledgeModel_score"].name == "部门得分"


def test_as_dict_carries_the_explanation(governance: DmnModel) -> None:
    data = governance.evaluate("综合评价", {"departments": DEPARTMENTS}).as_dict()
    first = data["explanation"][0]
    assert first["kind"] == "entry" and first["label"] == "各部门得分" and first["value"] == [80, 30, 100]
    call = first["children"][0]
    assert (call["kind"], call["label"], call["value"]) == ("call", "部门得分", 80)
    assert call["args"] == {"rating": 4, "signed": True}


def test_explanation_lines_are_chinese(governance: DmnModel) -> None:
    lines = governance.evaluate("综合评价", {"departments": DEPARTMENTS}).explain()
    text = "\n".join(lines)
    assert lines[0].startswith("决策 'Decision_evaluation'（综合评价） = ")
    assert "上下文条目 '各部门得分' = [80, 30, 100]" in text
    assert "调用业务知识模型 部门得分(rating = 4, signed = true) → 80" in text
    assert "业务知识模型 '评价等级' 的决策表：命中规则 DecisionRule_grade_fair" in text
    assert "依赖：" in text and "决策 'Decision_low_rated'（低分部门数） = 1" in text


# --- DMN 1.5 boxed elements ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "expected"),
    [
        ("有无部门", "有"),
        ("部门名称", ["城管", "水务", "街道"]),
        ("存在低分", True),
        ("全部会签", False),
        ("已会签部门", [{"name": "城管", "rating": 4, "signed": True}, {"name": "街道", "rating": 5, "signed": True}]),
        ("列表", [2, "二", [3]]),
        ("评分标准", [{"等级": "优秀", "最低分": 90}, {"等级": "合格", "最低分": 60}]),
        ("函数", 48),
    ],
)
def test_boxed_elements(boxed: DmnModel, decision: str, expected: Any) -> None:
    departments = [dict(d, signed=d["name"] != "水务") for d in DEPARTMENTS]
    assert boxed.evaluate(decision, {"departments": departments, "threshold": 3}).result == expected


def test_conditional_else_branch(boxed: DmnModel) -> None:
    assert boxed.evaluate("有无部门", {"departments": []}).result == "无"


def test_item_definitions_check_inputs(boxed: DmnModel) -> None:
    bad = [{"name": "城管", "rating": 9, "signed": True}]  # rating outside its typeConstraint [1..5]
    result = boxed.evaluate("部门名称", {"departments": bad})
    assert result.result is None
    (warning,) = result.trace
    assert warning.kind == "warning" and "tDepartments" in warning.detail["message"]


def test_singleton_list_meets_an_element_type(boxed: DmnModel) -> None:
    assert boxed.evaluate("部门名称", {"departments": DEPARTMENTS[0]}).result == ["城管"]  # element → singleton list


def test_result_outside_allowed_values_is_null_with_a_warning(boxed: DmnModel) -> None:
    assert boxed.evaluate("风险等级", {"threshold": 5}).result == "高"
    result = boxed.evaluate("风险等级", {"threshold": 1})
    assert result.result is None
    assert "不符合类型 tLevel" in result.trace[0].detail["message"]
    assert any("警告" in line for line in result.explain())


def test_catalogue_text_summarises_boxed_logic(boxed: DmnModel) -> None:
    assert boxed.decisions["functions"].logic.text.startswith("{加倍: function(x) x * 2, ")
    assert boxed.decisions["conditional"].logic.text == 'if count(departments) > 0 then "有" else "无"'


def test_boxed_models_validate_clean(boxed: DmnModel, governance: DmnModel) -> None:
    assert boxed.validate() == [] and governance.validate() == []


# --- imports --------------------------------------------------------------------------------


def test_imported_bkm_decision_and_item_definition() -> None:
    model = load_dmn(FIXTURES / "import_main.dmn")
    result = model.evaluate("考评结果", {"scores": [80, 40]})
    assert result.result == {"总分": 70, "及格": True}
    assert [r.decision_name for r in result.required] == ["及格线"]
    out_of_range = model.evaluate("考评结果", {"scores": [200, 40]})  # 160 is not a tScore of the library
    assert out_of_range.result == {"总分": None, "及格": None}


def test_imports_from_a_mapping_when_loading_bytes() -> None:
    main = (FIXTURES / "import_main.dmn").read_bytes()
    lib = (FIXTURES / "import_lib.dmn").read_bytes()
    model = load_dmn(main, imports={"https://gongzhi.example/dmn/scoring-lib": lib})
    assert model.evaluate("考评结果", {"scores": [60, 60]}).result["及格"] is True
    with pytest.raises(DefinitionInvalid, match="找不到导入的模型 '评分库'"):
        load_dmn(main)


# --- bad models get located, plain answers --------------------------------------------------


def replaced(file: str, old: str, new: str) -> str:
    text = (FIXTURES / file).read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new)


def test_unknown_function_lists_close_names() -> None:
    text = replaced("governance.dmn", "decimal(mean(各部门得分), 1)", "decimal(meen(各部门得分), 1)")
    with pytest.raises(DefinitionInvalid) as info:
        load_dmn(text, filename="governance.dmn")
    (problem,) = info.value.problems
    assert problem.code == "unknown-function" and problem.element_id == "Decision_evaluation"
    assert "上下文条目 '平均分'" in problem.message and "未知的函数 'meen'" in problem.message
    assert "mean" in problem.message  # the close names


def test_unparsable_entry_names_decision_entry_line_and_column() -> None:
    text = replaced("governance.dmn", "<text>rating * 20 - (if signed then 0 else 10)</text>",
                    "<text>rating * 20\n  - (if signed then 0 10)</text>")  # fmt: skip
    with pytest.raises(DefinitionInvalid) as info:
        load_dmn(text, filename="governance.dmn")
    (problem,) = info.value.problems
    assert problem.element_id == "BusinessKnowledgeModel_score"
    assert problem.message.startswith("业务知识模型 '部门得分'：无法解析 ")
    assert "第 2 行第 23 列" in problem.message and "expected 'else'" in problem.message
    assert problem.extra == {"column": 23, "expression_line": 2}
    assert "- (if signed then 0 10)" in text.splitlines()[problem.line - 1]  # the file line of the error


@pytest.mark.parametrize("kind", ["Java", "PMML"])
def test_java_and_pmml_functions_are_refused(kind: str) -> None:
    text = replaced("boxed15.dmn", "<functionDefinition>", f'<functionDefinition kind="{kind}">')
    with pytest.raises(DefinitionInvalid, match=f"不支持 {kind} 函数"):
        load_dmn(text)


def test_decision_without_logic_is_refused() -> None:
    text = replaced("boxed15.dmn", '<literalExpression><text>if threshold &gt; 3 then "高" else "极低"</text></literalExpression>', "")
    with pytest.raises(DefinitionInvalid, match="没有决策逻辑"):
        load_dmn(text)


def test_invocation_of_unknown_bkm() -> None:
    text = replaced("governance.dmn", "<text>评价等级</text>", "<text>评价登记</text>")
    with pytest.raises(DefinitionInvalid, match="调用了未知的函数 '评价登记'.*评价等级"):
        load_dmn(text)


def test_service_with_missing_output_decision() -> None:
    text = replaced("governance.dmn", '<outputDecision href="#Decision_evaluation" />', '<outputDecision href="#gone" />')
    with pytest.raises(DefinitionInvalid, match="决策服务 'DecisionService_evaluation'（考评服务）：引用了不存在的决策 gone"):
        load_dmn(text)
