"""The schema comes from migrations, and the migrations match the models."""

from __future__ import annotations

from typing import Callable

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from gongzhi import Engine
from gongzhi.store.migrate import current_revision, head_revision
from gongzhi.store.models import Base


def test_migrations_create_what_the_models_describe(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine()
    assert current_revision(engine.db.writer) == head_revision()
    with engine.db.writer.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_upgrade_is_repeatable(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine()
    engine.upgrade_db()
    assert "gz_instance" in inspect(engine.db.writer).get_table_names()


def test_sqlite_runs_in_wal_mode(make_engine: Callable[..., Engine], tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.sqlite3'}")
    with engine.db.writer.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
