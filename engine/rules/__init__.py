"""Gongzhi's DMN decision engine: exact, explainable FEEL decision tables.

Load a DMN file once (every cell, entry and boxed expression is parsed and
compiled at load time), then evaluate decisions as often as needed::

    from gongzhi.rules import load_dmn

    model = load_dmn("triage.dmn")
    problems = model.validate(known_names={"case"})
    result = model.evaluate("triage", {"case": {"category": "噪音"}})
    result.result, result.matched_rules, result.explain()

What is supported, the limits and how errors are reported: ``README.md`` in this package.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from .dmn import load_dmn
from .limits import RuleLimits, TraceEntry
from .model import (
    BoxedExpression,
    BusinessKnowledgeModel,
    Decision,
    DecisionResult,
    DecisionService,
    DmnModel,
    RuleMatch,
)
from .values import to_json

__all__ = [
    "load_dmn",
    "DmnModel",
    "Decision",
    "DecisionResult",
    "RuleMatch",
    "evaluate_file",
    "BoxedExpression",
    "BusinessKnowledgeModel",
    "DecisionService",
    "RuleLimits",
    "TraceEntry",
]


def evaluate_file(
    path: str | os.PathLike[str], decision: str, inputs: Mapping[str, Any], *, limits: RuleLimits | None = None
) -> dict[str, Any]:
    """Load ``path``, evaluate ``decision`` (id or name) and return a JSON-ready summary.

    Returns ``{"result": ..., "matched_rules": [...]}``; raises the same errors
    as :func:`load_dmn` and :meth:`DmnModel.evaluate`.
    """
    outcome = load_dmn(path, limits=limits).evaluate(decision, inputs)
    return {"result": to_json(outcome.result), "matched_rules": list(outcome.matched_rules)}
