"""Eight callers complete the same task at once: exactly one wins, the rest get a conflict."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import pytest

from gongzhi import Conflict, Engine

FIXTURES = Path(__file__).parent / "fixtures"
THREADS, ROUNDS = 8, 200


def race(engine: Engine, people: Any, start_vars: dict, rounds: int) -> Counter:
    outcomes: Counter = Counter()
    lock = threading.Lock()
    for _ in range(rounds):
        task_id = engine.start("approval", people.clerk, start_vars).open_tasks[0].id
        barrier = threading.Barrier(THREADS)

        def complete() -> None:
            barrier.wait()
            try:
                engine.complete(task_id, people.clerk, {"approved": False})
                result = "ok"
            except Conflict as exc:
                result = type(exc).__name__
            except Exception as exc:  # noqa: BLE001 - anything else is the failure we look for
                result = f"unexpected {type(exc).__name__}: {exc}"
            with lock:
                outcomes[result] += 1

        threads = [threading.Thread(target=complete) for _ in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return outcomes


def check(engine: Engine, people: Any, outcomes: Counter, rounds: int) -> None:
    assert outcomes["ok"] == rounds, outcomes
    assert sum(n for kind, n in outcomes.items() if kind in ("TaskNotOpen", "ConcurrentUpdate")) == rounds * (THREADS - 1), outcomes
    instances = engine.instances(people.admin, per_page=200, status="completed")
    assert instances.total == rounds
    for inst in instances.items[:20]:
        assert [e["action"] for e in engine.history(inst.id, people.admin)] == ["start", "complete", "completed"]
    assert engine.verify_audit().ok


@pytest.mark.slow
def test_concurrent_completion_on_sqlite(make_engine: Callable[..., Engine], tmp_path: Path, people: Any, start_vars: dict) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'race.sqlite3'}", cache_size=64)
    engine.deploy([FIXTURES / "approval"])
    check(engine, people, race(engine, people, start_vars, ROUNDS), ROUNDS)


@pytest.mark.slow
@pytest.mark.postgres
def test_concurrent_completion_on_postgres(make_engine: Callable[..., Engine], pg_url: str, people: Any, start_vars: dict) -> None:
    engine = make_engine(pg_url, cache_size=64)
    engine.deploy([FIXTURES / "approval"])
    check(engine, people, race(engine, people, start_vars, ROUNDS), ROUNDS)


@pytest.mark.postgres
def test_separate_engines_on_postgres(make_engine: Callable[..., Engine], pg_url: str, people: Any, start_vars: dict) -> None:
    # Eight engines are eight web processes: no shared memory, only the database decides.
    engines = [make_engine(pg_url, cache_size=64) for _ in range(THREADS)]
    engines[0].deploy([FIXTURES / "approval"])
    outcomes: Counter = Counter()
    lock = threading.Lock()
    for _ in range(20):
        task_id = engines[0].start("approval", people.clerk, start_vars).open_tasks[0].id
        barrier = threading.Barrier(THREADS)

        def complete(engine: Engine) -> None:
            barrier.wait()
            try:
                engine.complete(task_id, people.clerk, {"approved": False})
                result = "ok"
            except Conflict:
                result = "conflict"
            with lock:
                outcomes[result] += 1

        threads = [threading.Thread(target=complete, args=(e,)) for e in engines]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert outcomes == Counter({"ok": 20, "conflict": 20 * (THREADS - 1)})
