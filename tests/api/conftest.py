"""Fixtures for the HTTP API: an app over the shared test engine, real signed tokens, a real ``gongzhi serve``."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gongzhi import Actor, Engine
from gongzhi.api import create_app
from gongzhi.security.tokens import mint

API = "/api/v1"


def token_for(engine: Engine, actor: Actor) -> str:
    return mint(engine.config.secret_key, actor.id, actor.name, actor.groups, actor.region,
                permissions=actor.permissions)  # real time: PyJWT checks exp against the wall clock


@pytest.fixture
def app(engine: Engine) -> Flask:
    return create_app(engine=engine)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def auth(engine: Engine) -> Callable[[Actor], dict[str, str]]:
    """Headers with a real HS256 token for ``actor``."""

    def headers(actor: Actor, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token_for(engine, actor)}", **extra}

    return headers


@pytest.fixture
def start(client: FlaskClient, auth: Callable[..., dict[str, str]], start_vars: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """Start an approval instance over HTTP as ``actor``; returns the response body."""

    def run(actor: Actor, **variables: Any) -> dict[str, Any]:
        response = client.post(f"{API}/process-instances", headers=auth(actor),
                               json={"process_key": "approval", "variables": {**start_vars, **variables}})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return run


class Gongzhi:
    """The ``gongzhi`` command of this environment, run as a subprocess in ``folder`` on its own SQLite file.

    ``serve()`` starts a real ``gongzhi serve`` (gunicorn) on a free port and waits until
    ``/health`` answers; ``stop()`` ends it and returns everything it printed.
    """

    def __init__(self, folder: Path, env: dict[str, str] | None = None) -> None:
        self.folder = folder
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("GONGZHI_")}
        self.env["GONGZHI_DATABASE_URL"] = f"sqlite:///{folder / 'serve.sqlite3'}"
        self.env.update(env or {})
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.log = folder / "serve.log"

    @staticmethod
    def command() -> list[str]:
        script = Path(sys.executable).with_name("gongzhi")
        return [str(script)] if script.exists() else [shutil.which("gongzhi") or "gongzhi"]

    @staticmethod
    def free_port() -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    def run(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.command(), *args], cwd=self.folder, env=self.env, capture_output=True, text=True,
                              check=check, timeout=60)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def serve(self, *args: str) -> "Gongzhi":
        self.port = self.free_port()
        with self.log.open("w") as log:
            self.process = subprocess.Popen([*self.command(), "serve", "--port", str(self.port), *args], cwd=self.folder,
                                            env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/health", timeout=5) as response:
                    if response.status == 200:
                        return self
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                output = self.stop()
                pytest.fail(f"gongzhi serve did not start:\n{output}")
            time.sleep(0.2)

    def stop(self) -> str:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


@pytest.fixture(scope="session")
def gongzhi_process() -> type[Gongzhi]:
    """The ``Gongzhi`` subprocess helper (a class: modules make one per folder, in any scope)."""
    return Gongzhi
