"""议题审核: the community party organisation accepts, rejects with a reason, merges, or redirects to whistle dispatch."""

from __future__ import annotations

import pytest

from gongzhi import FormValidationError


def test_rejection_needs_a_reason(consult) -> None:
    c = consult
    inst = c.start("consultation_community")
    with pytest.raises(FormValidationError) as exc:
        c.review(inst, "不予受理")
    assert exc.value.errors[0]["field"] == "review_reason"
    done = c.review(inst, "不予受理", review_reason="属于个人私事，不宜公共协商")
    assert done.status == "completed"
    assert (done.variables["topic_status"], done.variables["review_reason"]) == ("不予受理", "属于个人私事，不宜公共协商")


def test_merge_into_an_existing_topic(consult) -> None:
    c = consult
    first = c.start("consultation_courtyard")
    duplicate = c.start("consultation_courtyard", proposer="李大爷", phone="13900001111")
    with pytest.raises(FormValidationError):
        c.review(duplicate, "合并")
    done = c.review(duplicate, "合并", merged_into=first)
    assert done.status == "completed" and done.variables["topic_status"] == "已合并"
    assert done.variables["merged_into"] == first
    assert c.status(first) == "running"


def test_redirect_starts_a_whistle_case_referencing_the_topic(consult) -> None:
    c = consult
    inst = c.start("consultation_community", title="井盖破损", description="社区主干道井盖破损，属于市政部门职责")
    with pytest.raises(FormValidationError):
        c.review(inst, "转吹哨报到", review_reason="市政设施归部门管理")  # the case needs a category
    c.review(inst, "转吹哨报到", review_reason="市政设施归部门管理", whistle_category="公共设施")
    assert c.status(inst) == "running"  # the case is started in the background
    assert c.engine.run_due_jobs() == 1
    done = c.engine.instance(inst, c.admin)
    assert done.status == "completed" and done.variables["topic_status"] == "已转吹哨报到"
    case = c.engine.instance(done.variables["whistle_case"]["instance_id"], c.admin)
    assert case.process_key == "whistle_dispatch" and case.business_key.startswith(f"{inst}:redirect_whistle:")
    assert case.variables["category_l1"] == "公共设施"
    assert case.variables["consultation"] == {"venue": "社区协商", "title": "井盖破损", "tier": "small_talk",
                                              "reason": "市政设施归部门管理"}
    assert case.variables["description"].startswith("协商议题转吹哨：井盖破损")
