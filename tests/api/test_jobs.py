"""The job queue over HTTP (issue 18, item 7): due, scheduled, leased and failed jobs, and whether
the worker keeps up — read by administrators only, in their regions — plus the instance filters
and the per-instance audit verification the console's instance pages use."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from flask.testing import FlaskClient
from sqlalchemy import update

from gongzhi import Actor, Engine
from gongzhi.api import create_app
from gongzhi.runtime import jobs
from gongzhi.store.models import AuditEvent

FIXTURES = Path(__file__).parents[1] / "fixtures"
API = "/api/v1"
CST_NOON = datetime.fromisoformat("2026-11-02T12:00:00+08:00")


def _client(engine: Engine) -> FlaskClient:
    return create_app(engine=engine).test_client()


def test_jobs_by_status_and_worker_state(make_engine: Callable[..., Engine], clock: Any, people: Any,
                                         auth: Callable[..., dict[str, str]]) -> None:
    engine = make_engine()
    engine.deploy([FIXTURES / "timers"])
    client = _client(engine)
    first = engine.start("reminder", people.clerk, {"notice_days": 1})
    admin = auth(people.admin)

    listed = client.get(f"{API}/jobs", headers=admin).get_json()
    assert listed["total"] == 1
    [job] = listed["items"]
    assert (job["status"], job["kind"], job["instance_id"], job["element_id"], job["element_name"]) == (
        "scheduled", "timer", first.id, "notice_period", "公示期满")
    assert client.get(f"{API}/jobs", headers=admin, query_string={"status": "due"}).get_json()["total"] == 0
    state = client.get(f"{API}/jobs/worker", headers=admin).get_json()
    assert (state["state"], state["overdue"], state["counts"]["scheduled"]) == ("idle", 0, 1)

    # Two days later the timer is due; nobody has run it for longer than a lease: the worker is behind.
    clock.advance(days=2)
    assert client.get(f"{API}/jobs", headers=admin, query_string={"status": "due"}).get_json()["items"][0]["id"] == job["id"]
    state = client.get(f"{API}/jobs/worker", headers=admin).get_json()
    assert (state["state"], state["overdue"]) == ("behind", 1)
    assert state["oldest_due_at"] == job["due_at"]

    # A worker leases it: it is listed as held by that worker, and the worker counts as working.
    assert jobs.acquire(engine, "worker-a", 10) == [job["id"]]
    leased = client.get(f"{API}/jobs", headers=admin, query_string={"status": "leased"}).get_json()["items"]
    assert [(j["id"], j["locked_by"]) for j in leased] == [(job["id"], "worker-a")]
    state = client.get(f"{API}/jobs/worker", headers=admin).get_json()
    assert (state["state"], state["workers"], state["last_activity_at"]) == ("working", ["worker-a"], None)

    # Once it ran, it is not listed any more and the last activity is the timer's audit event.
    jobs.run_job(engine, job["id"], "worker-a")
    after = client.get(f"{API}/jobs", headers=admin, query_string={"instance_id": first.id}).get_json()["items"]
    assert [j["element_id"] for j in after] == ["remind"]  # the hourly reminder of the task that opened
    assert client.get(f"{API}/jobs/worker", headers=admin).get_json()["last_activity_at"] is not None


def test_failed_jobs_admins_only_and_regions(make_engine: Callable[..., Engine], people: Any,
                                             auth: Callable[..., dict[str, str]]) -> None:
    engine = make_engine()
    engine.deploy([FIXTURES / "timers"])
    client = _client(engine)
    inst = engine.start("reminder", people.clerk, {"notice_days": 1})
    with engine.db.write() as session:  # what the worker leaves when the tries run out
        session.execute(update(jobs.Job).where(jobs.Job.instance_id == inst.id)
                        .values(status="failed", last_error="短信网关不可用", attempts=3))
    failed = client.get(f"{API}/jobs", headers=auth(people.admin), query_string={"status": "failed"}).get_json()["items"]
    assert [(j["status"], j["last_error"], j["attempts"]) for j in failed] == [("failed", "短信网关不可用", 3)]

    for who in (people.clerk, people.leader):
        for path in ("/jobs", "/jobs/worker"):
            response = client.get(API + path, headers=auth(who))
            assert response.status_code == 403 and response.mimetype == "application/problem+json"
    elsewhere = Actor.of("admin-2", "另一区管理员", ["admin"], "110106")
    assert client.get(f"{API}/jobs", headers=auth(elsewhere)).get_json()["total"] == 0
    assert client.get(f"{API}/jobs/worker", headers=auth(elsewhere)).get_json()["counts"]["failed"] == 0


def test_jobs_query_is_validated(engine: Engine, people: Any, auth: Callable[..., dict[str, str]]) -> None:
    client = _client(engine)
    for query in ({"status": "done"}, {"kind": "mail"}, {"per_page": 0}, {"page": "x"}):
        response = client.get(f"{API}/jobs", headers=auth(people.admin), query_string=query)
        assert response.status_code == 422 and response.mimetype == "application/problem+json", query
        assert response.get_json()["errors"], query


def test_instances_by_region_date_and_parent(engine: Engine, clock: Any, people: Any, start_vars: dict,
                                             auth: Callable[..., dict[str, str]]) -> None:
    client = _client(engine)
    clock.set(CST_NOON)
    first = engine.start("approval", people.clerk, start_vars)
    clock.advance(days=1)
    second = engine.start("approval", people.other_clerk, start_vars)
    leader = auth(people.leader)

    def ids(**query: Any) -> list[str]:
        response = client.get(f"{API}/process-instances", headers=leader, query_string=query)
        assert response.status_code == 200, response.get_json()
        return [i["id"] for i in response.get_json()["items"]]

    assert ids() == [second.id, first.id]
    assert ids(region="110105/001") == [first.id]
    assert ids(region="110105/00") == []  # a subtree, not a text prefix
    assert ids(started_after="2026-11-03T00:00:00+08:00") == [second.id]
    assert ids(started_before="2026-11-03T00:00:00+08:00") == [first.id]
    assert ids(started_after=CST_NOON.isoformat(), started_before=(CST_NOON + timedelta(hours=1)).isoformat()) == [first.id]
    assert ids(parent_id=first.id) == []
    # The clerk's own region bounds what a region filter can reach.
    own = client.get(f"{API}/process-instances", headers=auth(people.clerk), query_string={"region": "110105"})
    assert [i["id"] for i in own.get_json()["items"]] == [first.id]

    assert ids(started_after="2026-11-04T00:00:00+08:00", started_before="2026-11-03T00:00:00+08:00") == []
    for query in ({"region": "abc"}, {"started_after": "2026-11-03"}, {"started_after": "2026-11-03T00:00:00"},
                  {"started_before": "2026-13-03T00:00:00+08:00"}):
        response = client.get(f"{API}/process-instances", headers=leader, query_string=query)
        assert response.status_code == 422 and response.mimetype == "application/problem+json", query


def test_instance_audit_verify(engine: Engine, people: Any, start_vars: dict,
                               auth: Callable[..., dict[str, str]]) -> None:
    client = _client(engine)
    inst = engine.start("approval", people.clerk, start_vars)
    engine.complete(inst.open_tasks[0].id, people.clerk, {"approved": True})
    url = f"{API}/process-instances/{inst.id}/audit/verify"
    report = client.get(url, headers=auth(people.leader)).get_json()
    assert (report["ok"], report["problems"], report["instance_id"]) == (True, [], inst.id)
    assert report["events"] >= 2
    assert client.get(url, headers=auth(people.other_clerk)).status_code == 404  # not in their region
    assert client.get(f"{API}/process-instances/nope/audit/verify", headers=auth(people.leader)).status_code == 404

    with engine.db.write() as session:  # someone edits a stored event behind the engine's back
        session.execute(update(AuditEvent).where(AuditEvent.instance_id == inst.id, AuditEvent.seq == 1)
                        .values(payload=AuditEvent.payload + " "))
    broken = client.get(url, headers=auth(people.leader)).get_json()
    assert broken["ok"] is False
    assert any("被改动" in p for p in broken["problems"]), broken["problems"]
