"""Browser tests of the console: Playwright driving Debian's Chromium against a real
``gongzhi serve --dev`` on a free port with a fresh SQLite file.

Set ``GONGZHI_CONSOLE_SCREENSHOTS=1`` to write the main pages' screenshots to ``docs/console/``.
A failing browser test leaves its screenshot in ``reports/console/``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
FAILURES = ROOT / "reports" / "console"
DOCS = ROOT / "docs" / "console"


class Server:
    """A real ``gongzhi serve --dev`` subprocess with helpers for calling its API."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("GONGZHI_")}
        self.env.update({"GONGZHI_DATABASE_URL": f"sqlite:///{folder / 'console.sqlite3'}",
                         "GONGZHI_JOB_MAX_ATTEMPTS": "1", "GONGZHI_WORKER_POLL_SECONDS": "1"})
        self.log = folder / "serve.log"
        script = Path(sys.executable).with_name("gongzhi")
        command = [str(script) if script.exists() else "gongzhi", "serve", "--dev", "--workers", "1",
                   "--port", str(self.port)]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(command, cwd=folder, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(f"{self.api}/health", timeout=5):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"gongzhi serve did not start:\n{self.stop()}")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self) -> str:
        return f"{self.base}/api/v1"

    def token(self, group: str, region: str = "", name: str = "") -> str:
        body = json.dumps({"group": group, "region": region, "name": name}).encode()
        request = urllib.request.Request(f"{self.base}/console/dev/token", body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request) as response:
            return json.load(response)["token"]

    def call(self, method: str, path: str, token: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        request = urllib.request.Request(f"{self.api}{path}", data, headers, method=method)
        with urllib.request.urlopen(request) as response:
            return json.load(response)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: apt-get install -y chromium fonts-noto-cjk (.ci/run does)")
    running = Server(tmp_path_factory.mktemp("console"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh tab (Beijing time, Chinese); page errors and CSP violations fail the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    tab = context.new_page()
    tab.set_default_timeout(30000)  # generous: a shared 2-core CI machine may be busy
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    tab.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    yield tab
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        FAILURES.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(FAILURES / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert problems == []


def snapshot(page: Any, name: str) -> None:
    """Keep a screenshot for the README when asked to (``GONGZHI_CONSOLE_SCREENSHOTS=1``)."""
    if os.environ.get("GONGZHI_CONSOLE_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(500)  # diagrams and charts settle
        page.screenshot(path=str(DOCS / f"{name}.png"))
