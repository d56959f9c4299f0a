"""A whole case over HTTP with real tokens: deploy, start, work list, claim, complete, message, history."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from flask.testing import FlaskClient

from gongzhi import Actor

API = "/api/v1"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_full_flow(client: FlaskClient, auth: Callable[..., dict[str, str]], people: Any, start_vars: dict) -> None:
    clerk, leader, archivist = people.clerk, people.leader, people.archivist

    definition = client.get(f"{API}/process-definitions/approval", headers=auth(clerk)).get_json()
    assert definition["version"] == 1 and definition["versions"][0]["version"] == 1
    assert set(definition["start_form"]["required"]) == {"title", "days", "review_within"}
    listed = client.get(f"{API}/process-definitions", headers=auth(clerk)).get_json()
    assert [d["key"] for d in listed["items"]] == ["approval"]
    xml = client.get(f"{API}/process-definitions/approval/xml", headers=auth(clerk))
    assert xml.status_code == 200 and xml.mimetype == "application/xml" and b'id="approval"' in xml.data

    started = client.post(f"{API}/process-instances", headers=auth(clerk),
                          json={"process_key": "approval", "business_key": "GD-001", "variables": start_vars})
    assert started.status_code == 201
    instance = started.get_json()
    assert instance["status"] == "running" and instance["region"] == "110105/001"
    assert [t["element_id"] for t in instance["open_tasks"]] == ["review"]

    work = client.get(f"{API}/tasks", headers=auth(clerk)).get_json()
    assert work["total"] == 1 and work["page"] == 1
    task_id = work["items"][0]["id"]
    assert work["items"][0]["candidate_groups"] == ["clerk"] and work["items"][0]["overdue"] is False
    assert client.get(f"{API}/tasks", headers=auth(leader)).get_json()["total"] == 0  # not a clerk
    assert client.get(f"{API}/tasks?candidate_group=clerk&process_key=approval", headers=auth(clerk)).get_json()["total"] == 1
    assert client.get(f"{API}/tasks?instance_id={instance['id']}", headers=auth(clerk)).get_json()["total"] == 1
    assert client.get(f"{API}/tasks?overdue=true", headers=auth(clerk)).get_json()["total"] == 0

    detail = client.get(f"{API}/tasks/{task_id}", headers=auth(clerk)).get_json()
    assert detail["instructions"] == "请审核：修路灯（2 天）"
    assert detail["form"]["required"] == ["approved"] and detail["due_at"] and detail["data"]["title"] == "修路灯"

    claimed = client.post(f"{API}/tasks/{task_id}/claim", headers=auth(clerk))
    assert claimed.status_code == 200 and claimed.get_json()["assignee"] == "clerk-1"
    assert client.get(f"{API}/tasks?mine=true", headers=auth(clerk)).get_json()["total"] == 1

    done = client.post(f"{API}/tasks/{task_id}/complete", headers=auth(clerk), json={"data": {"approved": True}})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["variables"]["notice"] and done.get_json()["open_tasks"] == []

    # The confirmation is the leader's to send (its catch event is in the leader's lane).
    message = client.post(f"{API}/messages", headers=auth(people.leader),
                          json={"name": "confirmation", "business_key": "GD-001", "variables": {"ok": True}})
    assert message.status_code == 200, message.get_json()
    assert message.get_json()["status"] == "delivered" and message.get_json()["instance_id"] == instance["id"]
    archive = message.get_json()["instance"]["open_tasks"]
    assert [t["element_id"] for t in archive] == ["archive"] and archive[0]["candidate_groups"] == ["archivist"]

    finished = client.post(f"{API}/tasks/{archive[0]['id']}/complete", headers=auth(archivist), json={"data": {"note": "好"}})
    assert finished.get_json()["status"] == "completed"

    again = client.post(f"{API}/tasks/{task_id}/complete", headers=auth(clerk), json={"data": {"approved": True}})
    assert again.status_code == 409 and again.mimetype == "application/problem+json"

    history = client.get(f"{API}/process-instances/{instance['id']}/history", headers=auth(clerk)).get_json()
    actions = [e["action"] for e in history["events"]]
    assert actions[0] == "start" and "claim" in actions and "message" in actions and actions[-1] == "completed"

    page = client.get(f"{API}/process-instances?status=completed&process_key=approval", headers=auth(clerk)).get_json()
    assert page["total"] == 1 and page["items"][0]["id"] == instance["id"]


def test_cancel_by_starter(client: FlaskClient, auth: Callable[..., dict[str, str]], people: Any,
                           start: Callable[..., dict]) -> None:
    instance = start(people.clerk)
    other = Actor.of("clerk-3", "孙七", ["clerk"], "110105/001")
    forbidden = client.post(f"{API}/process-instances/{instance['id']}/cancel", headers=auth(other), json={"reason": "x"})
    assert forbidden.status_code == 403
    cancelled = client.post(f"{API}/process-instances/{instance['id']}/cancel", headers=auth(people.clerk),
                            json={"reason": "重复提交"})
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert client.get(f"{API}/tasks", headers=auth(people.clerk)).get_json()["total"] == 0


def test_deploy_json_and_multipart(client: FlaskClient, auth: Callable[..., dict[str, str]], people: Any) -> None:
    files = [{"name": p.name, "content": p.read_text(encoding="utf-8")} for p in sorted((FIXTURES / "approval").iterdir())]
    unchanged = client.post(f"{API}/deployments", headers=auth(people.admin), json={"files": files})
    assert unchanged.status_code == 200 and unchanged.get_json()["created"] == []

    changed = [dict(f, content=f["content"].replace("申请审批", "申请审批二")) if f["name"].endswith(".bpmn") else f
               for f in files]
    upload = {"files": [(__import__("io").BytesIO(f["content"].encode()), f["name"]) for f in changed]}
    created = client.post(f"{API}/deployments", headers=auth(people.admin), data=upload, content_type="multipart/form-data")
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["created"] == [{"kind": "process", "key": "approval", "version": 2}]
    detail = client.get(f"{API}/process-definitions/approval", headers=auth(people.clerk)).get_json()
    assert [v["version"] for v in detail["versions"]] == [2, 1] and detail["name"] == "申请审批二"
    old = client.get(f"{API}/process-definitions/approval/xml?version=1", headers=auth(people.clerk))
    assert "申请审批二".encode() not in old.data

    clerk_try = client.post(f"{API}/deployments", headers=auth(people.clerk), json={"files": files})
    assert clerk_try.status_code == 403


def test_health_needs_no_token(client: FlaskClient) -> None:
    response = client.get(f"{API}/health")
    assert response.status_code == 200 and response.get_json()["database"] == "ok"
