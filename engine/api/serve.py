"""``gongzhi serve``: the API under gunicorn, a production WSGI server.

Gunicorn rather than waitress: ``--workers`` are separate processes, so a
long DMN evaluation or a slow plugin in one request does not hold the GIL for
every other request, and a crashed worker is replaced by the arbiter. Each
worker builds its own app and database pool after the fork (no preloading),
so no connection is ever shared across processes. Threads inside a worker
(``gthread``) cover requests waiting on the database. (Gunicorn needs a POSIX
system; on Windows, mount ``create_app()`` in waitress instead.)
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from typing import Any, Callable, TextIO

from flask import Flask

from ..config import Config
from ..errors import DefinitionInvalid
from ..runtime.engine import Engine

__all__ = ["prepare", "run_gunicorn", "banner", "recycle_on_stuck", "start_dev_worker"]

logger = logging.getLogger("gongzhi.api")


def prepare(config: Config, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> None:
    """Before any worker starts: migrate the schema, then deploy the bundled and configured definitions.

    A definition that does not validate is reported and skipped: already
    deployed versions keep serving, and the server still starts.
    """
    engine = Engine(config)
    try:
        engine.upgrade_db()
        try:
            result = engine.deploy()
        except DefinitionInvalid as exc:
            print(f"警告：流程定义未部署，{len(exc.problems)} 个问题 (definitions not deployed):", file=err)
            for problem in exc.problems:
                print(f"  - {problem}", file=err)
        else:
            for item in result.created:
                print(f"已部署  {item['kind']:8} {item['key']} v{item['version']}", file=out)
    finally:
        engine.close()  # the workers open their own connections after the fork


def start_dev_worker(config: Config) -> threading.Thread:
    """``serve --dev``: the background worker (timers, async tasks, deliveries) in a daemon thread
    of the gunicorn arbiter, so one command gives a living system on a developer's machine.

    The arbiter forks the web workers after this; they build their own engines and database
    pools, so nothing of this thread's engine is used across the fork. Production runs
    ``gongzhi worker`` as its own process instead.
    """
    from ..worker import Worker

    engine = Engine(config)
    worker = Worker(engine, name="serve-dev")

    def run() -> None:
        try:
            worker.run_forever()
        except Exception:  # noqa: BLE001 - a dying dev worker must say why, not vanish
            logger.exception("the development worker stopped")

    thread = threading.Thread(target=run, name="gongzhi-dev-worker", daemon=True)
    thread.start()
    return thread


def banner(host: str, port: int, dev: bool = False) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    url = f"http://{shown}:{port}/api/v1"
    token = "gongzhi token --admin" + (" --dev" if dev else "")
    console = f"http://{shown}:{port}/console/" + ("dev/sign-in" if dev else "")
    return (
        f"共治控制台 (console): {console}\n"
        f"共治 Gongzhi 接口地址 (API): {url}\n"
        f"  健康检查: curl {url}/health\n"
        f"  接口文档: {url}/openapi.json\n"
        f"  生成管理员令牌 (admin token): TOKEN=$({token})\n"
        f"  然后: curl -H \"Authorization: Bearer $TOKEN\" {url}/tasks"
    )


def recycle_on_stuck(graceful_timeout: float) -> Callable[[Any], None]:
    """The watchdog's policy in a gunicorn worker: a command that will not end makes the worker
    stop taking requests (SIGTERM: gunicorn's graceful exit) and leave after ``graceful_timeout``
    even though the stuck thread never returns; the arbiter starts a fresh worker."""

    def on_stuck(item: Any) -> None:
        logger.error("worker %s is being replaced: command %s stuck since %s", os.getpid(), item.command, item.started_at)
        os.kill(os.getpid(), signal.SIGTERM)
        timer = threading.Timer(graceful_timeout, os._exit, args=(70,))
        timer.daemon = True
        timer.start()

    return on_stuck


def run_gunicorn(load: Callable[[], Flask], options: dict[str, Any]) -> None:
    """Run ``load()`` in gunicorn workers with ``options`` (gunicorn setting names)."""
    from gunicorn.app.base import BaseApplication

    class Application(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                if key in self.cfg.settings:  # newer settings are skipped on older gunicorn versions
                    self.cfg.set(key, value)

        def load(self) -> Flask:
            return load()

    Application().run()
