"""Loose ends from the security review of the HTTP API (issue 14): each test failed on the code before the fix."""

from __future__ import annotations

import io
import json
import logging
import secrets
import socket
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from gongzhi import ConfigurationError, Engine, InvalidInput, hookimpl
from gongzhi.api import Report, create_app
from gongzhi.api.problems import HTTP_TITLES
from gongzhi.store.models import Message

API = "/api/v1"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def nested(depth: int) -> Any:
    """``depth`` lists inside each other: ``[[[]]]`` is 3."""
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/problem+json"
    return response.get_json()


# --- 1. deep JSON nesting --------------------------------------------------------------------


def test_a_body_nested_500_deep_is_a_422_naming_the_field(client: FlaskClient, auth: Callable[..., dict], people: Any,
                                                         engine: Engine, start_vars: dict[str, Any]) -> None:
    body = json.dumps({"process_key": "approval", "variables": {**start_vars, "x": nested(500)}})
    response = client.post(f"{API}/process-instances", data=body, headers=auth(people.clerk),
                           content_type="application/json")
    answer = problem(response, 422)
    # body (1) > variables (2) > x (3) > 62 more lists: the 65th container is the first too many.
    assert answer["errors"][0]["field"] == "variables.x" + "[0]" * 62
    assert answer["limit"] == "max_json_depth" and answer["maximum"] == 64
    assert engine.instances(people.admin).total == 0


def test_the_depth_limit_comes_from_configuration(make_engine: Callable[..., Engine], people: Any,
                                                  start_vars: dict[str, Any]) -> None:
    engine = make_engine(max_json_depth="3")
    engine.deploy([FIXTURES / "approval"])
    client = create_app(engine=engine).test_client()
    headers = {"Authorization": f"Bearer {_token(engine, people.clerk)}"}
    ok = {"process_key": "approval", "variables": {**start_vars, "extra": {}}}  # body > variables > extra
    assert client.post(f"{API}/process-instances", json=ok, headers=headers).status_code == 201
    deep = {"process_key": "approval", "variables": {**start_vars, "extra": {"more": {}}}}
    assert problem(client.post(f"{API}/process-instances", json=deep, headers=headers), 422)["maximum"] == 3
    with pytest.raises(InvalidInput) as refused:  # the Python API: variables are the outermost container
        engine.start("approval", people.clerk, {**start_vars, "extra": {"more": {"deeper": {}}}})
    assert refused.value.errors == [{"field": "variables.extra.more.deeper", "message": "嵌套超过 3 层"}]
    assert engine.start("approval", people.clerk, {**start_vars, "extra": {"more": {}}}).status == "running"


def test_the_python_api_refuses_any_depth_without_recursing(engine: Engine, people: Any,
                                                            start_vars: dict[str, Any]) -> None:
    # Before: a RecursionError from the recursive check (or a 500 from orjson when saving).
    with pytest.raises(InvalidInput) as refused:
        engine.start("approval", people.clerk, {**start_vars, "x": nested(5000)})
    assert refused.value.limit == "max_json_depth" and refused.value.maximum == 64
    assert refused.value.errors[0]["field"].startswith("variables.x[0][0]")
    task = engine.start("approval", people.clerk, start_vars).open_tasks[0]
    with pytest.raises(InvalidInput):
        engine.complete(task.id, people.clerk, {"approved": True, "x": nested(100)})
    assert engine.task(task.id, people.clerk).status == "open"


@pytest.mark.parametrize("value", ["deep", "0", "201"])
def test_an_impossible_depth_limit_stops_the_start(make_engine: Callable[..., Engine], value: str) -> None:
    with pytest.raises(ConfigurationError, match="max_json_depth"):
        make_engine(max_json_depth=value)


# --- 2. XML entities in deployed definitions ------------------------------------------------------


