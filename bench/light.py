"""The light case: the 6-user-task whistle prototype (``bench/light/``, a copy of the shared spike).

A resident's report of 占道经营 is classified by a script, the street whistles to three
departments (a multi-instance user task with a boundary timer), the street rates them, the
resident is called back: 1 start + 6 user tasks. The same file was run on the peer spiff-arena,
which makes it the fixed-cost yardstick of the engine: on a light process the cost per command
around SpiffWorkflow is what shows.

Driven the same way as the whistle case (``bench/run.py``): bare SpiffWorkflow in memory, durable
in-process (with and without the workflow cache), and over HTTP. CPU time is counted with
``time.process_time`` so the fixed cost per command outside SpiffWorkflow can be told apart.
"""

from __future__ import annotations

import gc
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
LIGHT = HERE / "light"
PROCESS = "whistle_peer"
DEPARTMENTS = ["城管执法队", "住建科", "市场监管所"]
START = {"issue": {"description": "小区门口占道经营，晚上噪音扰民", "severity": 2}}
STEP_DATA: dict[str, dict[str, Any]] = {
    "street_whistle": {"departments": DEPARTMENTS},
    "department_handles": {"department_report": {"department": "城管执法队", "arrived": True, "action": "现场劝离",
                                                 "hours": 4}},
    "street_rates": {"ratings": {d: 5 for d in DEPARTMENTS}},
    "resident_followup": {"satisfaction": "满意", "satisfaction_score": 5},
}
STEPS = 6
REGION = "990101/001/001/01"


def make_engine(url: str, clock: Any = None, cache_size: int | None = None) -> Any:
    from gongzhi import Engine

    from run import SECRET  # noqa: E402 - the suite's secret, so HTTP tokens agree

    config: dict[str, Any] = {"database_url": url, "secret_key": SECRET}
    if cache_size is not None:
        config["cache_size"] = cache_size
    engine = Engine(config, clock=clock)
    engine.upgrade_db()
    engine.deploy([LIGHT])
    return engine


def run_case(engine: Any, boss: Any) -> int:
    view = engine.start(PROCESS, boss, START, region=REGION)
    steps = 0
    while view.open_tasks:
        task = view.open_tasks[0]
        view = engine.complete(task.id, boss, STEP_DATA[task.element_id])
        steps += 1
    if view.status != "completed":
        raise AssertionError(f"light case ended {view.status}")
    return steps


class Bare:
    """The same file run by SpiffWorkflow alone, in memory, with the same specs and script engine."""

    def __init__(self, script_engine: Any) -> None:
        from gongzhi.definitions.model import DefinitionSet
        from gongzhi.definitions.sources import load_sources

        self.bundle = DefinitionSet(load_sources([LIGHT])).bundle(PROCESS)
        self.script_engine = script_engine

    def run_case(self) -> int:
        return drive_bare(self.bundle, self.script_engine, START, lambda task, _: STEP_DATA[task.task_spec.bpmn_id])


def drive_bare(bundle: Any, script_engine: Any, start: dict[str, Any],
               step_data: Callable[[Any, int], dict[str, Any]]) -> int:
    """One case by SpiffWorkflow alone, in memory: the start data, then each ready user task completed with
    ``step_data(task, n)`` (n counts from 1) until none is left; returns the number of user tasks."""
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    wf = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=script_engine)
    wf.get_tasks(state=TaskState.READY)[0].data.update(start)
    wf.do_engine_steps()
    steps = 0
    while True:
        task = next(iter(wf.get_tasks(state=TaskState.READY, manual=True)), None)
        if task is None:
            break
        steps += 1
        task.data.update(step_data(task, steps))
        task.run()
        wf.do_engine_steps()
    if not wf.is_completed():
        raise AssertionError(f"bare {bundle.spec.name} did not complete")
    return steps


