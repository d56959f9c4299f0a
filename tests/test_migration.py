"""Instance migration: running cases moved to a newer version of their process, with a dry run,
an audit event, and a way back."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from gongzhi import Actor, Conflict, Engine, InvalidInput, NotAllowed
from gongzhi.definitions.sources import SourceFile

FIXTURE = Path(__file__).parent / "fixtures" / "binding"
ADMIN = Actor.of("admin", "管理员", ["admin"], "")
CLERK = Actor.of("clerk", "经办人", ["clerk"], "110105")
BPMN = (FIXTURE / "binding.bpmn").read_text(encoding="utf-8")

# Version 2 adds a review step after 发放 (downstream of every case waiting at 受理 or 发放).
REVIEW = '''    <bpmn:userTask id="review" name="复核">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="candidateGroups" value="clerk" />
          <spiffworkflow:property name="formJsonSchemaFilename" value="note.json" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f5</bpmn:incoming>
      <bpmn:outgoing>f6</bpmn:outgoing>
    </bpmn:userTask>
'''
V2 = (BPMN.replace('<bpmn:endEvent id="end" name="办结">\n      <bpmn:incoming>f5</bpmn:incoming>',
                   REVIEW + '    <bpmn:endEvent id="end" name="办结">\n      <bpmn:incoming>f6</bpmn:incoming>')
      .replace('<bpmn:sequenceFlow id="f5" sourceRef="pay" targetRef="end" />',
               '<bpmn:sequenceFlow id="f5" sourceRef="pay" targetRef="review" />\n'
               '    <bpmn:sequenceFlow id="f6" sourceRef="review" targetRef="end" />')
      .replace('<bpmndi:BPMNEdge id="f5_di"',
               '<bpmndi:BPMNShape id="review_di" bpmnElement="review"><dc:Bounds x="740" y="200" width="100" height="80" />'
               '</bpmndi:BPMNShape>\n      <bpmndi:BPMNEdge id="f6_di" bpmnElement="f6"><di:waypoint x="790" y="200" />'
               '<di:waypoint x="758" y="136" /></bpmndi:BPMNEdge>\n      <bpmndi:BPMNEdge id="f5_di"'))
# Version 3 renames 受理 (the step cases wait at) as well.
V3 = V2.replace('name="受理"', 'name="受理登记"')


def deploy(engine: Engine, bpmn: str) -> None:
    engine.deploy(sources=[SourceFile("binding.bpmn", bpmn.encode()),
                           *(SourceFile(n, (FIXTURE / n).read_bytes()) for n in ("subsidy.dmn", "note.json"))])


def step(engine: Engine, instance_id: str) -> str:
    """Complete the one open task; returns its element id."""
    [task] = engine.instance(instance_id, ADMIN).open_tasks
    engine.complete(task.id, CLERK, {})
    return task.element_id


@pytest.fixture
def engine(make_engine: Callable[..., Engine]) -> Engine:
    engine = make_engine()
    deploy(engine, BPMN)
    return engine


def test_a_dry_run_lists_each_case_and_changes_nothing(engine: Engine) -> None:
    waiting = engine.start("binding", CLERK, {}).id
    deploy(engine, V3)
    result = engine.migrate("binding", 2, ADMIN).as_dict()
    [item] = result["instances"]
    assert (item["instance_id"], item["from_version"], item["to_version"], item["ok"]) == (waiting, 1, 2, False)
    assert "“受理”" in item["refusals"][0] and "有改动" in item["refusals"][0]
    assert engine.instance(waiting, ADMIN).version == 1
    assert not [e for e in engine.history(waiting, ADMIN) if e["action"] == "migrate"]


def test_cases_move_when_every_change_is_ahead_of_them_and_reach_the_new_step(engine: Engine) -> None:
    at_accept = engine.start("binding", CLERK, {}).id
    at_pay = engine.start("binding", CLERK, {}).id
    step(engine, at_pay)
    deploy(engine, V2)
    plan = engine.migrate("binding", 2, ADMIN).as_dict()
    assert plan["movable"] == 2 and plan["dry_run"] is True
    done = engine.migrate("binding", 2, ADMIN, dry_run=False).as_dict()
    assert [i["migrated"] for i in done["instances"]] == [True, True]
    for case in (at_accept, at_pay):
        assert engine.instance(case, ADMIN).version == 2
    assert [step(engine, at_accept), step(engine, at_accept), step(engine, at_accept)] == ["wait", "pay", "review"]
    assert engine.instance(at_accept, ADMIN).status == "completed"
    assert [step(engine, at_pay), step(engine, at_pay)] == ["pay", "review"]
    [event] = [e for e in engine.history(at_pay, ADMIN) if e["action"] == "migrate"]
    assert (event["from_version"], event["to_version"], event["live"]) == (1, 2, ["“发放”"])
    assert engine.verify_audit().ok


def test_a_migration_is_reverted_by_moving_back(engine: Engine) -> None:
    case = engine.start("binding", CLERK, {}).id
    deploy(engine, V2)
    engine.migrate("binding", 2, ADMIN, dry_run=False)
    back = engine.revert_migration(case, ADMIN)
    assert back.migrated and engine.instance(case, ADMIN).version == 1
    assert [step(engine, case), step(engine, case)] == ["wait", "pay"]
    assert engine.instance(case, ADMIN).status == "completed"  # version 1 has no review


def test_only_admins_migrate_and_bad_requests_are_named(engine: Engine) -> None:
    engine.start("binding", CLERK, {})
    deploy(engine, V2)
    with pytest.raises(NotAllowed):
        engine.migrate("binding", 2, CLERK)
    with pytest.raises(InvalidInput, match="目标版本"):
        engine.migrate("binding", 0, ADMIN)
    with pytest.raises(InvalidInput, match="对应关系"):
        engine.migrate("binding", 2, ADMIN, mapping={"wait": "x" * 200})
    with pytest.raises(Conflict, match="没有迁移记录"):
        engine.revert_migration(engine.instances(ADMIN).items[0].id, ADMIN)


def test_a_renamed_element_moves_with_a_mapping(engine: Engine) -> None:
    case = engine.start("binding", CLERK, {}).id
    step(engine, case)  # now at 发放
    renamed = V2.replace('id="pay"', 'id="hand_out"').replace('targetRef="pay"', 'targetRef="hand_out"') \
        .replace('sourceRef="pay"', 'sourceRef="hand_out"').replace('bpmnElement="pay"', 'bpmnElement="hand_out"')
    deploy(engine, renamed)
    [refused] = engine.migrate("binding", 2, ADMIN).instances
    assert not refused.ok and "“发放”" in refused.refusals[0]
    [moved] = engine.migrate("binding", 2, ADMIN, mapping={"pay": "hand_out"}, dry_run=False).instances
    assert moved.migrated
    assert [step(engine, case), step(engine, case)] == ["hand_out", "review"]


def test_the_command_line_dry_run_then_apply(engine: Engine, db_url: str) -> None:
    from click.testing import CliRunner

    from gongzhi.cli import main

    case = engine.start("binding", CLERK, {}).id
    deploy(engine, V2)
    dry = CliRunner().invoke(main, ["--database-url", db_url, "migrate", "binding", "--to", "2"])
    assert dry.exit_code == 0, dry.output
    assert f"{case}  第 1 版 → 第 2 版  可以迁移  当前：“受理”" in dry.output and "预演" in dry.output
    assert engine.instance(case, ADMIN).version == 1
    done = CliRunner().invoke(main, ["--database-url", db_url, "migrate", "binding", "--to", "2", "--apply"])
    assert done.exit_code == 0 and "已迁移" in done.output
    assert engine.instance(case, ADMIN).version == 2
    bad = CliRunner().invoke(main, ["--database-url", db_url, "migrate", "binding", "--to", "2", "--map", "x"])
    assert bad.exit_code == 2 and "原编号=新编号" in bad.output
