"""Fixtures for the portal adapters: a whistle engine with adapters, a Flask app, local HTTP servers.

All outbound traffic goes to servers started here on 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator

import pytest
from gongzhi import Actor, Engine, bpmn_package_path
from gongzhi.api import create_app
from gongzhi.plugins.whistle import Outbox, WhistlePlugin
from werkzeug.serving import make_server

GRID = "990101/001/001/01"
ADMIN = Actor.of("admin", "管理员", ["admin"])
FOUR = {"accepted_at": "2026-11-02T10:00:00+08:00", "contacted": "反映人及餐馆业主",
        "measures": "责令安装油烟净化设施并复查", "resolve_by": "2026-11-20"}
STREET_RATING = {"street_resolved": True,
                 "street_cooperation": 5, "street_score": 5}
ADAPTER_NAMES = ["open311", "hotline12345", "wechat", "webhook"]


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class LocalServer:
    """A stdlib HTTP server on 127.0.0.1; ``handler(recorded) -> (status, body dict or bytes)``."""

    handler: Callable[[Recorded], tuple[int, Any]]
    requests: list[Recorded] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LocalServer:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                recorded = Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                                    self.rfile.read(length) if length else b"")
                outer.requests.append(recorded)
                status, body = outer.handler(recorded)
                data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json; charset=utf-8")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def local_server() -> Iterator[Callable[[Callable[[Recorded], tuple[int, Any]]], LocalServer]]:
    started: list[LocalServer] = []

    def start(handler: Callable[[Recorded], tuple[int, Any]]) -> LocalServer:
        server = LocalServer(handler).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def whistle_engine(make_engine: Callable[..., Engine]) -> Callable[..., Engine]:
    """An engine with the whistle definitions and the given adapter plugins (entry-point adapters off)."""

    def make(*adapters: Any, **options: Any) -> Engine:
        disable = ["whistle", *ADAPTER_NAMES, *options.pop("disable", [])]
        engine = make_engine(plugins=[WhistlePlugin(notifier=Outbox()), *adapters], disable_plugins=disable,
                             job_backoff_seconds=1, **options)
        engine.deploy([bpmn_package_path() / "whistle"])
        return engine

    return make


@pytest.fixture
def app_for() -> Callable[[Engine], Any]:
    return lambda engine: create_app(engine=engine, setup=False)


@pytest.fixture
def serve() -> Iterator[Callable[[Any], str]]:
    """Serve a Flask app on 127.0.0.1 in a thread (threaded); returns its base URL."""
    servers: list[Any] = []

    def run(app: Any) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield run
    for server in servers:
        server.shutdown()


class Driver:
    """Moves a whistle case through its user tasks as the people in charge would."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def open_tasks(self, instance_id: str) -> list[Any]:
        return self.engine.tasks(ADMIN, instance_id=instance_id, per_page=200).items

    def do(self, instance_id: str, element_id: str, data: dict[str, Any] | None = None, dept: str | None = None) -> Any:
        found = [t for t in self.open_tasks(instance_id) if t.element_id == element_id
                 and (dept is None or t.candidate_groups == [f"dept_{dept}"])]
        assert len(found) == 1, (element_id, [(t.element_id, t.candidate_groups) for t in self.open_tasks(instance_id)])
        return self.engine.complete(found[0].id, ADMIN, data or {})

    def whistle(self, iid: str, lead: str = "huanjing", co: list[str] | None = None) -> Any:
        return self.do(iid, "blow_whistle", {"whistle_level": "常规哨", "lead_department": lead,
                                             "co_departments": co or [], "whistle_reason": "需部门报到处置"})

    def sign(self, iid: str, dept: str = "huanjing") -> Any:
        return self.do(iid, "sign_in", {"sign_decision": "签收"}, dept)

    def onsite(self, iid: str, dept: str = "huanjing") -> Any:
        return self.do(iid, "onsite_report", {"arrived_at": "2026-11-02T15:00:00+08:00", "onsite_staff": "执法队员两名",
                                              "onsite_situation": "现场核实属实"}, dept)

    def extension(self, iid: str, days: int = 3, dept: str = "huanjing") -> Any:
        self.do(iid, "handle_feedback", {"handle_outcome": "申请延期", "extension_days": days,
                                         "extension_reason": "净化设备需要采购安装"}, dept)
        return self.do(iid, "approve_extension", {"extension_approved": True, "granted_days": days,
                                                  "extension_opinion": "同意延期办理"})

    def feedback(self, iid: str, dept: str = "huanjing") -> Any:
        return self.do(iid, "handle_feedback", {"handle_outcome": "办结反馈", **FOUR, "handle_result": "已解决"}, dept)

    def rate(self, iid: str) -> Any:
        self.do(iid, "street_rate", STREET_RATING)
        return self.do(iid, "community_rate", {"community_score": 5})

    def follow_up(self, iid: str) -> Any:
        return self.do(iid, "resident_followup", {"followup_resolved": "已解决", "followup_satisfaction": "满意"})


@pytest.fixture
def driver() -> Callable[[Engine], Driver]:
    return Driver