def test_deploying_a_definition_with_entities_is_a_422(client: FlaskClient, auth: Callable[..., dict],
                                                       people: Any) -> None:
    bpmn = (FIXTURES / "approval" / "approval.bpmn").read_text(encoding="utf-8")
    with_entity = bpmn.replace("?>\n", '?>\n<!DOCTYPE d [<!ENTITY who "审核人">]>\n', 1).replace(
        'name="已办结"', 'name="&who;"')
    files = [{"name": "approval.bpmn", "content": with_entity}] + [
        {"name": n, "content": (FIXTURES / "approval" / n).read_text(encoding="utf-8")}
        for n in ("start.json", "review.json", "note.json")]
    answer = problem(client.post(f"{API}/deployments", json={"files": files}, headers=auth(people.admin)), 422)
    assert [(e["file"], e["line"], e["code"]) for e in answer["errors"]] == [("approval.bpmn", 2, "xml-dtd")]
    assert client.get(f"{API}/process-definitions", headers=auth(people.admin)).get_json()["total"] == 1  # only v1


# --- 5. client errors are one log line, server errors keep their traceback --------------------------


class Reports:
    """A report whose parameters can be wrong (a 422) and one that crashes (a 500)."""

    __name__ = "hardening-reports"

    @hookimpl
    def gongzhi_register_reports(self) -> list[Report]:
        def strict(engine: Engine, actor: Any, year: str = "2026") -> list[dict[str, int]]:
            return [{"year": int(year)}]

        def broken(engine: Engine, actor: Any, **_: str) -> None:
            raise RuntimeError("the report's own bug")

        return [Report("strict", "按年份", "", {"year": "年份"}, ("year",), strict),
                Report("broken", "坏报表", "", {}, (), broken)]


def test_client_errors_are_logged_as_one_line(make_engine: Callable[..., Engine], people: Any,
                                              caplog: pytest.LogCaptureFixture) -> None:
    engine = make_engine(plugins=[Reports()])
    client = create_app(engine=engine).test_client()
    headers = {"Authorization": f"Bearer {_token(engine, people.admin)}"}
    with caplog.at_level(logging.DEBUG, logger="gongzhi"):
        problem(client.get(f"{API}/reports/strict?year=abc", headers=headers), 422)
        problem(client.get(f"{API}/reports/strict?year=9" + "9" * 5000, headers=headers), 422)  # past int()'s digit limit
        problem(client.post(f"{API}/process-instances", json={"process_key": "nope"}, headers=headers), 404)
        problem(client.get(f"{API}/tasks", headers={}), 401)
    refusals = [r for r in caplog.records if r.name.startswith("gongzhi")]
    assert refusals and all(r.exc_info is None and r.levelno <= logging.WARNING for r in refusals)
    assert all("\n" not in r.getMessage() for r in refusals)
    assert any("-> 422" in r.getMessage() for r in refusals) and any("-> 401" in r.getMessage() for r in refusals)
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="gongzhi"):
        problem(client.get(f"{API}/reports/broken", headers=headers), 500)
    assert [r.exc_info is not None for r in caplog.records] == [True]


def test_a_report_parameter_out_of_range_is_a_422_not_a_500(client: FlaskClient, auth: Callable[..., dict],
                                                            people: Any) -> None:
    # date(int(year), 1, 1) raised OverflowError, which the report wrapper did not expect.
    answer = problem(client.get(f"{API}/reports/whistle-annual?year=99999999999", headers=auth(people.admin)), 422)
    assert answer["errors"][0]["field"] == "query"


def _token(engine: Engine, actor: Any) -> str:
    from gongzhi.security.tokens import mint

    return mint(engine.config.secret_key, actor.id, actor.name, actor.groups, actor.region, permissions=actor.permissions)


# --- 6. the document and the server agree (more in test_openapi.py) ----------------------------------


def test_uploaded_file_names_are_definition_problems(client: FlaskClient, auth: Callable[..., dict], people: Any) -> None:
    # Multipart names cannot be described in OpenAPI: a bad or repeated one is reported with the files' other problems.
    data = {"files": [(io.BytesIO(b"<x/>"), "picture.png"), (io.BytesIO(b"{}"), "form.json"),
                      (io.BytesIO(b"{}"), "form.json")]}
    answer = problem(client.post(f"{API}/deployments", headers=auth(people.admin), data=data,
                                 content_type="multipart/form-data"), 422)
    assert answer["type"].endswith("definition-invalid")
    assert [(e["file"], e["code"]) for e in answer["errors"]] == [("picture.png", "file-name"), ("form.json", "duplicate-file")]


# --- 7. found by schemathesis on PostgreSQL ----------------------------------------------------------


