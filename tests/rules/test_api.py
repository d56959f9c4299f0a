"""The public surface of gongzhi.rules."""

from __future__ import annotations

import json
from pathlib import Path

import gongzhi.rules as rules
from gongzhi.rules import evaluate_file

FIXTURES = Path(__file__).parent / "fixtures"


def test_public_names() -> None:
    assert set(rules.__all__) == {
        "load_dmn", "DmnModel", "Decision", "DecisionResult", "RuleMatch", "evaluate_file", "BoxedExpression",
        "BusinessKnowledgeModel", "DecisionService", "RuleLimits", "TraceEntry",
    }  # fmt: skip
    for name in rules.__all__:
        assert getattr(rules, name) is not None


def test_evaluate_file_returns_json_ready_summary() -> None:
    summary = evaluate_file(
        FIXTURES / "triage.dmn",
        "办结期限",
        {"case": {"category": "漏水", "households": 2, "street": "东街", "received": "2026-03-01"}},
    )
    assert summary == {"result": "2026-03-04", "matched_rules": []}
    json.dumps(summary)


def test_evaluate_file_with_table() -> None:
    summary = evaluate_file(str(FIXTURES / "hit_policies.dmn"), "collect_multi", {"age": 61, "income": 100.5})
    assert summary["result"] == [{"item": "老年补贴", "amount": 300}, {"item": "低收入补贴", "amount": 25.125}]
    assert len(summary["matched_rules"]) == 2


def test_results_carry_rule_matches() -> None:
    model = rules.load_dmn(FIXTURES / "hit_policies.dmn")
    result = model.evaluate("output_order_items", {"age": 70, "income": 100})
    assert [m.index for m in result.matches] == [2, 1, 3]
    assert [m.rule_id for m in result.matches] == result.matched_rules
    assert result.matches[0].outputs == {"item": "低收入补贴"}
    assert isinstance(result.matches[0], rules.RuleMatch)


def test_rules_depends_only_on_errors() -> None:
    """gongzhi.rules is self-contained: from the rest of Gongzhi it imports only gongzhi.errors."""
    import ast

    package = Path(rules.__file__).parent
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level >= 2:
                assert node.module == "errors", f"{module.name} imports ..{node.module}"
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                assert not node.module.startswith("gongzhi") or node.module == "gongzhi.errors", module.name
            if isinstance(node, ast.Import):
                assert all(not a.name.startswith("gongzhi") for a in node.names), module.name


def test_readme_documents_every_limit() -> None:
    import dataclasses

    readme = (Path(rules.__file__).parent / "README.md").read_text(encoding="utf-8")
    for limit in dataclasses.fields(rules.RuleLimits):
        assert f"`{limit.name}`" in readme
