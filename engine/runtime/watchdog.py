"""Command deadlines, and telling everyone about a command that will not end.

Every command runs under a deadline (``LIMIT_COMMAND_DEADLINE_SECONDS``; 0: none). The
deadline is enforced cooperatively: the script guards and engine steps check
it (``gongzhi.limits``), and a command that is past it when it would commit
fails with ``DeadlineExceeded`` and writes nothing. No database lock is held
while a command's scripts run, so even a stuck command blocks nobody else.

Code that never reaches a check (a C call that does not return) is what the
watchdog is for: a daemon thread per process notices a command past its
deadline plus a grace period, marks the process unhealthy, records the command
in ``gz_stuck_command`` — the state every web worker reads for ``/health`` — and
calls the ``on_stuck`` policy (``gongzhi serve`` asks gunicorn to replace the
worker). While the command stays stuck the row is refreshed; when the command
ends, or the process dies and stops refreshing it, the row goes away or stale.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Callable, Iterator

from sqlalchemy import delete, select

from ..clock import utc
from ..errors import DeadlineExceeded
from ..store.models import StuckCommand

if TYPE_CHECKING:  # pragma: no cover
    from ..clock import Clock
    from ..store.db import Database

__all__ = ["Watchdog", "Inflight", "stuck_commands"]

logger = logging.getLogger("gongzhi.watchdog")
REFRESH_SECONDS = 2.0  # how often a stuck command's row is refreshed
STALE_AFTER = timedelta(seconds=4 * REFRESH_SECONDS)  # a row not refreshed for this long is from a dead process


@dataclass
class Inflight:
    """One running command."""

    id: str
    command: str
    instance_id: str | None
    started: float  # time.monotonic()
    deadline: float
    started_at: datetime
    reported: float = 0.0

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def check(self) -> None:
        """Raise DeadlineExceeded once the command is past its deadline (nothing has been written yet)."""
        if time.monotonic() > self.deadline:
            seconds = round(self.deadline - self.started)
            raise DeadlineExceeded(f"操作超过时限（{seconds} 秒）被中止，未保存任何更改；请检查流程中的脚本或规则",
                                   limit="command_deadline_seconds", maximum=seconds, command=self.command,
                                   instance_id=self.instance_id)


class Watchdog:
    """Tracks this process's running commands and reports the stuck ones."""

    def __init__(self, db: "Database", clock: "Clock", deadline_seconds: float, grace_seconds: float = 5.0,
                 on_stuck: Callable[[Inflight], None] | None = None) -> None:
        self.db, self.clock = db, clock
        self.deadline_seconds, self.grace_seconds = deadline_seconds, grace_seconds
        self.on_stuck = on_stuck
        self.unhealthy = False
        self._running: dict[str, Inflight] = {}
        self._reported: set[str] = set()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._prefix = f"{socket.gethostname()}:{os.getpid()}"
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @contextmanager
    def track(self, command: str, instance_id: str | None = None) -> Iterator[Inflight]:
        """Run a command under the deadline; nested commands (a child started by a service task)
        share the outer deadline."""
        now = time.monotonic()
        deadline = now + self.deadline_seconds if self.deadline_seconds > 0 else float("inf")
        item = Inflight(f"{self._prefix}:{next(self._ids)}", command, instance_id, now, deadline, self.clock.now())
        with self._lock:
            self._running[item.id] = item
        self._ensure_thread()
        try:
            yield item
        finally:
            with self._lock:
                self._running.pop(item.id, None)
                was_reported = item.id in self._reported
                self._reported.discard(item.id)
            if was_reported:
                self._forget(item.id)

    def running(self) -> list[Inflight]:
        with self._lock:
            return list(self._running.values())

    # --- the thread ------------------------------------------------------------------

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive() or self._thread.ident is None:
                self._stop.clear()
                self._thread = threading.Thread(target=self._loop, name="gongzhi-watchdog", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(min(1.0, self.grace_seconds)):
            try:
                self.scan()
            except Exception:  # noqa: BLE001 - the watchdog must outlive a database hiccup
                logger.warning("watchdog scan failed", exc_info=True)

    def scan(self) -> list[Inflight]:
        """Report every command past its deadline and grace period; returns them."""
        now = time.monotonic()
        stuck = [c for c in self.running() if now > c.deadline + self.grace_seconds]
        for item in stuck:
            first = item.id not in self._reported
            if first or now - item.reported >= REFRESH_SECONDS:
                self._report(item)
                item.reported = now
            if first:
                self.unhealthy = True
                with self._lock:
                    self._reported.add(item.id)
                logger.error("command %s on instance %s is stuck past its deadline (%.0fs)", item.command,
                             item.instance_id, now - item.started)
                if self.on_stuck is not None:
                    self.on_stuck(item)
        return stuck

    def _report(self, item: Inflight) -> None:
        now = self.clock.now()
        with self.db.write() as session:
            row = session.get(StuckCommand, item.id)
            if row is None:
                host, pid = self._prefix.rsplit(":", 1)
                session.add(StuckCommand(id=item.id, host=host, pid=int(pid), command=item.command,
                                         instance_id=item.instance_id, started_at=item.started_at,
                                         deadline_at=item.started_at + timedelta(seconds=max(self.deadline_seconds, 0)),
                                         reported_at=now))
            else:
                row.reported_at = now

    def _forget(self, item_id: str) -> None:
        try:
            with self.db.write() as session:
                session.execute(delete(StuckCommand).where(StuckCommand.id == item_id))
        except Exception:  # noqa: BLE001 - a stale row only lingers until STALE_AFTER
            logger.warning("could not clear stuck command %s", item_id, exc_info=True)


def stuck_commands(db: "Database", now: datetime) -> list[dict[str, object]]:
    """Commands some process reports as stuck right now (fresh rows only). The instance is left
    out: ``/health`` answers without authentication."""
    with db.read() as session:
        rows = session.scalars(select(StuckCommand).where(StuckCommand.reported_at >= now - STALE_AFTER)
                               .order_by(StuckCommand.started_at)).all()
    return [{"id": r.id, "host": r.host, "pid": r.pid, "command": r.command, "started_at": utc(r.started_at).isoformat()}
            for r in rows]
