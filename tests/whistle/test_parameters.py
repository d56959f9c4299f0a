"""Every parameter a street may change is a DMN cell: change it in a copied table, deploy the copy, see the effect.

The copies are deployed like any table a designer deploys (``engine.deploy(sources=...)``); the
whistle tasks bind their decision at run time, so cases started afterwards use the new cell.
"""

from __future__ import annotations

import re
from datetime import timedelta

from gongzhi import bpmn_package_path
from gongzhi.definitions.sources import SourceFile
from gongzhi.plugins.whistle import annual_ratings, department_report

LIMITS = bpmn_package_path() / "whistle" / "whistle_limits.dmn"


def with_cells(**cells: str) -> SourceFile:
    """A copy of ``whistle_limits.dmn`` with the output entries named by id set to new text."""
    text = LIMITS.read_text(encoding="utf-8")
    for entry_id, value in cells.items():
        text, count = re.subn(rf'(<outputEntry id="{entry_id}">\s*<text>)[^<]*(</text>)', rf"\g<1>{value}\g<2>", text)
        assert count == 1, entry_id
    return SourceFile("whistle_limits.dmn", text.encode())


def deploy(world, **cells: str) -> None:
    created = world.engine.deploy(sources=[with_cells(**cells)], actor=world.admin).created
    assert any(c["kind"] == "decision" for c in created)  # a new version, not the table already deployed


def community_case(world):
    return world.start(category_l1="物业管理", category_l2="楼道堆物", category_l3="杂物堵塞").id


def handled_by_community(world, iid: str):
    world.do(iid, "community_handle", {"community_outcome": "已处置", "accepted_at": "2025-03-03T10:00:00+08:00",
                                       "contacted": "物业经理", "measures": "协调物业清理", "resolve_by": "2025-03-05"})
    return world.find(iid, "resident_followup")


def test_the_followup_time_limit_is_a_policy_cell_read_when_the_followup_starts(world):
    assert handled_by_community(world, community_case(world)).due_at == world.clock.now() + timedelta(days=1)  # Mon → Tue
    opened_before = community_case(world)
    deploy(world, policy_normal_o2="3")
    assert handled_by_community(world, community_case(world)).due_at == world.clock.now() + timedelta(days=3)  # → Thu
    assert handled_by_community(world, opened_before).due_at == world.clock.now() + timedelta(days=3)


def test_whether_a_level_needs_the_leaders_approval_is_a_limits_cell(world):
    hard = world.whistle(world.start().id, "huanjing", [], level="疑难哨")
    assert [t.element_id for t in hard.open_tasks] == ["leader_approve"]
    key = world.whistle(world.start().id, "huanjing", [], level="重点哨")
    assert [t.element_id for t in key.open_tasks] == ["sign_in"]

    deploy(world, limit_hard_ol="false", limit_hard_urgent_ol="false", limit_key_ol="true", limit_key_urgent_ol="true")
    hard = world.whistle(world.start().id, "huanjing", [], level="疑难哨")
    assert [t.element_id for t in hard.open_tasks] == ["sign_in"]
    key = world.whistle(world.start().id, "huanjing", [], level="重点哨")
    assert [t.element_id for t in key.open_tasks] == ["leader_approve"]


WEIGHTS = bpmn_package_path() / "whistle" / "whistle_weights.dmn"


def deploy_weights(world, **cells: str) -> None:
    text = WEIGHTS.read_text(encoding="utf-8")
    for name, value in cells.items():
        text, count = re.subn(rf'(<outputEntry id="weights_default_{name}"><text>)[^<]*(</text>)', rf"\g<1>{value}\g<2>", text)
        assert count == 1, name
    created = world.engine.deploy(sources=[SourceFile("whistle_weights.dmn", text.encode())], actor=world.admin).created
    assert [c["key"] for c in created] == ["whistle_weights"]


def closed_case(world, satisfaction: str, street_score: int, community_score: int) -> None:
    iid = world.start().id
    world.whistle(iid, "huanjing", [])
    world.handle(iid, "huanjing")
    world.rate(iid, street_score=street_score, community_score=community_score)
    assert world.follow_up(iid, satisfaction=satisfaction).status == "completed"


def test_the_report_weights_are_a_table(world):
    closed_case(world, "基本满意", street_score=5, community_score=3)
    [row] = department_report(world.engine, month="2025-03")
    assert row["satisfaction_rate"] == 0.9 and row["composite"] == round(0.1 * 1 + 0.5 * 1 + 0.4 * 0.9, 4)
    [annual] = annual_ratings(world.engine, year=2025)
    assert annual["score"] == 80.0  # (100 + 60) / 2

    deploy_weights(world, sat_basic="0.6", w_response="0.2", w_resolution="0.4", w_street="1", w_community="0")
    [row] = department_report(world.engine, month="2025-03")
    assert row["satisfaction_rate"] == 0.6 and row["composite"] == round(0.2 * 1 + 0.4 * 1 + 0.4 * 0.6, 4)
    [annual] = annual_ratings(world.engine, year=2025)
    assert annual["score"] == 100.0  # the street's rating alone