def test_a_long_correlation_value_is_kept_and_delivered(client: FlaskClient, auth: Callable[..., dict], people: Any,
                                                        engine: Engine, start_vars: dict[str, Any]) -> None:
    # Its canonical JSON is longer than the correlation columns (512): PostgreSQL refused it with a 500.
    case_no = "长" * 600
    sent = client.post(f"{API}/messages", headers=auth(people.leader), json={
        "name": "confirmation", "correlation": {"case_no": case_no}, "variables": {"ok": True}})
    assert sent.status_code == 202, sent.get_json()
    with engine.db.read() as session:
        stored = session.scalars(select(Message.correlation)).all()
    assert len(stored) == 1 and len(stored[0]) <= 512
    case = client.post(f"{API}/process-instances", headers=auth(people.clerk),
                       json={"process_key": "approval", "variables": {**start_vars, "case_no": case_no}}).get_json()
    done = client.post(f"{API}/tasks/{case['open_tasks'][0]['id']}/complete", headers=auth(people.clerk),
                       json={"data": {"approved": True}}).get_json()
    assert [t["element_id"] for t in done["open_tasks"]] == ["archive"]  # the early message was delivered


def test_message_ids_longer_than_stored_are_refused_by_the_schema(client: FlaskClient, auth: Callable[..., dict],
                                                                  people: Any) -> None:
    # The column holds 128 characters; the schema allowed 200 and PostgreSQL answered 500.
    answer = problem(client.post(f"{API}/messages", headers=auth(people.leader), json={
        "name": "confirmation", "business_key": "B-1", "message_id": "m" * 129}), 422)
    assert answer["errors"][0]["field"] == "message_id"


# --- 3. and 5. against a real ``gongzhi serve`` (gunicorn), with a production-length secret -----------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, gongzhi_process: Any) -> Iterator[Any]:
    gongzhi = gongzhi_process(tmp_path_factory.mktemp("served"), {"GONGZHI_SECRET_KEY": secrets.token_hex(32)})
    gongzhi.serve("--workers", "1", "--threads", "2")
    try:
        yield gongzhi
    finally:
        gongzhi.stop()


def raw(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are (no HTTP library would send these) and read the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(("request_bytes", "status"), [
    (b"GET /api/v1/" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(150)) + b"\r\n", 431),
    (b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431),
    (b"NONSENSE\r\n\r\n", 400),
    (b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", 400),
], ids=["uri-too-long", "too-many-headers", "header-too-large", "bad-request-line", "bad-header-name"])
def test_gunicorn_errors_are_problem_details(served: Any, request_bytes: bytes, status: int) -> None:
    got, headers, body = raw(served.port, request_bytes)
    assert got == status and headers["content-type"] == "application/problem+json"
    answer = json.loads(body)
    assert int(headers["content-length"]) == len(body)
    assert answer["status"] == status and answer["title"] == HTTP_TITLES[status]
    assert answer["type"] == f"urn:gongzhi:problem:http-{status}" and "(" in answer["detail"]


def test_the_server_log_has_no_traceback_for_client_errors(served: Any) -> None:
    token = served.run("token", "--admin", check=True).stdout.strip()  # a real secret: no --dev needed
    raw(served.port, b"GET /api/v1/" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    for path, body in [("/process-instances", b'{"process_key": "nope"}'), ("/reports/whistle-annual?year=zz", None),
                       ("/process-instances", b"[" * 500 + b"]" * 500), ("/no-such-page", None)]:
        method = b"POST" if body is not None else b"GET"
        extra = b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body) if body is not None else b""
        status, _, _ = raw(served.port, method + b" /api/v1" + path.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                           b"Authorization: Bearer " + token.encode() + b"\r\nConnection: close\r\n" + extra + b"\r\n"
                           + (body or b""))
        assert 400 <= status < 500, path
    # A chunked body gunicorn cannot parse, read by the app: the parser's error was a 500 with a traceback.
    status, headers, body = raw(served.port, b"POST /api/v1/process-instances HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                                + token.encode() + b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked"
                                b"\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n")
    assert status == 400 and headers["content-type"] == "application/problem+json"
    assert "malformed request body" in json.loads(body.split(b"HTTP/1.1")[0])["detail"]
    output = served.stop()
    assert "Traceback" not in output
    assert "Invalid request from ip=127.0.0.1: Request Line is too large" in output  # gunicorn's one line stays
