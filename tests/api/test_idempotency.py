"""``Idempotency-Key``: a retry returns the first answer and starts nothing new."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

from flask import Flask
from flask.testing import FlaskClient

from gongzhi import Engine

API = "/api/v1"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _count(client: FlaskClient, headers: dict[str, str]) -> int:
    return client.get(f"{API}/process-instances", headers=headers).get_json()["total"]


def test_same_key_same_body_replays(client: FlaskClient, auth: Callable[..., dict], people: Any, start_vars: dict) -> None:
    headers = auth(people.clerk, **{"Idempotency-Key": "start-42"})
    body = {"process_key": "approval", "variables": start_vars}
    first = client.post(f"{API}/process-instances", headers=headers, json=body)
    # The same body with its keys in another order is the same request.
    second = client.post(f"{API}/process-instances", headers=headers, json=dict(reversed(list(body.items()))))
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert _count(client, auth(people.clerk)) == 1


def test_same_key_other_body_is_422(client: FlaskClient, auth: Callable[..., dict], people: Any, start_vars: dict) -> None:
    headers = auth(people.clerk, **{"Idempotency-Key": "start-43"})
    assert client.post(f"{API}/process-instances", headers=headers,
                       json={"process_key": "approval", "variables": start_vars}).status_code == 201
    other = client.post(f"{API}/process-instances", headers=headers,
                        json={"process_key": "approval", "variables": {**start_vars, "days": 3}})
    assert other.status_code == 422 and other.mimetype == "application/problem+json"
    assert other.get_json()["errors"][0]["field"] == "Idempotency-Key"
    assert _count(client, auth(people.clerk)) == 1


def test_keys_are_scoped_by_actor(client: FlaskClient, auth: Callable[..., dict], people: Any, start_vars: dict) -> None:
    body = {"process_key": "approval", "variables": start_vars}
    a = client.post(f"{API}/process-instances", headers=auth(people.clerk, **{"Idempotency-Key": "k"}), json=body)
    b = client.post(f"{API}/process-instances", headers=auth(people.admin, **{"Idempotency-Key": "k"}), json=body)
    assert a.status_code == b.status_code == 201 and a.get_json()["id"] != b.get_json()["id"]


def test_failed_request_releases_the_key(client: FlaskClient, auth: Callable[..., dict], people: Any, start_vars: dict) -> None:
    headers = auth(people.clerk, **{"Idempotency-Key": "retry-me"})
    bad = client.post(f"{API}/process-instances", headers=headers, json={"process_key": "approval", "variables": {}})
    assert bad.status_code == 422
    good = client.post(f"{API}/process-instances", headers=headers, json={"process_key": "approval", "variables": start_vars})
    assert good.status_code == 201


def test_invalid_key_is_400(client: FlaskClient, auth: Callable[..., dict], people: Any, start_vars: dict) -> None:
    response = client.post(f"{API}/process-instances", headers=auth(people.clerk, **{"Idempotency-Key": "has space"}),
                           json={"process_key": "approval", "variables": start_vars})
    assert response.status_code == 400


def test_concurrent_duplicates_start_one_instance(app: Flask, auth: Callable[..., dict], people: Any,
                                                  start_vars: dict) -> None:
    headers = auth(people.clerk, **{"Idempotency-Key": "race"})
    body = {"process_key": "approval", "variables": start_vars}
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def post() -> None:
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post(f"{API}/process-instances", headers=headers, json=body).status_code)

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Each duplicate either replays the stored answer (201) or is told the first is still running (409).
    assert sorted(set(statuses)) in ([201], [201, 409]) and statuses.count(201) >= 1
    assert _count(app.test_client(), auth(people.clerk)) == 1


def test_message_id_makes_messages_idempotent(client: FlaskClient, auth: Callable[..., dict], people: Any,
                                              start: Callable[..., dict], engine: Engine) -> None:
    instance = start(people.clerk)
    task_id = instance["open_tasks"][0]["id"]
    client.post(f"{API}/tasks/{task_id}/complete", headers=auth(people.clerk), json={"data": {"approved": True}})
    message = {"name": "confirmation", "instance_id": instance["id"], "message_id": "msg-1", "variables": {}}
    first = client.post(f"{API}/messages", headers=auth(people.leader), json=message)
    again = client.post(f"{API}/messages", headers=auth(people.leader), json=message)
    assert first.status_code == again.status_code == 200
    assert first.get_json()["instance_id"] == again.get_json()["instance_id"] == instance["id"]
    assert len(first.get_json()["instance"]["open_tasks"]) == 1  # delivered once: one archive task
    assert [e["action"] for e in engine.history(instance["id"], people.admin)].count("message") == 1
    other = client.post(f"{API}/messages", headers=auth(people.leader), json={**message, "variables": {"x": 1}})
    assert other.status_code == 422


def test_message_without_waiting_instance_is_buffered(client: FlaskClient, auth: Callable[..., dict], people: Any) -> None:
    response = client.post(f"{API}/messages", headers=auth(people.clerk),
                           json={"name": "confirmation", "business_key": "GD-later", "ttl_seconds": 3600})
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "buffered" and body["instance"] is None and body["expires_at"]


def test_deployments_accept_the_key(client: FlaskClient, auth: Callable[..., dict], people: Any) -> None:
    files = [{"name": p.name, "content": p.read_text(encoding="utf-8").replace("申请审批", "申请审批三")}
             for p in sorted((FIXTURES / "approval").iterdir())]
    headers = auth(people.admin, **{"Idempotency-Key": "deploy-1"})
    first = client.post(f"{API}/deployments", headers=headers, json={"files": files})
    second = client.post(f"{API}/deployments", headers=headers, json={"files": files})
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json() and first.get_json()["created"][0]["version"] == 2
