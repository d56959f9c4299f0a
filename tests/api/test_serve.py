"""The README session against a real ``gongzhi serve`` process: mint a token, start a case, list tasks, complete one."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def call(method: str, url: str, token: str | None = None, body: Any = None,
         data: bytes | None = None, content_type: str = "application/json") -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is not None:
        data = json.dumps(body).encode()
    if data is not None:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def multipart(files: list[Path]) -> tuple[bytes, str]:
    """What ``curl -F files=@a -F files=@b`` sends."""
    boundary = uuid.uuid4().hex
    parts = []
    for path in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{path.name}"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + path.read_bytes() + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def served(tmp_path: Path, gongzhi_process: Any) -> Iterator[Any]:
    gongzhi = gongzhi_process(tmp_path).serve("--dev", "--workers", "2")
    try:
        yield gongzhi
    finally:
        output = gongzhi.stop()
    assert gongzhi.base in output and "gongzhi token --admin --dev" in output
    assert "Traceback" not in output


def test_refuses_default_secret_without_dev(tmp_path: Path, gongzhi_process: Any) -> None:
    result = gongzhi_process(tmp_path).run("serve", "--port", str(gongzhi_process.free_port()))
    assert result.returncode != 0 and "GONGZHI_SECRET_KEY" in result.stderr


def test_refuses_a_short_secret_without_dev(tmp_path: Path, gongzhi_process: Any) -> None:
    result = gongzhi_process(tmp_path, {"GONGZHI_SECRET_KEY": "abc"}).run("serve", "--port", str(gongzhi_process.free_port()))
    assert result.returncode == 1 and "3 字节" in result.stderr and "至少需要 32 字节" in result.stderr
    assert "secrets.token_hex(32)" in result.stderr  # how to make one
    assert not (tmp_path / "serve.sqlite3").exists()  # refused before touching anything


def test_readme_curl_session(served: Any) -> None:
    server = served.base
    # TOKEN=$(gongzhi token --admin --dev)
    token = served.run("token", "--admin", "--dev", check=True).stdout.strip()

    # curl -X POST $API/deployments -F files=@tests/fixtures/approval/approval.bpmn -F ...
    data, content_type = multipart(sorted((FIXTURES / "approval").iterdir()))
    status, deployed = call("POST", f"{server}/deployments", token, data=data, content_type=content_type)
    assert status == 201, deployed
    assert {"kind": "process", "key": "approval", "version": 1} in deployed["created"]

    # curl -X POST $API/process-instances -H 'Content-Type: application/json' -d '{...}'
    status, case = call("POST", f"{server}/process-instances", token, {
        "process_key": "approval", "business_key": "GD-2026-001",
        "variables": {"title": "修路灯", "days": 2, "review_within": "PT1H", "archive_groups": ["archivist"]},
    })
    assert status == 201, case
    assert case["status"] == "running"

    # curl $API/tasks
    status, tasks = call("GET", f"{server}/tasks", token)
    assert status == 200 and tasks["total"] == 1
    task = tasks["items"][0]
    assert task["name"] == "审核申请" and task["instance_id"] == case["id"]

    # curl -X POST $API/tasks/$TASK/complete -d '{"data": {"approved": false, "comment": "..."}}'
    status, done = call("POST", f"{server}/tasks/{task['id']}/complete", token,
                        {"data": {"approved": False, "comment": "预算不足"}})
    assert status == 200, done
    assert done["status"] == "completed" and done["open_tasks"] == []

    # Without a token: 401 problem+json.
    status, problem = call("GET", f"{server}/tasks")
    assert status == 401 and problem["status"] == 401
