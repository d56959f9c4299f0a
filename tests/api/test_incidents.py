"""Incidents over HTTP: a failed asynchronous task is listed, retried once fixed, and not retried twice."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

from flask.testing import FlaskClient

from gongzhi import Engine, ServiceCall, ServiceTask, hookimpl
from gongzhi.api import create_app
from gongzhi.worker import Worker

FIXTURES = Path(__file__).parents[1] / "fixtures"
API = "/api/v1"


def test_incident_listed_and_retried(make_engine: Callable[..., Engine], tmp_path: Path, people: Any,
                                     start_vars: dict, auth: Callable[..., dict[str, str]]) -> None:
    broken = {"down": True}

    def send(call: ServiceCall) -> dict:
        if broken["down"]:
            raise ConnectionError("短信网关不可用")
        return {"sent": True}

    folder = tmp_path / "async"
    shutil.copytree(FIXTURES / "approval", folder)
    bpmn = folder / "approval.bpmn"
    bpmn.write_text(bpmn.read_text(encoding="utf-8").replace('id="gongzhi.echo"', 'id="sms.send"').replace(
        "<spiffworkflow:serviceTaskOperator",
        '<spiffworkflow:properties><spiffworkflow:property name="async" value="true" /></spiffworkflow:properties>'
        "<spiffworkflow:serviceTaskOperator", 1), encoding="utf-8")
    sms = SimpleNamespace(__name__="sms", gongzhi_register_service_tasks=hookimpl(lambda: [ServiceTask("sms.send", send)]))
    engine = make_engine(plugins=[sms], job_max_attempts=1)
    engine.deploy([folder])
    inst = engine.start("approval", people.clerk, start_vars)
    engine.complete(inst.open_tasks[0].id, people.clerk, {"approved": True})
    Worker(engine).run_once()

    client: FlaskClient = create_app(engine=engine).test_client()
    listed = client.get(f"{API}/incidents", headers=auth(people.admin)).get_json()["items"]
    assert [(i["instance_id"], i["element_id"], i["kind"]) for i in listed] == [(inst.id, "notify", "service")]
    assert "短信网关不可用" in listed[0]["error"]
    assert client.get(f"{API}/incidents", headers=auth(people.other_clerk)).get_json()["items"] == []
    retry = f"{API}/incidents/{listed[0]['id']}/retry"
    assert client.post(retry, headers=auth(people.clerk)).status_code == 403
    assert client.post(f"{API}/incidents/999/retry", headers=auth(people.admin)).status_code == 404
    assert client.post(f"{API}/incidents/abc/retry", headers=auth(people.admin)).status_code == 404

    broken["down"] = False
    response = client.post(retry, headers=auth(people.admin))
    assert response.status_code == 200 and response.get_json()["resolved_by"] == "admin"
    assert client.post(retry, headers=auth(people.admin)).status_code == 409
    assert Worker(engine).run_once() == 1
    assert engine.instance(inst.id, people.admin).variables["notice"] == {"sent": True}
