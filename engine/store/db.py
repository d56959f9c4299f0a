"""Connections and transactions.

SQLite is the embedded default: WAL journal, ``synchronous=NORMAL``, a busy
timeout, and write transactions opened with ``BEGIN IMMEDIATE`` so two writers
queue up instead of failing with "database is locked" when a read lock cannot
be upgraded. PostgreSQL is the production database.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import ConfigurationError

__all__ = ["Database"]


def _sqlite_engine(url: str, immediate: bool) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """One database: a writer and a reader engine (the same one except on SQLite)."""

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            self.writer = _sqlite_engine(url, immediate=True)
            self.reader = _sqlite_engine(url, immediate=False)
        elif self.dialect == "postgresql":
            if parsed.drivername == "postgresql":
                url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
            self.writer = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
            self.reader = self.writer
        else:
            raise ConfigurationError(f"unsupported database '{self.dialect}': use sqlite or postgresql")
        self._write_sessions = sessionmaker(self.writer, expire_on_commit=False, autoflush=False)
        # Re-entrant: a write opened inside another one in the same thread behaves as before.
        self._writer_lock: Any = threading.RLock() if self.dialect == "sqlite" else nullcontext()
        self._read_sessions = sessionmaker(self.reader, expire_on_commit=False, autoflush=False)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed on success, rolled back on any error.

        On SQLite, threads of one process queue on a lock instead of sleeping in SQLite's
        busy handler, whose growing back-off made the slowest requests wait seconds.
        """
        with self._writer_lock, self._write_sessions() as session, session.begin():
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction on a plain connection (Core statements, no ORM unit of work): what
        every command's write uses. The same single-writer queue as ``write`` on SQLite."""
        with self._writer_lock, self.writer.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read_sessions() as session, session.begin():
            yield session

    def ping(self) -> bool:
        try:
            with self.reader.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except OperationalError:
            return False

    def upgrade(self, revision: str = "head") -> None:
        """Create or upgrade the schema with the bundled Alembic migrations."""
        from .migrate import upgrade

        upgrade(self.writer, revision)

    def dispose(self) -> None:
        self.writer.dispose()
        if self.reader is not self.writer:
            self.reader.dispose()
