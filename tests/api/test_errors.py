"""Every error is RFC 9457 problem+json with the right status, and never a stack trace."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gongzhi import Actor, Engine, hookimpl
from gongzhi.api import create_app
from gongzhi.security.tokens import mint

API = "/api/v1"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["type"].startswith("urn:gongzhi:problem:")
    assert body["title"] and body["detail"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def test_400_malformed_json(client: FlaskClient, auth: Callable[..., dict], people: Any) -> None:
    response = client.post(f"{API}/process-instances", headers=auth(people.clerk), data="{not json",
                           content_type="application/json")
    assert "JSON" in problem(response, 400)["detail"]


@pytest.mark.parametrize("header", [None, "Bearer", "Basic abc", "Bearer not-a-jwt"])
def test_401_missing_or_invalid_token(client: FlaskClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = client.get(f"{API}/tasks", headers=headers)
    problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_401_expired_or_wrongly_signed(client: FlaskClient, engine: Engine) -> None:
    expired = mint(engine.config.secret_key, "u", ttl=timedelta(seconds=-10))
    assert "过期" in problem(client.get(f"{API}/tasks", headers={"Authorization": f"Bearer {expired}"}), 401)["detail"]
    forged = mint("another-secret-that-is-long-enough-for-hs256", "u", groups=["admin"])
    problem(client.get(f"{API}/tasks", headers={"Authorization": f"Bearer {forged}"}), 401)


def test_403_not_in_candidate_group(client: FlaskClient, auth: Callable[..., dict], people: Any,
                                    start: Callable[..., dict]) -> None:
    task_id = start(people.clerk)["open_tasks"][0]["id"]
    # A leader reads the case (the leader lane makes them a viewer) but the review is the clerks' task.
    viewer = Actor.of("x", "某人", ["leader"], "110105/001")
    body = problem(client.post(f"{API}/tasks/{task_id}/complete", headers=auth(viewer), json={"data": {"approved": True}}), 403)
    assert body["task_id"] == task_id
    # Someone with no reason to read the case is not told it exists.
    outsider = Actor.of("y", "某人", ["archivist"], "110105/001")
    problem(client.post(f"{API}/tasks/{task_id}/complete", headers=auth(outsider), json={"data": {"approved": True}}), 404)


def test_403_start_outside_own_region(client: FlaskClient, auth: Callable[..., dict], people: Any, start_vars: dict) -> None:
    response = client.post(f"{API}/process-instances", headers=auth(people.clerk),
                           json={"process_key": "approval", "region": "110105/002", "variables": start_vars})
    problem(response, 403)


@pytest.mark.parametrize("path", ["/process-instances/nope", "/tasks/nope", "/process-definitions/nope",
                                  "/process-definitions/nope/xml", "/process-instances/nope/history", "/reports/nope",
                                  "/no-such-endpoint"])
def test_404_unknown(client: FlaskClient, auth: Callable[..., dict], people: Any, path: str) -> None:
    problem(client.get(API + path, headers=auth(people.clerk)), 404)


def test_404_unknown_process_and_decision(client: FlaskClient, auth: Callable[..., dict], people: Any) -> None:
    response = client.post(f"{API}/process-instances", headers=auth(people.clerk), json={"process_key": "nope"})
    assert problem(response, 404)["process_key"] == "nope"
    problem(client.post(f"{API}/decisions/nope/evaluate", headers=auth(people.clerk), json={"inputs": {}}), 404)


def test_405_wrong_method(client: FlaskClient, auth: Callable[..., dict], people: Any) -> None:
    response = client.delete(f"{API}/tasks", headers=auth(people.clerk))
    problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_409_task_not_open_and_claimed_by_other(client: FlaskClient, auth: Callable[..., dict], people: Any,
                                                start: Callable[..., dict]) -> None:
    task_id = start(people.clerk)["open_tasks"][0]["id"]
    colleague = Actor.of("clerk-9", "钱八", ["clerk"], "110105/001")
    assert client.post(f"{API}/tasks/{task_id}/claim", headers=auth(people.clerk)).status_code == 200
    problem(client.post(f"{API}/tasks/{task_id}/claim", headers=auth(colleague)), 409)
    client.post(f"{API}/tasks/{task_id}/complete", headers=auth(people.clerk), json={"data": {"approved": False}})
    body = problem(client.post(f"{API}/tasks/{task_id}/complete", headers=auth(people.clerk),
                               json={"data": {"approved": False}}), 409)
    assert body["context_status"] == "completed"


def test_413_body_too_large(app: Flask, client: FlaskClient, auth: Callable[..., dict], people: Any) -> None:
    app.extensions["gongzhi"].max_content_length = 1024
    response = client.post(f"{API}/process-instances", headers=auth(people.clerk),
                           json={"process_key": "approval", "variables": {"title": "x" * 5000}})
    problem(response, 413)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_415_wrong_content_type(client: FlaskClient, auth: Callable[..., dict], people: Any, content_type: str) -> None:
    response = client.post(f"{API}/process-instances", headers=auth(people.clerk),
                           data='{"process_key": "approval"}', content_type=content_type)
    problem(response, 415)


def test_422_schema_errors_name_the_field(client: FlaskClient, auth: Callable[..., dict], people: Any) -> None:
    body = problem(client.post(f"{API}/process-instances", headers=auth(people.clerk),
                               json={"variables": [], "extra": 1}), 422)
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"process_key", "variables", "extra"}
    assert problem(client.post(f"{API}/process-instances", headers=auth(people.clerk), json=[1]), 422)["errors"]
    assert problem(client.get(f"{API}/tasks?per_page=0", headers=auth(people.clerk)), 422)["errors"][0]["field"] == "per_page"
    assert problem(client.get(f"{API}/tasks?overdue=maybe", headers=auth(people.clerk)), 422)["errors"][0]["field"] == "overdue"
    message = problem(client.post(f"{API}/messages", headers=auth(people.clerk), json={"name": "m"}), 422)
    assert message["errors"][0]["field"] == "business_key"


def test_422_form_validation(client: FlaskClient, auth: Callable[..., dict], people: Any,
                             start: Callable[..., dict]) -> None:
    response = client.post(f"{API}/process-instances", headers=auth(people.clerk),
                           json={"process_key": "approval", "variables": {"title": "", "days": 99}})
    fields = {e["field"] for e in problem(response, 422)["errors"]}
    assert {"title", "days", "review_within"} <= fields
    task_id = start(people.clerk)["open_tasks"][0]["id"]
    body = problem(client.post(f"{API}/tasks/{task_id}/complete", headers=auth(people.clerk), json={"data": {"x": 1}}), 422)
    assert body["errors"]


def test_422_invalid_definition_lists_elements(client: FlaskClient, auth: Callable[..., dict], people: Any) -> None:
    bpmn = (FIXTURES / "approval" / "approval.bpmn").read_text(encoding="utf-8")
    broken = bpmn.replace("approved == True", "approved ==")
    files = [{"name": "approval.bpmn", "content": broken}] + [
        {"name": n, "content": (FIXTURES / "approval" / n).read_text(encoding="utf-8")}
        for n in ("start.json", "review.json", "note.json")]
    body = problem(client.post(f"{API}/deployments", headers=auth(people.admin), json={"files": files}), 422)
    assert any(e.get("element_id") == "f_gw_notify" for e in body["errors"]), body["errors"]
    assert all(e["field"].startswith("approval.bpmn") for e in body["errors"])
    bad_name = problem(client.post(f"{API}/deployments", headers=auth(people.admin),
                                   json={"files": [{"name": "../x.txt", "content": ""}]}), 422)
    assert bad_name["errors"][0]["field"] == "files[0].name"


def test_500_is_generic_and_logged(client: FlaskClient, auth: Callable[..., dict], people: Any, engine: Engine,
                                   monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def boom(*_: Any, **__: Any) -> None:
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(engine, "tasks", boom)
    with caplog.at_level(logging.ERROR, logger="gongzhi.api"):
        response = client.get(f"{API}/tasks", headers=auth(people.clerk))
    body = problem(response, 500)
    assert "secret" not in response.get_data(as_text=True) and body["type"].endswith("internal")
    assert "secret internals" in caplog.text


class SsoPlugin:
    """An integrator's portal SSO: a session header instead of a JWT."""

    __name__ = "sso"

    @hookimpl
    def gongzhi_authenticate(self, request: Any) -> Actor | None:
        if request.headers.get("X-Portal-Session") == "s-1":
            return Actor.of("portal-user", "门户用户", ["clerk"], "110105/001")
        return None


def test_authenticate_hook_replaces_jwt(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(plugins=[SsoPlugin()])
    client = create_app(engine=engine).test_client()
    assert client.get(f"{API}/tasks", headers={"X-Portal-Session": "s-1"}).status_code == 200
    problem(client.get(f"{API}/tasks", headers={"X-Portal-Session": "other"}), 401)


def test_422_nul_characters_are_refused(client: FlaskClient, auth: Callable[..., dict], people: Any) -> None:
    # PostgreSQL text cannot hold U+0000: refuse it up front instead of failing in the database.
    problem(client.get(f"{API}/tasks/a%00b", headers=auth(people.clerk)), 422)
    assert problem(client.get(f"{API}/tasks?process_key=%00", headers=auth(people.clerk)), 422)["errors"][0]["field"] == \
        "query.process_key"
    body = problem(client.post(f"{API}/process-instances", headers=auth(people.clerk),
                               json={"process_key": "approval", "variables": {"title": "a\x00"}}), 422)
    assert body["errors"][0]["field"] == "variables.title"