def measure(cases: int = 40, repeats: int = 3) -> dict[str, Any]:
    """Instances/s and CPU per instance: bare, durable, durable restoring every step; interleaved."""
    from run import admin, sqlite_url

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(sqlite_url(Path(tmp)))
        cold = make_engine(sqlite_url(Path(tmp), "cold.sqlite3"), cache_size=0)
        boss = admin()
        bare = Bare(engine.script_engine)
        sides: list[tuple[str, Callable[[], int]]] = [
            ("bare", bare.run_case), ("durable", lambda: run_case(engine, boss)),
            ("durable_nocache", lambda: run_case(cold, boss))]
        for _, fn in sides:
            fn()  # warm-up: parse, caches, imports
        rates: dict[str, list[float]] = {name: [] for name, _ in sides}
        cpu: dict[str, list[float]] = {name: [] for name, _ in sides}
        for _ in range(repeats):
            for name, fn in sides:
                gc.collect()
                wall, proc = time.perf_counter(), time.process_time()
                for _ in range(cases):
                    if fn() != STEPS:
                        raise AssertionError(f"{name}: wrong number of steps")
                rates[name].append(cases / (time.perf_counter() - wall))
                cpu[name].append((time.process_time() - proc) / cases)
        engine.close()
        cold.close()
    med = {name: statistics.median(v) for name, v in rates.items()}
    cpu_med = {name: statistics.median(v) for name, v in cpu.items()}
    commands = STEPS + 1
    return {
        "cases": cases, "repeats": repeats, "instances_per_s": med,
        "ratio": med["durable"] / med["bare"], "nocache_over_cached": med["durable_nocache"] / med["durable"],
        "cpu_ms_per_instance": {k: v * 1000 for k, v in cpu_med.items()},
        "fixed_cpu_ms_per_command": (cpu_med["durable"] - cpu_med["bare"]) * 1000 / commands,
        "runs": {k: [round(x, 1) for x in v] for k, v in rates.items()},
    }


def measure_http(seconds: float = 10.0, clients: int = 4, workers: int = 2, threads: int = 4) -> dict[str, Any]:
    """Instances/s over HTTP: ``gongzhi serve`` on SQLite, ``clients`` keep-alive clients."""
    import run

    toks = run.tokens()
    with tempfile.TemporaryDirectory() as tmp:
        url = run.sqlite_url(Path(tmp))
        make_engine(url).close()
        with run.server(url, workers, threads, definitions=LIGHT) as address:
            def case(client: Any) -> None:
                view = client.call("start", "POST", "/process-instances", toks["admin"],
                                   {"process_key": PROCESS, "variables": START, "region": REGION})
                steps = 0
                while view["open_tasks"]:
                    task = view["open_tasks"][0]
                    view = client.call("complete", "POST", f"/tasks/{task['id']}/complete", toks["admin"],
                                       {"data": STEP_DATA[task["element_id"]]})
                    steps += 1
                if view["status"] != "completed" or steps != STEPS:
                    raise RuntimeError(f"light HTTP case ended {view['status']} after {steps} steps")

            for _ in range(2 * workers):  # every worker parses the spec on its first request
                case(run.Client(address, toks, []))
            done, errors, samples = [0], [], []
            lock = threading.Lock()
            stop_at = time.perf_counter() + seconds

            def drive() -> None:
                client = run.Client(address, toks, [])
                while time.perf_counter() < stop_at:
                    try:
                        case(client)
                    except Exception as exc:  # noqa: BLE001 - counted and reported
                        errors.append(str(exc)[:300])
                        client = run.Client(address, toks, [])
                        continue
                    with lock:
                        done[0] += 1
                with lock:
                    samples.extend(client.samples)

            began = time.perf_counter()
            pool = [threading.Thread(target=drive) for _ in range(clients)]
            for th in pool:
                th.start()
            for th in pool:
                th.join()
            elapsed = time.perf_counter() - began
    kinds: dict[str, list[float]] = {}
    for kind, secs in samples:
        kinds.setdefault(kind, []).append(secs * 1000)
    return {"workers": workers, "clients": clients, "seconds": round(elapsed, 1), "instances": done[0],
            "instances_per_s": done[0] / elapsed, "errors": len(errors), "first_error": errors[0] if errors else None,
            "latency_ms": {k: {"p50": run.pct(v, 50), "p95": run.pct(v, 95)} for k, v in sorted(kinds.items())}}
