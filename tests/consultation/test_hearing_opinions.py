"""重大事项论证会: experts' and departments' opinions are heard and a conclusion drawn before the vote."""

from __future__ import annotations

import pytest

from gongzhi import FormValidationError

from .conftest import OPINIONS

HEARING = {"title": "社区主干道改单行", "scope": "跨社区", "households": 1500, "cost_estimate": 0, "difficulty": "中",
           "authority": "社区"}
EXPERT_ONLY = [OPINIONS[0]]


def to_hearing(c, variant: str = "consultation_community") -> str:
    inst = c.start(variant, **HEARING)
    assert c.variables(inst)["tier"] == "hearing"
    c.review(inst)
    c.at(c.notice(inst, invited=9))
    c.do(inst, "sign_in", c.party, {"present": 8})
    return inst


def test_the_vote_waits_for_expert_and_department_opinions(consult) -> None:
    c = consult
    inst = to_hearing(c)
    assert c.open_elements(inst) == ["gather_opinions"]  # quorum met, but no vote yet
    task = c.engine.task(c.task(inst, "gather_opinions").id, c.party)
    assert "专家、职能部门" in task.instructions

    # Only an expert was heard: the hearing is asked again for the department's opinion.
    c.give_opinions(inst, c.party, EXPERT_ONLY)
    assert c.open_elements(inst) == ["gather_opinions"] and c.variables(inst)["opinions_missing"] == ["职能部门"]
    assert "还缺少：职能部门" in c.engine.task(c.task(inst, "gather_opinions").id, c.party).instructions

    c.give_opinions(inst, c.party)
    assert c.open_elements(inst) == ["minutes_vote"]
    vote = c.engine.task(c.task(inst, "minutes_vote").id, c.party)
    assert "已听取 2 条意见" in vote.instructions and "出席三分之二同意" in vote.instructions
    c.do(inst, "minutes_vote", c.party, {"minutes": "听取专家和交通局意见后表决", "resolution_text": "主干道改单行，设置错峰标识",
                                          "votes_for": 6, "votes_against": 1, "votes_abstain": 1})
    v = c.variables(inst)
    assert v["passed"] is True and v["topic_status"] == "公示中"
    [resolution] = v["resolutions"]
    assert [(o["who"], o["body"], o["kind"]) for o in resolution["opinions"]] == [
        ("陈工", "区规划设计院", "专家"), ("刘科长", "区交通局", "职能部门")]


def test_a_hearing_that_finds_the_plan_infeasible_ends_without_a_vote(consult) -> None:
    c = consult
    inst = to_hearing(c)
    c.give_opinions(inst, c.party, conclusion="不可行")
    v = c.variables(inst)
    assert c.status(inst) == "completed" and v["topic_status"] == "论证不可行" and v["passed"] is False
    assert v["vote_rounds"] == 0 and v["meeting_log"][-1]["conclusion"] == "不可行"
    assert not [e for e in c.engine.history(inst, c.admin) if e.get("element_id") == "minutes_vote"]


def test_an_opinion_names_who_gave_it_and_for_which_body(consult) -> None:
    c = consult
    inst = to_hearing(c)
    with pytest.raises(FormValidationError) as exc:
        c.give_opinions(inst, c.party, [{"who": "陈工", "kind": "专家", "opinion": "可行"}])
    assert "body" in exc.value.errors[0]["field"]
    assert c.open_elements(inst) == ["gather_opinions"]


def test_a_council_votes_without_hearing_opinions(consult) -> None:
    c = consult
    inst = c.start("consultation_community", scope="社区", cost_estimate=0, difficulty="低", authority="居委会或物业")
    c.review(inst)
    c.at(c.notice(inst, invited=6))
    c.do(inst, "sign_in", c.party, {"present": 5})
    assert c.open_elements(inst) == ["minutes_vote"]
