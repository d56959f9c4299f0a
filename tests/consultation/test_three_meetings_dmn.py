"""The three-meeting decision tables (三会), exercised by tables of examples.

Each example goes through the deployed decision (``Engine.evaluate_decision``),
and the tier examples also through a started consultation, where the matched
rule must appear in the audit trail.
"""

from __future__ import annotations

from typing import Any

import pytest

TIER_RULE = "DecisionRule_consultation_tier_"

# households, cost (yuan), difficulty, authority -> tier, notice days, quorum rule, majority rule, matched rule
TIER_EXAMPLES = [
    (1, 0, "低", "居委会或物业", "small_talk", 3, "过半数出席", "出席过半数同意", "small_matter"),
    (50, 5000, "低", "居委会或物业", "small_talk", 3, "过半数出席", "出席过半数同意", "small_matter"),
    (51, 0, "低", "居委会或物业", "council", 3, "三分之二出席", "出席过半数同意", "community_wide"),
    (10, 5001, "低", "居委会或物业", "council", 3, "三分之二出席", "出席过半数同意", "moderate_cost"),
    (10, 0, "中", "居委会或物业", "council", 3, "三分之二出席", "出席过半数同意", "moderate_difficulty"),
    (10, 0, "低", "社区", "council", 3, "三分之二出席", "出席过半数同意", "community_authority"),
    (300, 100000, "中", "社区", "council", 3, "三分之二出席", "出席过半数同意", "community_authority"),
    (1001, 0, "低", "居委会或物业", "hearing", 7, "三分之二出席", "出席三分之二同意", "cross_community"),
    (10, 100001, "低", "社区", "hearing", 7, "三分之二出席", "出席三分之二同意", "high_cost"),
    (10, 0, "高", "居委会或物业", "hearing", 7, "三分之二出席", "出席三分之二同意", "complex"),
    (2, 0, "低", "街道及以上", "hearing", 7, "三分之二出席", "出席三分之二同意", "beyond_authority"),
    (5000, 900000, "高", "街道及以上", "hearing", 7, "三分之二出席", "出席三分之二同意", "beyond_authority"),
]
TIER_IDS = [f"{e[0]}户-{e[1]}元-{e[2]}-{e[3]}" for e in TIER_EXAMPLES]


@pytest.mark.parametrize(("households", "cost", "difficulty", "authority", "tier", "notice_days", "quorum_rule",
                          "majority_rule", "rule"), TIER_EXAMPLES, ids=TIER_IDS)
def test_tier_decision(consult, households: int, cost: int, difficulty: str, authority: str, tier: str,
                       notice_days: int, quorum_rule: str, majority_rule: str, rule: str) -> None:
    inputs = {"households": households, "cost_estimate": cost, "difficulty": difficulty, "authority": authority}
    outcome = consult.engine.evaluate_decision("consultation_tier", inputs)
    result = outcome["result"]
    assert (result["tier"], result["notice_days"], result["quorum_rule"], result["majority_rule"]) == (
        tier, notice_days, quorum_rule, majority_rule)
    assert result["publicity_days"] >= 5  # publicity lasts at least five days
    assert outcome["matched_rules"] == [TIER_RULE + rule]

    # The same classification on a started topic: the tier in its variables, the rule in its history.
    inst = consult.start("consultation_community", **inputs)
    variables = consult.variables(inst)
    assert (variables["tier"], variables["notice_days"]) == (tier, notice_days)
    [audited] = [e for e in consult.engine.history(inst, consult.admin) if e.get("decision_id") == "consultation_tier"]
    assert audited["matched_rules"] == [TIER_RULE + rule] and audited["element_id"] == "classify"


@pytest.mark.parametrize(("tier", "participants"), [
    ("small_talk", {"网格员", "提议居民", "相邻居民", "物业服务企业"}),
    ("council", {"社区党组织", "居民委员会", "居民代表", "业主委员会", "物业服务企业", "驻区单位"}),
    ("hearing", {"社区党组织", "居民委员会", "居民代表", "业主委员会", "物业服务企业", "驻区单位", "街道职能部门", "专家",
                 "人大代表和政协委员"}),
])
def test_participant_types_by_tier(consult, tier: str, participants: set[str]) -> None:
    inputs = {"small_talk": (5, 0, "低", "居委会或物业"), "council": (5, 0, "低", "社区"),
              "hearing": (5, 0, "低", "街道及以上")}[tier]
    result = consult.engine.evaluate_decision("consultation_tier", dict(zip(
        ("households", "cost_estimate", "difficulty", "authority"), inputs)))["result"]
    assert result["tier"] == tier and set(result["participant_types"]) == participants


# rule, present, invited -> quorum met, at least present
QUORUM_EXAMPLES = [
    ("过半数出席", 3, 5, True, 3), ("过半数出席", 2, 5, False, 3), ("过半数出席", 5, 10, False, 6),
    ("过半数出席", 6, 10, True, 6), ("三分之二出席", 6, 9, True, 6), ("三分之二出席", 5, 9, False, 6),
    ("三分之二出席", 7, 10, True, 7), ("三分之二出席", 6, 10, False, 7), ("三分之二出席", 2, 3, True, 2),
]


@pytest.mark.parametrize(("rule", "present", "invited", "met", "required"), QUORUM_EXAMPLES)
def test_quorum_decision(consult, rule: str, present: int, invited: int, met: bool, required: int) -> None:
    outcome = consult.engine.evaluate_decision(
        "consultation_quorum", {"quorum_rule": rule, "present": present, "invited_count": invited})
    assert outcome["result"] == {"quorum_met": met, "required_present": required}


# rule, for, present -> passed, votes needed
MAJORITY_EXAMPLES = [
    ("出席过半数同意", 2, 3, True, 2), ("出席过半数同意", 2, 4, False, 3), ("出席过半数同意", 3, 4, True, 3),
    ("出席三分之二同意", 6, 9, True, 6), ("出席三分之二同意", 5, 9, False, 6), ("出席三分之二同意", 5, 7, True, 5),
    ("出席三分之二同意", 4, 7, False, 5),
]


@pytest.mark.parametrize(("rule", "votes_for", "present", "passed", "needed"), MAJORITY_EXAMPLES)
def test_majority_decision(consult, rule: str, votes_for: int, present: int, passed: bool, needed: int) -> None:
    outcome = consult.engine.evaluate_decision(
        "consultation_majority", {"majority_rule": rule, "votes_for": votes_for, "present": present})
    assert outcome["result"] == {"passed": passed, "votes_needed": needed}


@pytest.mark.parametrize(("venue", "extra"), [
    ("院坝协商", ["院落居民"]), ("社区协商", ["社会组织"]), ("厂区协商", ["企业", "职工代表"]),
    ("政企协商", ["企业", "政府职能部门"]), ("银企协商", ["企业", "银行"]),
])
def test_venue_participants_collect(consult, venue: str, extra: list[Any]) -> None:
    outcome = consult.engine.evaluate_decision("consultation_venue_participants", {"venue": venue})
    assert outcome["result"] == extra
