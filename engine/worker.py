"""The background worker: runs due jobs — timers, asynchronous service tasks, outbox deliveries.

Between jobs it also takes the periodic audit checkpoint (``AUDIT_CHECKPOINT_SECONDS``).

Each job is leased (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has a
single writer) and run in its own transaction (see ``runtime.jobs``). Between
batches the worker sleeps until the next job is due; on PostgreSQL a
``NOTIFY gongzhi_jobs`` sent when new work is committed wakes it early, on
SQLite it looks again after ``WORKER_POLL_SECONDS`` at the latest.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from .runtime import audit, jobs
from .runtime.engine import NOTIFY_CHANNEL, Engine
from .runtime.retention import apply_retention

__all__ = ["Worker", "NOTIFY_CHANNEL"]

logger = logging.getLogger("gongzhi.worker")
PURGE_EVERY = 3600.0  # seconds between clean-ups: expired messages, idempotency answers, retention


class Worker:
    """Runs jobs with ``concurrency`` threads until ``stop()``."""

    def __init__(self, engine: Engine, concurrency: int = 1, name: str | None = None) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.engine = engine
        self.concurrency = concurrency
        self.id = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._stop = threading.Event()
        self._wake = threading.Event()
        self.handled: dict[str, int] = {}

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    def run_once(self) -> int:
        """Run every job that is due now; returns how many ran (``JobOutcome.ran``)."""
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="gongzhi-job") as pool:
            return jobs.run_due(self.engine, self.id, batch=self.concurrency * 4, map_jobs=pool.map,
                                stop=self._stop.is_set, tally=self.handled)

    def housekeeping(self) -> None:
        """The periodic chores: forget what is kept only for a while, deliver stranded early
        messages, and apply the retention period to closed cases."""
        jobs.purge(self.engine)
        jobs.deliver_stranded(self.engine)
        apply_retention(self.engine)

    def run_forever(self, on_idle: Callable[[float], None] | None = None) -> None:
        listener = self._listen() if self.engine.db.dialect == "postgresql" else None
        last_purge = 0.0
        checkpoints = audit.CheckpointSchedule(self.engine)  # every AUDIT_CHECKPOINT_SECONDS
        try:
            while not self._stop.is_set():
                self.run_once()
                if time.monotonic() - last_purge > PURGE_EVERY:
                    self.housekeeping()
                    last_purge = time.monotonic()
                checkpoints.run_if_due()
                delay = min(self._sleep_time(), checkpoints.seconds_left())
                if on_idle:
                    on_idle(delay)
                self._wait(delay, listener)
        finally:
            if listener is not None:
                listener.close()

    def _sleep_time(self) -> float:
        poll = self.engine.config.worker_poll_seconds
        due = jobs.next_due(self.engine)
        if due is None:
            return poll
        return max(0.0, min(poll, (due - self.engine.clock.now()).total_seconds()))

    def _wait(self, delay: float, listener: object | None) -> None:
        self._wake.clear()
        if listener is None or delay <= 0:
            self._wake.wait(delay)
            return
        try:
            for _ in listener.notifies(timeout=delay, stop_after=1):  # type: ignore[attr-defined]
                break
        except Exception:  # noqa: BLE001 - a lost listener only costs latency, never work
            logger.warning("lost the PostgreSQL listener; falling back to polling", exc_info=True)
            self._wake.wait(delay)

    def _listen(self) -> object | None:
        import psycopg

        url = self.engine.db.writer.url.set(drivername="postgresql").render_as_string(hide_password=False)
        try:
            conn = psycopg.connect(url, autocommit=True)
            conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
            return conn
        except psycopg.Error:
            logger.warning("cannot LISTEN on PostgreSQL; polling every %ss", self.engine.config.worker_poll_seconds)
            return None
