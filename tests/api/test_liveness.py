"""No request can stop the service: a real ``gongzhi serve`` (two gunicorn workers) under attack.

While one request runs a runaway script, another submits a huge timer and a third calls a plugin
that never answers (the kind of stuck code only the watchdog can notice), other clients' commands
keep completing — no "database is locked", no waiting on the runaway — the runaways fail with
their limit errors, ``/health`` reports the stuck command whichever worker answers, and the stuck
worker is replaced. How long the others' commands take under this load is a benchmark
(``bench/liveness.py``), not an assertion here.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from gongzhi.security.tokens import mint

from .conftest import Gongzhi

FIXTURES = Path(__file__).parent.parent / "fixtures"
SECRET = "liveness-test-secret-0123456789abcdef"
CLIENTS, ROUNDS = 3, 6


def call(base: str, token: str, method: str, path: str, body: Any = None, timeout: float = 60) -> tuple[int, Any]:
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def health(base: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"{base}/health", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def server(tmp_path: Path) -> Any:
    env = {
        "GONGZHI_SECRET_KEY": SECRET,
        "GONGZHI_DEFINITIONS": os.pathsep.join(str(FIXTURES / f) for f in ("approval", "liveness")),
        "GONGZHI_LIMIT_COMMAND_DEADLINE_SECONDS": "3",
        "GONGZHI_STUCK_GRACE_SECONDS": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(FIXTURES / "liveness" / "plugin"), os.environ.get("PYTHONPATH")])),
    }
    process = Gongzhi(tmp_path, env).serve("--workers", "2", "--threads", "4", "--graceful-timeout", "2")
    yield process
    process.stop()


@pytest.mark.slow
def test_other_clients_are_served_while_runaways_fail_and_a_stuck_worker_is_replaced(server: Gongzhi) -> None:
    base = server.base
    admin = mint(SECRET, "admin", "管理员", ["admin"], "", permissions=["pii"])
    clerk = mint(SECRET, "clerk-1", "张三", ["clerk"], "110105/001")
    outcomes: dict[str, Any] = {}

    def stuck() -> None:  # the worker serving this is killed by the watchdog's policy: the connection breaks
        try:
            outcomes["stuck"] = call(base, admin, "POST", "/process-instances", {"process_key": "blocking"}, timeout=90)
        except OSError as exc:
            outcomes["stuck"] = exc

    def runaway() -> None:
        outcomes["runaway"] = call(base, admin, "POST", "/process-instances", {"process_key": "runaway"})

    def huge_timer() -> None:
        outcomes["timer"] = call(base, clerk, "POST", "/process-instances", {"process_key": "approval", "variables": {
            "title": "修路灯", "days": 2, "review_within": "P99999999Y", "archive_groups": ["archivist"]}})

    statuses: list[int] = []

    def client(n: int) -> None:
        for i in range(ROUNDS):
            status, case = call(base, clerk, "POST", "/process-instances", {"process_key": "approval", "variables": {
                "title": f"第 {n}-{i} 件", "days": 1, "review_within": "PT1H", "archive_groups": ["archivist"]}})
            statuses.append(status)
            if status == 201:
                task = case["open_tasks"][0]["id"]
                statuses.append(call(base, clerk, "POST", f"/tasks/{task}/complete", {"data": {"approved": False}})[0])

    attackers = [threading.Thread(target=f) for f in (stuck, runaway, huge_timer)]
    for thread in attackers:
        thread.start()
    time.sleep(0.5)  # the attacks are under way
    clients = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in clients:
        thread.start()

    # /health, whichever worker answers, reports the stuck command while it lasts.
    reported = None
    deadline = time.monotonic() + 30
    while reported is None and time.monotonic() < deadline:
        status, body = health(base)
        if body.get("stuck_commands"):
            reported = (status, body)
        time.sleep(0.3)
    for thread in clients:
        thread.join(120)
    attackers[1].join(60)
    attackers[2].join(60)

    assert reported is not None, "no worker reported the stuck command"
    assert reported[0] == 503 and reported[1]["status"] == "degraded"
    assert reported[1]["stuck_commands"][0]["command"] == "start"
    assert statuses and set(statuses) == {201, 200}, statuses  # every other client's command completed
    assert len(statuses) == CLIENTS * ROUNDS * 2
    status, problem = outcomes["runaway"]
    assert status == 422 and problem["type"].endswith("limit-exceeded"), problem
    status, problem = outcomes["timer"]
    assert status == 422 and problem.get("limit") == "max_duration", problem

    # The stuck worker is replaced and the service is whole again.
    attackers[0].join(90)
    assert not isinstance(outcomes.get("stuck"), tuple) or outcomes["stuck"][0] >= 500
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and health(base)[0] != 200:
        time.sleep(0.5)
    assert health(base) == (200, health(base)[1]) and health(base)[1]["stuck_commands"] == []
    assert call(base, clerk, "GET", "/tasks")[0] == 200
    log = server.stop()
    assert "is being replaced" in log and "database is locked" not in log
