"""拒不报到 is a veto the engine detects and the street confirms (issue 17 item 4).

A refusal is an event: the department never signs nor arrives (deemed signed, then the on-site
escalation fires), or its 退单 was overruled and it still does not arrive or handle by the
escalation. The street confirms or rejects it (街道确认拒不报到); only a confirmed refusal is a
veto, and the veto sets the department's annual result as ``whistle_annual_result`` says.
按时签收 / 按时到场 come from the engine's timestamps, not from ticks.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from gongzhi import FormValidationError, bpmn_package_path
from gongzhi.definitions.sources import SourceFile
from gongzhi.humanize import looks_like_machine_text
from gongzhi.plugins.whistle import annual_ratings

ANNUAL = bpmn_package_path() / "whistle" / "whistle_annual.dmn"


def open_elements(world, iid: str) -> list[str]:
    return [t.element_id for t in world.open_tasks(iid)]


def until_open(world, iid: str, element_id: str, limit_days: int = 20) -> None:
    """Move the clock a day at a time, firing timers, until ``element_id`` is open."""
    for _ in range(limit_days):
        if element_id in open_elements(world, iid):
            return
        world.advance(days=1)
    raise AssertionError(f"{element_id} never opened: {open_elements(world, iid)}")


def never_signs(world) -> str:
    """A case whose only department neither signs nor returns nor arrives, up to the refusal check."""
    iid = world.start().id
    world.whistle(iid, "huanjing", [])
    world.advance(days=2)  # Wednesday: the return period passed, deemed signed
    assert open_elements(world, iid) == ["onsite_report"]
    until_open(world, iid, "confirm_refusal")
    return iid


def finish_after_supervision(world, iid: str, supervise: str = "report_supervise") -> dict:
    if supervise == "report_supervise":
        world.do(iid, "report_supervise", {"report_supervise_instruction": "限 1 个工作日内到场", "report_supervise_days": 1})
        world.handle(iid, "huanjing", sign=False)
    else:
        world.do(iid, "district_supervise", {"supervise_instruction": "限期 3 个工作日办结", "supervise_days": 3})
        world.feedback(iid, "huanjing")
    world.rate(iid)
    assert world.follow_up(iid).status == "completed"
    [entry] = [e for e in world.variables(iid)["case_record"]["departments"] if e["dept"] == "huanjing"]
    return entry


def confirm(world, iid: str, decision: str, reason: str) -> None:
    world.do(iid, "confirm_refusal", {"refusal_decision": decision, "refusal_reason": reason})


def test_a_department_that_never_signs_is_detected_and_a_confirmed_refusal_fails_its_year(world):
    iid = never_signs(world)
    task = world.find(iid, "confirm_refusal")
    assert task.candidate_groups == ["street"] and task.name == "街道确认拒不报到"
    assert "report_supervise" not in open_elements(world, iid)  # the district supervises once the street has said
    text = world.engine.task(task.id, world.actors["street"]).instructions
    assert "生态环境分局" in text and "逾期未签收且未到场" in text and "huanjing" not in text
    assert looks_like_machine_text(text) == []
    with pytest.raises(FormValidationError):  # the reason is required
        world.do(iid, "confirm_refusal", {"refusal_decision": "确认拒不报到"})
    confirm(world, iid, "确认拒不报到", "两次催签、通报后仍未签收、未到场")
    assert open_elements(world, iid) == ["report_supervise"]
    entry = finish_after_supervision(world, iid)

    refusal = entry["refusal"]
    assert refusal["confirmed"] is True and refusal["kind"] == "逾期未签收且未到场"
    assert refusal["reason"] == "两次催签、通报后仍未签收、未到场"
    assert refusal["confirmed_by"] == "街道吹哨中心"  # set by the engine from who completed the task
    assert refusal["detected_at"] < refusal["confirmed_at"] or refusal["detected_at"] == refusal["confirmed_at"]
    assert entry["signed_on_time"] is False and entry["arrived_on_time"] is False and entry["deemed_signed"] is True
    # the audit keeps the street's decision and who made it
    [done] = [e for e in world.engine.history(iid, world.admin)
              if e["action"] == "complete" and e.get("element_id") == "confirm_refusal"]
    assert done["actor"]["id"] == "street1" and done["data"]["refusal_decision"] == "确认拒不报到"

    [row] = annual_ratings(world.engine, year=2025)
    assert (row["department"], row["vetoes"], row["grade"], row["score"]) == ("huanjing", 1, "不合格", 0.0)
    assert row["rated_score"] == 100.0  # the ratings were perfect; the veto, not the ratings, fails the year
    assert "逾期未签收且未到场" in row["veto_detail"] and "街道吹哨中心" in row["veto_detail"]
    assert looks_like_machine_text(row["veto_detail"]) == []


def test_a_refusal_the_street_does_not_confirm_is_no_veto(world):
    iid = never_signs(world)
    confirm(world, iid, "不予认定", "部门系统故障未收到派单，已说明情况")
    entry = finish_after_supervision(world, iid)
    assert entry["refusal"]["confirmed"] is False and entry["refusal"]["reason"].startswith("部门系统故障")
    [row] = annual_ratings(world.engine, year=2025)
    assert (row["vetoes"], row["veto_detail"], row["grade"], row["score"]) == (0, "", "优秀", 100.0)


def test_an_overruled_return_still_not_handled_is_detected(world):
    iid = world.start().id
    world.whistle(iid, "huanjing", [])
    world.do(iid, "sign_in", {"sign_decision": "退单", "return_reason": "不属于本部门职责"}, "huanjing")
    world.do(iid, "review_return", {"return_verdict": "驳回退单", "review_opinion": "属于本部门职责，须办理"})
    world.do(iid, "onsite_report", {"arrived_at": "2025-03-03T15:00:00+08:00", "onsite_staff": "两名",
                                    "onsite_situation": "现场核实"}, "huanjing")
    until_open(world, iid, "confirm_refusal", limit_days=25)
    task = world.find(iid, "confirm_refusal")
    text = world.engine.task(task.id, world.actors["street"]).instructions
    assert "退单被驳回后逾期未办理" in text and "不属于本部门职责" in text and looks_like_machine_text(text) == []
    confirm(world, iid, "确认拒不报到", "退单被驳回后仍不办理")
    assert open_elements(world, iid) == ["district_supervise"]
    entry = finish_after_supervision(world, iid, "district_supervise")
    assert entry["refusal"]["kind"] == "退单被驳回后逾期未办理" and entry["refusal"]["confirmed"] is True
    assert entry["signed_on_time"] is False and entry["arrived_on_time"] is True
    [row] = annual_ratings(world.engine, year=2025)
    assert (row["vetoes"], row["grade"]) == (1, "不合格")


def test_an_overruled_return_that_is_then_handled_in_time_is_no_refusal(world):
    iid = world.start().id
    world.whistle(iid, "huanjing", [])
    world.do(iid, "sign_in", {"sign_decision": "退单", "return_reason": "不属于本部门职责"}, "huanjing")
    world.do(iid, "review_return", {"return_verdict": "驳回退单", "review_opinion": "属于本部门职责，须办理"})
    world.handle(iid, "huanjing", sign=False)
    world.rate(iid)
    world.follow_up(iid)
    [entry] = world.variables(iid)["case_record"]["departments"]
    assert entry["refusal"] is None


def test_a_late_sign_in_is_computed_and_a_finished_department_cannot_be_vetoed(world):
    iid = world.start().id
    world.whistle(iid, "huanjing", [])
    sign = world.find(iid, "sign_in", "huanjing")
    world.advance(hours=2)  # the 1-hour limit (office hours) has passed
    assert world.clock.now() > sign.due_at
    world.handle(iid, "huanjing")  # signs late, arrives and finishes at once
    rate = world.find(iid, "street_rate")
    text = world.engine.task(rate.id, world.actors["street"]).instructions
    assert "未按时签收" in text and "按时到场" in text and "3月3日 11:00 签收" in text
    assert looks_like_machine_text(text) == []
    with pytest.raises(FormValidationError):  # no veto tick any more, nor on-time ticks
        world.do(iid, "street_rate", {"street_resolved": True, "street_cooperation": 5, "street_score": 5,
                                      "street_refused": True})
    with pytest.raises(FormValidationError):
        world.do(iid, "street_rate", {"street_resolved": True, "street_cooperation": 5, "street_score": 5,
                                      "street_signed_on_time": True})
    world.rate(iid)
    world.follow_up(iid)
    [entry] = world.variables(iid)["case_record"]["departments"]
    assert entry["signed_on_time"] is False and entry["arrived_on_time"] is True and entry["refusal"] is None
    assert entry["street_rating"] == {"resolved": True, "cooperation": 5, "score": 5}
    assert world.engine.read.tasks(world.admin, [iid], element_ids="confirm_refusal") == []
    [row] = annual_ratings(world.engine, year=2025)
    assert (row["vetoes"], row["grade"]) == (0, "优秀")


def test_a_department_on_time_is_told_so(world):
    iid = world.start().id
    world.whistle(iid, "huanjing", [])
    world.handle(iid, "huanjing")
    text = world.engine.task(world.find(iid, "street_rate").id, world.actors["street"]).instructions
    assert "按时签收" in text and "未按时" not in text
    world.rate(iid)
    world.follow_up(iid)
    [entry] = world.variables(iid)["case_record"]["departments"]
    assert entry["signed_on_time"] is True and entry["arrived_on_time"] is True


def with_annual_cells(**cells: str) -> SourceFile:
    text = ANNUAL.read_text(encoding="utf-8")
    for entry_id, value in cells.items():
        text, count = re.subn(rf'(<outputEntry id="{entry_id}"><text>)[^<]*(</text>)', rf"\g<1>{value}\g<2>", text)
        assert count == 1, entry_id
    return SourceFile("whistle_annual.dmn", text.encode())


def test_what_a_veto_does_is_a_table_cell(world):
    iid = never_signs(world)
    confirm(world, iid, "确认拒不报到", "仍未签收、未到场")
    finish_after_supervision(world, iid)
    [row] = annual_ratings(world.engine, year=2025)
    assert (row["grade"], row["score"]) == ("不合格", 0.0)

    created = world.engine.deploy(sources=[with_annual_cells(annual_veto_o0='"基本合格"', annual_veto_o1="60")],
                                  actor=world.admin).created
    assert "whistle_annual_result" in [c["key"] for c in created]
    [row] = annual_ratings(world.engine, year=2025)
    assert (row["vetoes"], row["grade"], row["score"]) == (1, "基本合格", 60.0)


def test_the_grade_thresholds_are_table_cells(world):
    iid = world.start().id
    world.whistle(iid, "huanjing", [])
    world.handle(iid, "huanjing")
    world.rate(iid, street_score=4, community_score=4)  # 80 points
    world.follow_up(iid)
    [row] = annual_ratings(world.engine, year=2025)
    assert (row["score"], row["grade"]) == (80.0, "合格")
    text = ANNUAL.read_text(encoding="utf-8").replace("<text>&gt;= 90</text>", "<text>&gt;= 80</text>")
    world.engine.deploy(sources=[SourceFile("whistle_annual.dmn", text.encode())], actor=world.admin)
    [row] = annual_ratings(world.engine, year=2025)
    assert row["grade"] == "优秀"
