"""Shared fixtures: a database per test (SQLite file, or a PostgreSQL schema), engines, clocks.

The suite runs on SQLite by default (``GONGZHI_TEST_BACKEND=sqlite`` also skips the
PostgreSQL-only tests, as CI's first pass does). With ``GONGZHI_TEST_BACKEND=postgres`` every
``db_url`` is a fresh schema in the PostgreSQL database named by
``GONGZHI_TEST_POSTGRES`` (``.ci/run`` creates and drops one per run). Tests
that need PostgreSQL itself use ``pg_url``: without a server they skip with
the reason, except in CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import quote

import pytest

from gongzhi import Actor, Engine, MovableClock

FIXTURES = Path(__file__).parent / "fixtures"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
IN_CI = os.environ.get("CI", "").lower() == "true"


def _connect(url: str) -> Any:
    import psycopg

    return psycopg.connect(url.replace("+psycopg", ""), autocommit=True, connect_timeout=3)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    """A PostgreSQL database for this run: the configured one, or a new uniquely named one."""
    configured = os.environ.get("GONGZHI_TEST_POSTGRES")
    if configured:
        yield configured
        return
    try:
        admin = _connect(DEFAULT_PG)
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no server"
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but unreachable at 127.0.0.1:5432: {exc}")
        yield None
        return
    name = f"gz_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield DEFAULT_PG.rsplit("/", 1)[0] + "/" + name
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def pg_url(pg_database: str | None) -> Iterator[str]:
    """A fresh, empty schema in PostgreSQL, as a URL whose search_path points at it."""
    if os.environ.get("GONGZHI_TEST_BACKEND") == "sqlite":
        pytest.skip("this run is the SQLite pass; PostgreSQL tests run in the PostgreSQL pass")
    if pg_database is None:
        pytest.skip("PostgreSQL not reachable at 127.0.0.1:5432 (start it to run these tests)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with _connect(pg_database) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in pg_database else "?"
    yield f"{pg_database}{sep}options={quote(f'-csearch_path={schema}')}"
    with _connect(pg_database) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if os.environ.get("GONGZHI_TEST_BACKEND") == "postgres":
        return request.getfixturevalue("pg_url")
    return f"sqlite:///{tmp_path / 'gongzhi.sqlite3'}"


@pytest.fixture
def clock() -> MovableClock:
    # A Monday morning in Beijing (09:00 CST), far from holidays.
    return MovableClock(datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc))


@pytest.fixture
def make_engine(db_url: str, clock: MovableClock, tmp_path: Path) -> Iterator[Callable[..., Engine]]:
    """Engines on the test database; ``cache_size=0`` forces a save and restore at every step.
    Audit checkpoints go to the test's own folder (one per database URL)."""
    made: list[Engine] = []

    def make(url: str | None = None, **options: Any) -> Engine:
        plugins = options.pop("plugins", ())
        url = url or db_url
        folder = tmp_path / f"checkpoints-{abs(hash(url))}"
        engine = Engine({"database_url": url, "cache_size": 0, "audit_checkpoint_dir": str(folder), **options},
                        clock=options.pop("clock", clock), plugins=plugins)
        engine.upgrade_db()
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.close()


@pytest.fixture
def engine(make_engine: Callable[..., Engine]) -> Engine:
    engine = make_engine()
    engine.deploy([FIXTURES / "approval"])
    return engine


class People:
    """The actors of the approval fixture: two clerks in sibling communities, a district leader."""

    clerk = Actor.of("clerk-1", "张三", ["clerk"], "110105/001")
    other_clerk = Actor.of("clerk-2", "赵六", ["clerk"], "110105/002")
    leader = Actor.of("leader-1", "李四", ["leader"], "110105")
    archivist = Actor.of("arch-1", "王五", ["archivist"], "110105/001")
    admin = Actor.of("admin", "管理员", ["admin"], "")


@pytest.fixture
def people() -> type[People]:
    return People


@pytest.fixture
def start_vars() -> dict[str, Any]:
    return {"title": "修路灯", "days": 2, "review_within": "PT1H", "archive_groups": ["archivist"]}
