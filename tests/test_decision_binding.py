"""When a business-rule task binds its decision: at run time, to the version in force for the case's
region (a street's own table first), unless the task pins the version deployed with its process."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from gongzhi import Actor, DefinitionInvalid, Engine, NotAllowed
from gongzhi.definitions.sources import SourceFile

FIXTURE = Path(__file__).parent / "fixtures" / "binding"
ADMIN = Actor.of("admin", "管理员", ["admin"], "")
CLERK = Actor.of("clerk", "经办人", ["clerk"], "110105")
STREET_DESIGNER = Actor.of("d-1", "街道规则员", ["designer"], "110105/001", permissions=["deploy"])


def subsidy(amount: int) -> SourceFile:
    text = (FIXTURE / "subsidy.dmn").read_text(encoding="utf-8")
    return SourceFile("subsidy.dmn", text.replace("<text>100</text>", f"<text>{amount}</text>").encode())


@pytest.fixture
def engine(make_engine: Callable[..., Engine]) -> Engine:
    engine = make_engine()
    engine.deploy([FIXTURE])
    return engine


def start(engine: Engine, region: str = "110105/002") -> str:
    return engine.start("binding", CLERK, {}, region=region).id


def accept(engine: Engine, instance_id: str) -> dict[str, Any]:
    [task] = engine.instance(instance_id, ADMIN).open_tasks
    return engine.complete(task.id, CLERK, {}).variables


def decisions(engine: Engine, instance_id: str) -> dict[str, dict[str, Any]]:
    return {e["element_id"]: e for e in engine.history(instance_id, ADMIN) if e["action"] == "decision"}


def test_a_table_deployed_alone_reaches_running_and_new_cases_and_the_audit_names_its_version(engine: Engine) -> None:
    running = start(engine)
    engine.deploy(sources=[subsidy(120)], actor=ADMIN)
    assert accept(engine, running)["subsidy_now"] == 120  # started before the deploy: bound when the task ran
    fresh = start(engine)
    variables = accept(engine, fresh)
    assert variables["subsidy_now"] == 120 and variables["subsidy_pinned"] == 100
    used = decisions(engine, fresh)
    assert (used["fee_latest"]["decision_version"], used["fee_latest"]["decision_binding"]) == (2, "latest")
    assert used["fee_pinned"]["decision_binding"] == "deployment"
    assert used["fee_pinned"]["decision_source"] == f"subsidy.dmn@{SourceFile('x', (FIXTURE / 'subsidy.dmn').read_bytes()).sha256[:12]}"
    assert engine.evaluate_decision("subsidy", {})["result"] == 120


def test_a_streets_own_table_wins_for_its_cases_only(engine: Engine) -> None:
    result = engine.deploy(sources=[subsidy(150)], actor=STREET_DESIGNER, region="110105/001")
    assert result.created == [{"kind": "decision", "key": "subsidy", "version": 2, "id": result.created[0]["id"],
                               "region": "110105/001"}]
    here, elsewhere = start(engine, "110105/001/03"), start(engine, "110105/002")
    assert accept(engine, here)["subsidy_now"] == 150 and accept(engine, elsewhere)["subsidy_now"] == 100
    assert decisions(engine, here)["fee_latest"]["decision_region"] == "110105/001"
    assert engine.evaluate_decision("subsidy", {}, region="110105/001/03")["result"] == 150
    assert engine.evaluate_decision("subsidy", {}, region="110105/002")["result"] == 100
    # A newer district-wide table does not override the street's own.
    engine.deploy(sources=[subsidy(130)], actor=ADMIN)
    assert engine.evaluate_decision("subsidy", {}, region="110105/001")["result"] == 150
    assert engine.evaluate_decision("subsidy", {})["result"] == 130
    # Deploying the same table again for the street creates nothing.
    assert engine.deploy(sources=[subsidy(150)], actor=STREET_DESIGNER, region="110105/001").created == []


def test_deploy_rights_follow_the_region(engine: Engine) -> None:
    with pytest.raises(NotAllowed, match="不在其中"):
        engine.deploy(sources=[subsidy(150)], actor=STREET_DESIGNER, region="110105/002")
    with pytest.raises(NotAllowed, match="部署到全区需要管理员"):
        engine.deploy(sources=[subsidy(150)], actor=STREET_DESIGNER)
    bpmn = SourceFile("binding.bpmn", (FIXTURE / "binding.bpmn").read_bytes())
    with pytest.raises(DefinitionInvalid) as refused:
        engine.deploy(sources=[bpmn, subsidy(150)], actor=STREET_DESIGNER, region="110105/001")
    assert [(p.file, p.code) for p in refused.value.problems] == [("binding.bpmn", "regional-deploy")]
    with pytest.raises(NotAllowed):
        engine.deploy(sources=[subsidy(150)], actor=CLERK, region="110105/001")
    assert engine.evaluate_decision("subsidy", {}, region="110105/001")["result"] == 100  # nothing was stored


def test_an_unknown_binding_is_refused_at_deploy_naming_the_task(make_engine: Callable[..., Engine]) -> None:
    text = (FIXTURE / "binding.bpmn").read_text(encoding="utf-8").replace('value="deployment"', 'value="pinned"')
    with pytest.raises(DefinitionInvalid) as refused:
        make_engine().deploy(sources=[SourceFile("binding.bpmn", text.encode()),
                                      *(SourceFile(n, (FIXTURE / n).read_bytes()) for n in ("subsidy.dmn", "note.json"))])
    [problem] = refused.value.problems
    assert "pinned" in problem.message and "deployment" in problem.message and problem.element_id == "fee_pinned"


def test_over_http_a_street_deploys_its_table_and_its_officers_evaluate_it(engine: Engine) -> None:
    from gongzhi.api import create_app
    from gongzhi.security.tokens import mint

    def bearer(actor: Actor) -> dict[str, str]:
        token = mint(engine.config.secret_key, actor.id, actor.name, actor.groups, actor.region,
                     permissions=actor.permissions)
        return {"Authorization": f"Bearer {token}"}

    client = create_app(engine=engine).test_client()
    files = [{"name": "subsidy.dmn", "content": subsidy(150).content.decode()}]
    refused = client.post("/api/v1/deployments", json={"files": files, "region": "110105/002"},
                          headers=bearer(STREET_DESIGNER))
    assert refused.status_code == 403
    done = client.post("/api/v1/deployments", json={"files": files, "region": "110105/001"},
                       headers=bearer(STREET_DESIGNER))
    assert done.status_code == 201 and done.get_json()["created"][0]["region"] == "110105/001"
    officer = Actor.of("s-1", "街道干部", ["street"], "110105/001")
    mine = client.post("/api/v1/decisions/subsidy/evaluate", json={"inputs": {}}, headers=bearer(officer)).get_json()
    assert (mine["result"], mine["decision_region"]) == (150, "110105/001")
    district = client.post("/api/v1/decisions/subsidy/evaluate", json={"inputs": {}, "region": "110105/002"},
                           headers=bearer(officer)).get_json()
    assert (district["result"], district["decision_region"]) == (100, "")
    listed = client.get("/api/v1/decisions", headers=bearer(officer)).get_json()["items"]
    assert sorted((d["id"], d["region"], d["version"]) for d in listed) == [("subsidy", "", 1), ("subsidy", "110105/001", 2)]


def two_outputs(amount: int, second: str = "unit") -> SourceFile:
    text = subsidy(amount).content.decode()
    text = text.replace('<output id="Output_amount" label="补贴（元）" name="amount" typeRef="number" />',
                        '<output id="Output_amount" label="补贴（元）" name="amount" typeRef="number" />\n'
                        f'      <output id="Output_unit" label="单位" name="{second}" typeRef="string" />')
    text = text.replace(f'<outputEntry id="Entry_amount"><text>{amount}</text></outputEntry>',
                        f'<outputEntry id="Entry_amount"><text>{amount}</text></outputEntry>\n'
                        '        <outputEntry id="Entry_unit"><text>"元/户"</text></outputEntry>')
    return SourceFile("subsidy.dmn", text.encode())


def test_a_newer_table_that_drops_an_output_the_process_reads_is_not_used_by_it(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine()
    process = [SourceFile(n, (FIXTURE / n).read_bytes()) for n in ("binding.bpmn", "note.json")]
    engine.deploy(sources=[*process, two_outputs(100)])
    case = start(engine)
    engine.deploy(sources=[two_outputs(200, second="currency")], actor=ADMIN)  # "unit" renamed: another interface
    variables = accept(engine, case)
    assert variables["subsidy_now"] == {"amount": 100, "unit": "元/户"}
    used = decisions(engine, case)["fee_latest"]
    assert used["decision_binding"] == "deployment" and used.get("decision_version") is None
    engine.deploy(sources=[two_outputs(300)], actor=ADMIN)  # the same outputs again: a compatible change
    assert accept(engine, start(engine))["subsidy_now"] == {"amount": 300, "unit": "元/户"}
