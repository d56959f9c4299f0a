"""Visits and mobilisation over real HTTP: the generic start/complete routes and GET /reports (real tokens)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

import pytest
from flask.testing import FlaskClient

from gongzhi import Actor, Engine, MovableClock, bpmn_package_path
from gongzhi.calendar import CST

API = "/api/v1"
COMMUNITY = Actor.of("c-1", "翠苑社区工作人员", ["community"], "990101/001/001")
STREET = Actor.of("s-1", "东湖街道", ["street"], "990101/001")
G0004 = Actor.of("G0004", "微网格员", ["grid_member_G0004", "grid"], "990101/001/001/01")


@pytest.fixture
def engine(make_engine: Callable[..., Engine], clock: MovableClock) -> Engine:
    clock.set(datetime(2026, 11, 2, 9, 0, tzinfo=CST))
    made = make_engine()
    made.deploy([bpmn_package_path() / "grid", bpmn_package_path() / "whistle"])
    return made


def post(client: FlaskClient, auth: Callable[..., dict[str, str]], actor: Actor, url: str, body: dict[str, Any]) -> Any:
    return client.post(f"{API}{url}", json=body, headers=auth(actor))


def test_a_mobilisation_runs_and_its_coverage_is_read_over_http(engine: Engine, client: FlaskClient,
                                                                 auth: Callable[..., dict[str, str]]) -> None:
    started = post(client, auth, COMMUNITY, "/process-instances", {
        "process_key": "grid_mobilisation", "region": "990101/001/001",
        "variables": {"community": "990101/001/001", "subject": "燃气安全入户宣传", "urgency": "一般"}})
    assert started.status_code == 201, started.get_json()
    engine.run_due_jobs()
    tasks = client.get(f"{API}/tasks", headers=auth(G0004)).get_json()["items"]
    [task] = [t for t in tasks if t["process_key"] == "grid_mobilisation_micro"]
    done = post(client, auth, G0004, f"/tasks/{task['id']}/complete", {"data": {"reached_count": 42}})
    assert done.status_code == 200, done.get_json()
    mobilisation = started.get_json()["id"]
    rows = client.get(f"{API}/reports/grid-mobilisation", query_string={"mobilisation": mobilisation},
                      headers=auth(STREET)).get_json()
    assert rows["title"] == "入户组织动员进度"
    first = rows["data"][0]
    assert (first["micro_grid_name"], first["reached"], first["households"], first["status"]) == ("翠苑一网格第一微网格", 42, 84, "已确认")
    csv = client.get(f"{API}/reports/grid-mobilisation", query_string={"mobilisation": mobilisation, "format": "csv"},
                     headers=auth(STREET)).get_data(as_text=True)
    assert "入户覆盖率" in csv and "50%" in csv and "grid_member_" not in csv


def test_bad_input_is_a_problem_document(engine: Engine, client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
    bad = post(client, auth, COMMUNITY, "/process-instances", {
        "process_key": "grid_visit_schedule", "region": "990101/001/001", "variables": {"grid": "990101/001/001/09"}})
    assert bad.status_code >= 400 and bad.mimetype == "application/problem+json"
    assert "网格编码“990101/001/001/09”不在网格目录中" in bad.get_json()["detail"]
    wrong = client.get(f"{API}/reports/grid-visits", query_string={"grid": "990101/001/001/01", "member": "G0011"},
                       headers=auth(STREET))
    assert wrong.status_code == 422 and "G0011" in wrong.get_json()["detail"]
