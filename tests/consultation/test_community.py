"""社区协商, community council (社区党群议事会): a failed quorum, a passed vote, an upheld objection and a second vote."""

from __future__ import annotations

import pytest

from gongzhi import NotFound

COUNCIL = {"title": "小区加装电动自行车充电桩", "description": "全社区电动自行车充电难，楼道充电有火灾隐患",
           "source": "小提案", "scope": "社区", "households": 300, "cost_estimate": 20000, "difficulty": "中", "authority": "社区"}


def test_council_with_failed_quorum_upheld_objection_and_second_vote(consult) -> None:
    c = consult
    inst = c.start("consultation_community", **COUNCIL)
    v = c.variables(inst)
    assert (v["tier"], v["quorum_rule"], v["majority_rule"]) == ("council", "三分之二出席", "出席过半数同意")
    assert v["participant_types"][-1] == "社会组织"  # the community venue adds social organisations
    [tier] = [e for e in c.engine.history(inst, c.admin) if e.get("decision_id") == "consultation_tier"]
    assert tier["matched_rules"] == ["DecisionRule_consultation_tier_community_wide"]
    c.review(inst)

    # Round 1: 5 of 9 present is below two thirds; the meeting is rescheduled with a new notice.
    c.at(c.notice(inst, invited=9))
    sign_in = c.task(inst, "sign_in")
    assert sign_in.candidate_groups == ["party_org"]
    c.hold_meeting(inst, c.party, present=5)
    v = c.variables(inst)
    assert v["quorum_met"] is False and v["quorum"] == {"quorum_met": False, "required_present": 6}
    assert v["failed_quorums"] == 1 and v["topic_status"] == "通知邀请中"
    assert c.open_elements(inst) == ["prepare_notice"]
    assert "第 2 次会议" in c.engine.task(c.task(inst, "prepare_notice").id, c.party).instructions

    # Round 2: 7 of 9 present, 5 for, 1 against, 1 abstaining: passed by a majority of those present.
    c.at(c.notice(inst, invited=9))
    c.hold_meeting(inst, c.party, present=7, votes=(5, 1, 1), resolution="在 3 处车棚加装 40 个充电桩")
    v = c.variables(inst)
    assert v["passed"] is True and v["topic_status"] == "公示中" and len(v["resolutions"]) == 1
    assert c.open_elements(inst) == []

    # An objection during publicity is upheld: back to a new meeting.
    receipt = c.object(inst, reason="车棚紧邻幼儿园，位置需要重新论证")
    assert receipt.status == "delivered"
    review = c.task(inst, "review_objection")
    assert "车棚紧邻幼儿园" in c.engine.task(review.id, c.party).instructions
    c.do(inst, "review_objection", c.party, {"upheld": True, "response": "异议成立，重新选址后再议"})
    v = c.variables(inst)
    assert v["objection_upheld"] is True and v["objections"][0]["upheld"] is True
    assert c.open_elements(inst) == ["prepare_notice"]

    # Round 3: the second vote passes; a second objection is not upheld; publicity runs its course.
    c.at(c.notice(inst, invited=9))
    c.hold_meeting(inst, c.party, present=8, votes=(6, 2, 0), resolution="在 2 处远离幼儿园的车棚加装 40 个充电桩")
    publicity_ends = c.working_days_from(c.clock.now(), 5)
    c.object(inst, objector="赵先生", reason="希望多装几个")
    c.do(inst, "review_objection", c.party, {"upheld": False, "response": "数量已按需求测算，维持原方案"})
    assert c.variables(inst)["topic_status"] == "公示中"
    assert c.at(publicity_ends) == 1  # the original publicity end still holds after the rejected objection
    v = c.variables(inst)
    assert v["final_result"] == {"resolution": "在 2 处远离幼儿园的车棚加装 40 个充电桩",
                                 "published_until": publicity_ends.isoformat(), "objections": 2}
    assert v["vote_rounds"] == 2 and v["meeting_round"] == 3 and v["failed_quorums"] == 1
    assert [m["quorum_met"] for m in v["meeting_log"]] == [False, True, True]

    c.plan(inst, [{"title": "采购安装充电桩", "owner": "幸福里物业", "owner_group": "property_co", "deadline_days": 10}])
    c.do(inst, "carry_out", c.property, {"impl_result": "已安装 40 个充电桩并通电"})
    # The supervisor sends it back once before the residents rate it.
    c.do(inst, "supervise", c.supervisor, {"supervision_passed": False, "supervision_opinion": "缺少消防器材"})
    c.do(inst, "rectify", c.party, {"rectification": "已在车棚配置灭火器"})
    done = c.supervise_and_rate(inst, 4)
    assert done.status == "completed" and done.variables["topic_status"] == "已办结"
    assert done.variables["topic_record"]["objections"] == 2


def test_objections_only_reach_a_topic_in_publicity(consult) -> None:
    c = consult
    inst = c.start("consultation_community", **COUNCIL)
    with pytest.raises(NotFound):
        c.engine.correlate("consultation_objection", c.resident, {"objector": "李", "reason": "太早了"}, instance_id=inst)
