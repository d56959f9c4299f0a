"""Models with contexts, BKMs and services deploy through the engine unchanged; ``decide --explain``.

The engine validates every deployed file (schema, shapes, expressions,
names) before storing it: a Camunda Modeler file with boxed decisions and
BKMs must pass that whole path and evaluate from the database afterwards.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from gongzhi import Engine
from gongzhi.cli import main
from gongzhi.errors import DefinitionInvalid

FIXTURES = Path(__file__).parent / "fixtures"
DEPARTMENTS = [{"name": "城管", "rating": 4, "signed": True}, {"name": "水务", "rating": 2, "signed": False}]


@pytest.fixture
def governance_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "governance"
    folder.mkdir()
    shutil.copy(FIXTURES / "governance.dmn", folder / "governance.dmn")
    return folder


def test_boxed_decisions_and_bkms_deploy_and_evaluate(make_engine: Callable[..., Engine], governance_folder: Path) -> None:
    engine = make_engine()
    result = engine.deploy([governance_folder])
    assert {item["key"] for item in result.created} >= {"Decision_evaluation", "Decision_low_rated"}
    answer = engine.evaluate_decision("综合评价", {"departments": DEPARTMENTS})
    assert answer["result"] == {"等级": "待改进", "平均分": 55, "需要督办": True}
    assert answer["explanation"][0]["label"] == "各部门得分"
    listed = {d["id"]: d for d in engine.decisions()}
    assert listed["Decision_evaluation"]["expression"].startswith("{各部门得分: for d in departments")


def test_an_undrawn_bkm_is_refused(make_engine: Callable[..., Engine], governance_folder: Path) -> None:
    path = governance_folder / "governance.dmn"
    text = path.read_text(encoding="utf-8").replace('dmnElementRef="BusinessKnowledgeModel_grade"', 'dmnElementRef="x"')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionInvalid) as info:
        make_engine().deploy([governance_folder])
    (problem,) = [p for p in info.value.problems if p.code == "not-drawn"]
    assert problem.element_id == "BusinessKnowledgeModel_grade" and "businessKnowledgeModel" in problem.message


def test_decide_explain_prints_chinese(tmp_path: Path) -> None:
    runner = CliRunner()
    inputs = orjson.dumps({"departments": DEPARTMENTS}).decode()
    out = runner.invoke(main, ["decide", str(FIXTURES / "governance.dmn"), "--decision", "综合评价", "--input", inputs,
                               "--explain"])  # fmt: skip
    assert out.exit_code == 0, out.output
    first, *rest = out.output.splitlines()
    assert orjson.loads(first) == {"result": {"等级": "待改进", "平均分": 55, "需要督办": True}, "matched_rules": []}
    text = "\n".join(rest)
    assert rest[0] == "解释："
    assert "上下文条目 '各部门得分' = [80, 30]" in text
    assert "调用业务知识模型 部门得分(rating = 2, signed = false) → 30" in text
    assert "命中规则 DecisionRule_grade_poor" in text


def test_decide_without_explain_is_unchanged_and_runs_services() -> None:
    runner = CliRunner()
    inputs = orjson.dumps({"departments": DEPARTMENTS}).decode()
    out = runner.invoke(main, ["decide", str(FIXTURES / "governance.dmn"), "--decision", "考评服务", "--input", inputs])
    assert out.exit_code == 0 and len(out.output.splitlines()) == 1
    assert orjson.loads(out.output)["result"]["平均分"] == 55


def test_decide_explains_table_matches() -> None:
    from gongzhi import bpmn_package_path

    dmn = str(bpmn_package_path() / "micro_wish" / "micro_wish_rules.dmn")
    out = CliRunner().invoke(main, ["decide", dmn, "--decision", "微心愿办理时限", "--input",
                                    '{"category": "助老", "urgent": false}', "--explain"])  # fmt: skip
    assert out.exit_code == 0
    assert "命中第" in out.output and "DecisionRule_elderly" in out.output and "输入：" in out.output
