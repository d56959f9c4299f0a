"""院坝协商, small-matters talk (小微事务恳谈会): intake on Monday, resolved the same week, then carried out and closed."""

from __future__ import annotations

from datetime import datetime

import pytest

from gongzhi import FormValidationError, ScriptError


def test_small_matters_talk_resolved_the_same_week(consult) -> None:
    c = consult
    inst = c.start("consultation_courtyard")  # Monday 2026-11-02 09:00
    v = c.variables(inst)
    assert (v["tier"], v["tier_name"], v["notice_days"], v["quorum_rule"]) == (
        "small_talk", "小微事务恳谈会", 3, "过半数出席")
    assert v["participant_types"] == ["网格员", "提议居民", "相邻居民", "物业服务企业", "院落居民"]
    assert v["topic_status"] == "审核中" and v["venue"] == "院坝协商"
    [decision, venue, rules] = [e for e in c.engine.history(inst, c.admin) if e["action"] == "decision"]
    assert decision["decision_id"] == "consultation_tier" and rules["decision_id"] == "consultation_tier_rules"
    assert rules["matched_rules"] == ["DecisionRule_consultation_tier_rules_small_talk"]
    assert decision["matched_rules"] == ["DecisionRule_consultation_tier_small_matter"]
    assert venue["matched_rules"] == ["DecisionRule_consultation_venue_participants_courtyard"]

    review = c.task(inst, "review_topic")
    assert review.candidate_groups == ["party_org"]
    assert "小微事务恳谈会" in c.engine.task(review.id, c.party).instructions
    c.clock.set(c.local(2026, 11, 2, 9, 30))
    c.review(inst)
    c.clock.set(c.local(2026, 11, 2, 10, 0))
    meeting_at = c.notice(inst, invited=5, place="3 号楼下院坝")
    assert meeting_at == c.local(2026, 11, 5, 10, 0)  # three working days: Thursday
    v = c.variables(inst)
    assert v["invited_count"] == 5 and v["uninvited_types"] == []
    assert [i["participant_type"] for i in v["invitations"]] == v["participant_types"]

    assert c.at(c.local(2026, 11, 5, 9, 59)) == 0
    assert c.open_elements(inst) == []
    assert c.at(meeting_at) == 1
    sign_in = c.task(inst, "sign_in")
    assert sign_in.candidate_groups == ["grid_worker"]  # the grid worker hosts a small-matters talk
    c.clock.set(c.local(2026, 11, 5, 10, 30))
    c.hold_meeting(inst, c.grid, present=3, votes=(2, 0, 1))  # 3 of 5 present; 2 of 3 agree
    v = c.variables(inst)
    resolved = datetime.fromisoformat(v["resolved_at"])
    intake = c.engine.instance(inst, c.admin).created_at
    assert resolved.isocalendar()[:2] == intake.isocalendar()[:2]  # the same ISO week
    assert v["topic_status"] == "公示中" and v["quorum_met"] and v["passed"]

    # Publicity: five working days, no objection; the final result is published.
    published = c.working_days_from(c.clock.now(), 5)
    assert published == c.local(2026, 11, 12, 10, 30)
    assert c.at(c.local(2026, 11, 12, 10, 29)) == 0
    assert c.at(published) == 1
    assert c.variables(inst)["final_result"]["resolution"].startswith("物业三日内清理楼道")

    c.plan(inst, [{"title": "清理楼道堆物", "owner": "幸福里物业", "owner_group": "property_co", "deadline_days": 3}])
    carry = c.task(inst, "carry_out")
    assert carry.candidate_groups == ["property_co"]
    assert carry.due_at == c.local(2026, 11, 17, 10, 30)
    c.clock.set(c.local(2026, 11, 16, 15, 0))
    c.do(inst, "carry_out", c.property, {"impl_result": "杂物已清理，张贴消防提示"})
    done = c.supervise_and_rate(inst, 5)
    assert done.status == "completed"
    record = done.variables["topic_record"]
    assert done.variables["topic_status"] == "已办结"
    assert record["tier"] == "small_talk" and record["meeting_rounds"] == 1 and record["satisfaction"] == 5
    [task] = record["implementation"]
    assert task["on_time"] is True and task["result"] == "杂物已清理，张贴消防提示"


def test_meeting_forms_and_vote_arithmetic_are_checked(consult) -> None:
    c = consult
    inst = c.start("consultation_courtyard")
    c.review(inst)
    c.at(c.notice(inst, invited=4))
    c.hold_meeting(inst, c.grid, present=3)
    with pytest.raises(ScriptError) as exc:
        c.do(inst, "minutes_vote", c.grid, {"minutes": "讨论", "resolution_text": "同意清理", "votes_for": 3,
                                              "votes_against": 1, "votes_abstain": 0})
    assert "超过实到人数" in str(exc.value)
    with pytest.raises(FormValidationError):
        c.do(inst, "minutes_vote", c.grid, {"minutes": "讨论", "votes_for": 2})
    assert c.open_elements(inst) == ["minutes_vote"]  # nothing moved


def test_a_failed_vote_ends_the_topic(consult) -> None:
    c = consult
    inst = c.start("consultation_courtyard")
    c.review(inst)
    c.at(c.notice(inst, invited=4))
    done = c.hold_meeting(inst, c.grid, present=4, votes=(2, 2, 0))  # exactly half is not a majority
    assert done.status == "completed" and done.variables["topic_status"] == "表决未通过"
    assert done.variables["vote"] == {"passed": False, "votes_needed": 3}
