"""The API additions the console's instance page reads (issue 18): ``parent_id`` on a case started
by another case's call activity, and the waiting timers of a case for everyone who may read it —
not only administrators — while other regions get nothing."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from flask.testing import FlaskClient

from gongzhi import Actor, Engine
from gongzhi.api import create_app
from gongzhi.runtime import jobs
from gongzhi.security.tokens import mint

API = "/api/v1"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CLERK = Actor.of("clerk-1", "张三", ["clerk"], "110105/001")
NEIGHBOUR = Actor.of("clerk-2", "赵六", ["clerk"], "110105/002")
ADMIN = Actor.of("admin", "管理员", ["admin"], "")


def _headers(engine: Engine, actor: Actor) -> dict[str, str]:
    token = mint(engine.config.secret_key, actor.id, actor.name, actor.groups, actor.region,
                 permissions=actor.permissions)
    return {"Authorization": f"Bearer {token}"}


def _client(engine: Engine) -> FlaskClient:
    return create_app(engine=engine).test_client()


def test_a_case_waiting_on_a_timer_lists_it_for_every_reader(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine()
    engine.deploy([FIXTURES / "timers"])
    client = _client(engine)
    case = engine.start("reminder", CLERK, {"notice_days": 1})

    response = client.get(f"{API}/process-instances/{case.id}/timers", headers=_headers(engine, CLERK))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["instance_id"] == case.id
    [timer] = body["items"]
    assert (timer["element_id"], timer["element_name"], timer["status"]) == ("notice_period", "公示期满", "scheduled")
    # The same due time the administrators' job list shows, and nothing of the worker's.
    admin_jobs = client.get(f"{API}/jobs", headers=_headers(engine, ADMIN), query_string={"instance_id": case.id})
    assert timer["due_at"] == admin_jobs.get_json()["items"][0]["due_at"]
    assert "last_error" not in timer and "locked_by" not in timer

    # Another community's clerk may not read the case: not found, and no timer leaks.
    hidden = client.get(f"{API}/process-instances/{case.id}/timers", headers=_headers(engine, NEIGHBOUR))
    assert hidden.status_code == 404
    assert hidden.headers["Content-Type"].startswith("application/problem+json")
    assert client.get(f"{API}/process-instances/nope/timers", headers=_headers(engine, CLERK)).status_code == 404


def test_a_fired_timer_is_no_longer_listed(make_engine: Callable[..., Engine], clock: Any) -> None:
    engine = make_engine()
    engine.deploy([FIXTURES / "timers"])
    client = _client(engine)
    case = engine.start("reminder", CLERK, {"notice_days": 1})
    clock.advance(days=2)
    [job_id] = jobs.acquire(engine, "worker-a", 10)
    jobs.run_job(engine, job_id, "worker-a")
    items = client.get(f"{API}/process-instances/{case.id}/timers", headers=_headers(engine, CLERK)).get_json()["items"]
    assert "notice_period" not in [t["element_id"] for t in items]


def test_a_child_case_names_its_parent(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine()
    engine.deploy([FIXTURES / "subcase"])
    client = _client(engine)
    admin = _headers(engine, ADMIN)
    parent = engine.start("parent_case", ADMIN, {"topic": "楼道堆物"}, region="110105/001")
    deadline = time.monotonic() + 30
    children: list[dict[str, Any]] = []
    while not children:
        for job_id in jobs.acquire(engine, "worker-a", 10):
            jobs.run_job(engine, job_id, "worker-a")
        children = client.get(f"{API}/process-instances", headers=admin,
                              query_string={"parent_id": parent.id}).get_json()["items"]
        assert time.monotonic() < deadline, "the call activity did not start its child case"
    assert children[0]["parent_id"] == parent.id
    child = client.get(f"{API}/process-instances/{children[0]['id']}", headers=admin).get_json()
    assert child["parent_id"] == parent.id
    assert client.get(f"{API}/process-instances/{parent.id}", headers=admin).get_json()["parent_id"] is None


def test_labels_name_every_form_field_of_a_version(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine()
    engine.deploy()  # the bundled flows
    client = _client(engine)
    response = client.get(f"{API}/process-definitions/whistle_dispatch/labels", headers=_headers(engine, CLERK))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["key"] == "whistle_dispatch" and body["version"] == 1
    labels = body["labels"]
    # The start form, the street's whistle form and a conditional field of the department's sign form.
    assert (labels["description"], labels["lead_department"], labels["co_departments"]) == ("问题描述", "主办部门", "协办部门")
    assert labels["return_reason"] == "退单理由"
    assert all(not k.startswith("_") and v for k, v in labels.items())
    missing = client.get(f"{API}/process-definitions/nope/labels", headers=_headers(engine, CLERK))
    assert missing.status_code == 404
    assert client.get(f"{API}/process-definitions/whistle_dispatch/labels?version=9",
                      headers=_headers(engine, CLERK)).status_code == 404
    assert client.get(f"{API}/process-definitions/whistle_dispatch/labels").status_code == 401
