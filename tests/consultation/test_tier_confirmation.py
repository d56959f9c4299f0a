"""The community party organisation confirms or changes the proposed meeting form (三会), and the topic follows it."""

from __future__ import annotations

import pytest

from gongzhi import FormValidationError, NotAllowed

MATTER = {"title": "小区西门加装快递柜", "scope": "楼栋", "households": 60, "cost_estimate": 0, "difficulty": "低",
          "authority": "居委会或物业"}


def test_the_proposed_meeting_form_confirmed_as_it_stands(consult) -> None:
    c = consult
    inst = c.start("consultation_courtyard", **MATTER)
    c.do(inst, "review_topic", c.party, {"review_decision": "受理"})
    task = c.engine.task(c.task(inst, "confirm_tier").id, c.party)
    assert task.candidate_groups == ["party_org"] and "小微事务恳谈会" in task.instructions
    c.confirm_tier(inst)
    v = c.variables(inst)
    assert v["tier_confirmation"] == {"proposed": "小微事务恳谈会", "confirmed": "小微事务恳谈会", "changed": False, "reason": ""}
    assert (v["tier"], v["host_group"], v["notice_days"]) == ("small_talk", "grid_worker", 3)
    assert c.open_elements(inst) == ["prepare_notice"]


def test_the_party_organisation_changes_the_meeting_form_with_a_reason(consult) -> None:
    c = consult
    inst = c.start("consultation_courtyard", **MATTER)
    assert c.variables(inst)["tier"] == "small_talk"
    c.do(inst, "review_topic", c.party, {"review_decision": "受理"})
    reason = "快递柜占用消防通道，须请街道城管和消防部门论证"
    c.confirm_tier(inst, change_to="重大事项论证会", reason=reason)

    v = c.variables(inst)
    assert v["tier_confirmation"] == {"proposed": "小微事务恳谈会", "confirmed": "重大事项论证会", "changed": True,
                                      "reason": reason}
    # The topic now follows the hearing's rules: its notice period, vote, participants and opinions.
    assert (v["tier"], v["tier_name"], v["notice_days"], v["majority_rule"]) == ("hearing", "重大事项论证会", 7, "出席三分之二同意")
    assert {"专家", "街道职能部门", "院落居民"} <= set(v["participant_types"]) and "网格员" not in v["participant_types"]
    assert v["opinions_required"] == ["专家", "职能部门"]
    # The change, who made it and why are in the audit trail; the hearing's rules were looked up again.
    history = c.engine.history(inst, c.admin)
    [confirmed] = [e for e in history if e["action"] == "complete" and e.get("element_id") == "confirm_tier"]
    assert confirmed["actor"]["id"] == c.party.id and confirmed["data"]["tier_change_reason"] == reason
    rules = [e["matched_rules"] for e in history if e.get("decision_id") == "consultation_tier_rules"]
    assert rules == [["DecisionRule_consultation_tier_rules_small_talk"], ["DecisionRule_consultation_tier_rules_hearing"]]

    meeting_at = c.notice(inst, invited=9)
    assert meeting_at == c.working_days_from(c.clock.now(), 7)
    c.at(meeting_at)
    assert c.task(inst, "sign_in").candidate_groups == ["party_org"]  # no longer the grid worker's talk


def test_a_change_needs_the_new_form_and_a_reason(consult) -> None:
    c = consult
    inst = c.start("consultation_courtyard", **MATTER)
    c.do(inst, "review_topic", c.party, {"review_decision": "受理"})
    with pytest.raises(FormValidationError) as exc:
        c.do(inst, "confirm_tier", c.party, {"tier_decision": "改为其他会议形式", "confirmed_tier_name": "社区党群议事会"})
    assert [e["field"] for e in exc.value.errors] == ["tier_change_reason"]
    assert c.open_elements(inst) == ["confirm_tier"] and c.variables(inst)["tier"] == "small_talk"


def test_only_the_party_organisation_confirms(consult) -> None:
    c = consult
    inst = c.start("consultation_courtyard", **MATTER)
    c.do(inst, "review_topic", c.party, {"review_decision": "受理"})
    with pytest.raises(NotAllowed):
        c.do(inst, "confirm_tier", c.resident, {"tier_decision": "同意建议的会议形式"})  # the proposer may read, not decide
    assert c.open_elements(inst) == ["confirm_tier"]


def test_a_declined_topic_is_not_asked_for_its_meeting_form(consult) -> None:
    c = consult
    inst = c.start("consultation_courtyard", **MATTER)
    c.review(inst, "不予受理", review_reason="属业主大会决定事项")
    assert c.status(inst) == "completed" and "tier_confirmation" not in c.variables(inst)


def _rules_with_one_more_tier(name: str) -> bytes:
    """consultation_rules.dmn with one more meeting form in 三会议事规则: its allowed value and its row, nothing else."""
    from gongzhi import bpmn_package_path

    text = (bpmn_package_path() / "consultation" / "consultation_rules.dmn").read_text(encoding="utf-8")
    allowed = '<text>"小微事务恳谈会","社区党群议事会","重大事项论证会"</text>\n        </inputValues>'
    assert text.count(allowed) == 1
    text = text.replace(allowed, allowed.replace('"重大事项论证会"', f'"重大事项论证会","{name}"'))
    start = text.index('      <rule id="DecisionRule_consultation_tier_rules_small_talk">')
    end = text.index("</rule>", start) + len("</rule>\n")
    row = text[start:end].replace("tier_rules_small_talk", "tier_rules_courtyard_talk").replace('"小微事务恳谈会"', f'"{name}"')
    row = row.replace("<text>3</text>", "<text>2</text>", 1)  # a two-day notice
    return (text[:end] + row + text[end:]).encode()


def test_the_meeting_forms_offered_are_those_the_tier_rules_know(consult) -> None:
    from gongzhi.definitions.sources import SourceFile

    c = consult
    inst = c.start("consultation_courtyard", **MATTER)
    c.do(inst, "review_topic", c.party, {"review_decision": "受理"})
    field = c.engine.task(c.task(inst, "confirm_tier").id, c.party).form["properties"]["confirmed_tier_name"]
    assert field["enum"] == ["小微事务恳谈会", "社区党群议事会", "重大事项论证会"]

    # One DMN edit adds a meeting form: the confirmation form offers it and the topic follows its rules.
    c.engine.deploy(sources=[SourceFile("consultation_rules.dmn", _rules_with_one_more_tier("院落议事会"))], actor=c.admin)
    field = c.engine.task(c.task(inst, "confirm_tier").id, c.party).form["properties"]["confirmed_tier_name"]
    assert field["enum"] == ["小微事务恳谈会", "社区党群议事会", "重大事项论证会", "院落议事会"]
    c.confirm_tier(inst, change_to="院落议事会", reason="涉及整个院落，按院落议事会议定")
    v = c.variables(inst)
    assert (v["tier"], v["tier_name"], v["notice_days"]) == ("small_talk", "院落议事会", 2)
    other = c.start("consultation_courtyard", **MATTER)
    c.do(other, "review_topic", c.party, {"review_decision": "受理"})
    with pytest.raises(FormValidationError) as exc:  # a name no rule knows is a field error, as before
        c.confirm_tier(other, change_to="随便开个会", reason="想换个叫法")
    assert [e["field"] for e in exc.value.errors] == ["confirmed_tier_name"]
