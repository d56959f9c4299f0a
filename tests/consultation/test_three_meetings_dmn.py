"""The three-meeting decision tables (三会), exercised by tables of examples.

Each example goes through the deployed decision (``Engine.evaluate_decision``),
and the tier examples also through a started consultation, where the matched
rule must appear in the audit trail.
"""

from __future__ import annotations

from typing import Any

import pytest

TIER_RULE = "DecisionRule_consultation_tier_"

# scope, cost (yuan), difficulty, authority -> meeting, notice days, quorum rule, majority rule, matched rule
TIER_EXAMPLES = [
    ("楼栋", 0, "低", "居委会或物业", "小微事务恳谈会", 3, "过半数出席", "出席过半数同意", "small_matter"),
    ("楼栋", 5000, "低", "居委会或物业", "小微事务恳谈会", 3, "过半数出席", "出席过半数同意", "small_matter"),
    ("小区", 0, "低", "居委会或物业", "社区党群议事会", 3, "三分之二出席", "出席过半数同意", "compound"),
    ("社区", 0, "低", "居委会或物业", "社区党群议事会", 3, "三分之二出席", "出席过半数同意", "community_wide"),
    ("楼栋", 5001, "低", "居委会或物业", "社区党群议事会", 3, "三分之二出席", "出席过半数同意", "moderate_cost"),
    ("楼栋", 0, "中", "居委会或物业", "社区党群议事会", 3, "三分之二出席", "出席过半数同意", "moderate_difficulty"),
    ("楼栋", 0, "低", "社区", "社区党群议事会", 3, "三分之二出席", "出席过半数同意", "community_authority"),
    ("社区", 100000, "中", "社区", "社区党群议事会", 3, "三分之二出席", "出席过半数同意", "community_wide"),
    ("跨社区", 0, "低", "居委会或物业", "重大事项论证会", 7, "三分之二出席", "出席三分之二同意", "cross_community"),
    ("社区", 100001, "低", "社区", "重大事项论证会", 7, "三分之二出席", "出席三分之二同意", "high_cost"),
    ("楼栋", 0, "高", "居委会或物业", "重大事项论证会", 7, "三分之二出席", "出席三分之二同意", "complex"),
    ("楼栋", 0, "低", "街道及以上", "重大事项论证会", 7, "三分之二出席", "出席三分之二同意", "beyond_authority"),
    ("跨社区", 900000, "高", "街道及以上", "重大事项论证会", 7, "三分之二出席", "出席三分之二同意", "beyond_authority"),
]
TIER_IDS = [f"{e[0]}-{e[1]}元-{e[2]}-{e[3]}" for e in TIER_EXAMPLES]


@pytest.mark.parametrize(("scope", "cost", "difficulty", "authority", "meeting", "notice_days", "quorum_rule",
                          "majority_rule", "rule"), TIER_EXAMPLES, ids=TIER_IDS)
def test_tier_decision(consult, scope: str, cost: int, difficulty: str, authority: str, meeting: str,
                       notice_days: int, quorum_rule: str, majority_rule: str, rule: str) -> None:
    inputs = {"scope": scope, "cost_estimate": cost, "difficulty": difficulty, "authority": authority}
    outcome = consult.engine.evaluate_decision("consultation_tier", inputs)
    assert outcome["result"]["tier_name"] == meeting and outcome["result"]["basis"]
    assert outcome["matched_rules"] == [TIER_RULE + rule]
    rules = consult.engine.evaluate_decision("consultation_tier_rules", {"tier_name": meeting})["result"]
    assert (rules["notice_days"], rules["quorum_rule"], rules["majority_rule"]) == (notice_days, quorum_rule, majority_rule)
    assert rules["publicity_days"] >= 5  # publicity lasts at least five days

    # The same classification on a started topic: the meeting's rules in its variables, the rule in its history.
    inst = consult.start("consultation_community", **inputs)
    variables = consult.variables(inst)
    assert (variables["tier_name"], variables["notice_days"]) == (meeting, notice_days)
    [audited] = [e for e in consult.engine.history(inst, consult.admin) if e.get("decision_id") == "consultation_tier"]
    assert audited["matched_rules"] == [TIER_RULE + rule] and audited["element_id"] == "classify"


def test_a_zero_cost_matter_of_a_large_community_is_a_council_matter(consult) -> None:
    """One community has 1 000–3 000 households (seeds 000, 003): 1 200 households are no cross-community matter."""
    inst = consult.start("consultation_community", scope="社区", households=1200, cost_estimate=0, difficulty="低",
                         authority="居委会或物业")
    variables = consult.variables(inst)
    assert (variables["tier"], variables["tier_name"], variables["tier_basis"]) == ("council", "社区党群议事会", "涉及整个社区")
    assert variables["opinions_required"] == []


def test_households_are_no_input_of_the_tier(consult) -> None:
    """The table reads the scope, not the households: the same matter with 50 or 5 000 households gets the same meeting."""
    base = {"scope": "楼栋", "cost_estimate": 0, "difficulty": "低", "authority": "居委会或物业"}
    told = {consult.engine.evaluate_decision("consultation_tier", {**base, "households": n})["result"]["tier_name"]
            for n in (50, 1200, 5000)}
    assert told == {"小微事务恳谈会"}


@pytest.mark.parametrize(("meeting", "tier", "participants", "opinions"), [
    ("小微事务恳谈会", "small_talk", {"网格员", "提议居民", "相邻居民", "物业服务企业"}, []),
    ("社区党群议事会", "council", {"社区党组织", "居民委员会", "居民代表", "业主委员会", "物业服务企业", "驻区单位"}, []),
    ("重大事项论证会", "hearing", {"社区党组织", "居民委员会", "居民代表", "业主委员会", "物业服务企业", "驻区单位", "街道职能部门",
                                   "专家", "人大代表和政协委员"}, ["专家", "职能部门"]),
])
def test_meeting_rules_by_tier(consult, meeting: str, tier: str, participants: set[str], opinions: list[str]) -> None:
    outcome = consult.engine.evaluate_decision("consultation_tier_rules", {"tier_name": meeting})
    result = outcome["result"]
    assert result["tier"] == tier and set(result["participant_types"]) == participants
    assert result["opinions_required"] == opinions
    assert outcome["matched_rules"] == [f"DecisionRule_consultation_tier_rules_{tier}"]


def test_every_tier_rule_says_where_it_comes_from(consult) -> None:
    """Each row cites a seed or DOMAIN, or says that its threshold is a local default."""
    described = {d["id"]: d for d in consult.engine.decisions()}
    for decision in ("consultation_tier", "consultation_tier_rules"):
        for rule in described[decision]["rules"]:
            text = rule["description"] or ""
            assert "种子" in text or "DOMAIN" in text or "本地默认" in text, (rule["id"], text)
            if "元以上" in text or "个工作日" in text:  # amounts and periods no seed fixes
                assert "本地默认" in text, (rule["id"], text)


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
