"""The consultation's time limits are DMN cells: change one in a copied table, deploy the copy, see the effect.

Deployed like any table a designer deploys; the business-rule tasks bind their decision when they run,
so topics reviewed after the deployment use the new cell.
"""

from __future__ import annotations

import re

from gongzhi import bpmn_package_path
from gongzhi.definitions.sources import SourceFile

RULES = bpmn_package_path() / "consultation" / "consultation_rules.dmn"


def deploy_cells(c, **cells: str) -> None:
    """Deploy a copy of ``consultation_rules.dmn`` with the output entries named by id set to new text."""
    text = RULES.read_text(encoding="utf-8")
    for entry_id, value in cells.items():
        text, count = re.subn(rf'(<outputEntry id="{entry_id}">\s*<text>)[^<]*(</text>)', rf"\g<1>{value}\g<2>", text)
        assert count == 1, entry_id
    created = c.engine.deploy(sources=[SourceFile("consultation_rules.dmn", text.encode())], actor=c.admin).created
    assert "consultation_tier_rules" in {x["key"] for x in created if x["kind"] == "decision"}


def reach_the_survey(c) -> tuple[str, object]:
    """A small-matters talk driven from intake to the residents' satisfaction survey."""
    inst = c.start("consultation_courtyard")
    c.review(inst)
    c.at(c.notice(inst, invited=5))
    c.hold_meeting(inst, c.grid, present=3, votes=(2, 0, 1))
    c.at(c.working_days_from(c.clock.now(), c.variables(inst)["publicity_days"]))
    c.plan(inst, [{"title": "清理楼道堆物", "owner": "幸福里物业", "owner_group": "property_co", "deadline_days": 3}])
    c.do(inst, "carry_out", c.property, {"impl_result": "杂物已清理"})
    c.do(inst, "supervise", c.supervisor, {"supervision_passed": True, "supervision_opinion": "已落实到位"})
    return inst, c.task(inst, "satisfaction_survey")


def test_the_satisfaction_survey_time_limit_is_a_tier_rules_cell(consult) -> None:
    c = consult
    inst, survey = reach_the_survey(c)
    assert survey.due_at == c.working_days_from(c.clock.now(), 5)
    assert "5 个工作日内评价满意度" in c.engine.task(survey.id, c.resident).instructions

    deploy_cells(c, LiteralExpression_consultation_tier_rules_small_talk_8="2")
    later, survey = reach_the_survey(c)
    assert c.variables(later)["survey_days"] == 2
    assert survey.due_at == c.working_days_from(c.clock.now(), 2)
    assert "2 个工作日内评价满意度" in c.engine.task(survey.id, c.resident).instructions
    assert c.variables(inst)["survey_days"] == 5  # a topic reviewed before keeps the limit it was given
