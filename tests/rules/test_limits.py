"""Runaway FEEL stops at RuleLimits with LimitExceeded, never a hang; limits are parameters.

No assertion here measures time: each case would run for hours (or forever)
without its limit, so finishing at all is the evidence; the exception names
the limit, its maximum and the decision.
"""

from __future__ import annotations

import dataclasses

import pytest

from gongzhi.errors import ExecutionError, LimitExceeded
from gongzhi.rules import DmnModel, RuleLimits, load_dmn
from gongzhi.rules.compile import compile_text
from gongzhi.rules.limits import DEFAULT_LIMITS, Run, running

DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def literal_model(expression: str, limits: RuleLimits | None = None) -> DmnModel:
    xml = (
        f'<definitions xmlns="{DMN13}" id="d" name="d" namespace="https://gongzhi.example/limits">'
        f'<decision id="runaway" name="失控"><literalExpression><text>{expression}</text></literalExpression>'
        "</decision></definitions>"
    )
    return load_dmn(xml, limits=limits)


RUNAWAY = [
    ("count(for i in 1..1000000000 return i)", "max_range"),
    ("count(for i in [1..1000000000] return i)", "max_range"),
    ("count(for i in 1..1000, j in 1..1000 return i)", "max_iterations"),
    ("some i in [1..1000], j in [1..1000] satisfies i = -1", "max_iterations"),
    ("{f: function(n) f(n + 1), r: f(0)}.r", "max_depth"),
    ("{f: function(n) if n = 0 then 0 else 1 + f(n - 1), r: f(100000)}.r", "max_depth"),
    ("{f: function(s, n) if n = 0 then s else f(s + s, n - 1), r: string length(f(\"ab\", 40))}.r",
     "max_string_length"),
    ("count(flatten(for i in 1..400 return for j in 1..400 return j))", "max_iterations"),
    ('matches("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", "^(a|aa)+$")', "regex_timeout_seconds"),  # backtracks
]


@pytest.mark.parametrize(("expression", "limit"), RUNAWAY)
def test_runaway_expressions_stop_at_a_limit(expression: str, limit: str) -> None:
    limits = dataclasses.replace(DEFAULT_LIMITS, regex_timeout_seconds=0.05)
    with pytest.raises(LimitExceeded) as info:
        literal_model(expression, limits).evaluate("runaway", {})
    error = info.value
    assert isinstance(error, ExecutionError)
    assert error.limit == limit and error.maximum == getattr(limits, limit)
    assert error.decision_id == "runaway" and str(error).startswith("决策 'runaway'（失控）：规则计算超出限制")
    assert f"(rules limit {limit})" in str(error)


def test_limits_are_parameters_of_the_model_and_of_each_call() -> None:
    model = literal_model("count(for i in 1..50 return i)", RuleLimits(max_range=10))
    with pytest.raises(LimitExceeded, match="最多 10"):
        model.evaluate("runaway", {})
    assert model.evaluate("runaway", {}, limits=RuleLimits(max_range=50)).result == 50  # a per-call override
    assert literal_model("count(for i in 1..50 return i)").evaluate("runaway", {}).result == 50


def test_iterations_are_counted_over_the_whole_evaluation() -> None:
    model = literal_model("count(for i in 1..60 return i) + count(for i in 1..60 return i)")
    assert model.evaluate("runaway", {}, limits=RuleLimits(max_iterations=120)).result == 120
    with pytest.raises(LimitExceeded) as info:
        model.evaluate("runaway", {}, limits=RuleLimits(max_iterations=119))
    assert info.value.value == 120  # what was asked for


def test_recursion_within_the_depth_limit_works() -> None:
    model = literal_model("{f: function(n) if n = 0 then 0 else 1 + f(n - 1), r: f(depth)}.r")
    assert model.evaluate("runaway", {"depth": DEFAULT_LIMITS.max_depth - 1}).result == DEFAULT_LIMITS.max_depth - 1


def test_list_size_limit() -> None:
    model = literal_model("count(concatenate(l, l, l))")
    assert model.evaluate("runaway", {"l": list(range(10))}, limits=RuleLimits(max_list_size=30)).result == 30
    with pytest.raises(LimitExceeded, match="max_list_size"):
        model.evaluate("runaway", {"l": list(range(10))}, limits=RuleLimits(max_list_size=29))


def test_the_explanation_is_capped() -> None:
    model = load_dmn(
        f'<definitions xmlns="{DMN13}" id="d" name="d" namespace="n">'
        '<businessKnowledgeModel id="b" name="加一"><encapsulatedLogic><formalParameter name="x"/>'
        "<literalExpression><text>x + 1</text></literalExpression></encapsulatedLogic></businessKnowledgeModel>"
        '<decision id="many" name="多次调用"><literalExpression><text>sum(for i in 1..50 return 加一(i))</text>'
        "</literalExpression></decision></definitions>",
        limits=RuleLimits(max_trace_entries=10),
    )
    result = model.evaluate("many", {})
    assert result.result == sum(range(2, 52))
    assert len(result.trace) == 11 and result.trace[-1].kind == "truncated"
    assert "另有 40 条解释未记录" in result.trace[-1].label


def test_limits_also_bind_direct_use_of_compiled_expressions() -> None:
    expression = compile_text("count(for i in 1..100 return i)")
    with running(Run(RuleLimits(max_range=99))), pytest.raises(LimitExceeded):
        expression.fn({})
    assert expression.fn({}) == 100  # outside an evaluation, the documented defaults apply


def test_now_and_today_follow_the_callers_clock() -> None:
    import datetime as dt

    model = literal_model("string(today()) + \" \" + string(now().hour)")
    clock = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert model.evaluate("runaway", {}, now=clock).result == "2026-11-02 9"


def test_constant_folding_never_runs_away_at_load_time() -> None:
    model = literal_model('string length(string join(for i in 1..1000000 return "x"))')
    with pytest.raises(LimitExceeded):  # loading was instant; the work is refused when evaluated
        model.evaluate("runaway", {})
