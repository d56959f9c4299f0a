"""Gongzhi benchmark suite (issue 11): how fast, how big, how it grows — measured side by side.

    python bench/run.py --quick          # every measurement at a small size (< 5 minutes)
    python bench/run.py --full           # the documented full sizes (see BENCHMARKS.md)
    python bench/run.py --only overhead  # one measurement (names: see MEASUREMENTS)
    python bench/run.py --json out.json  # also write the figures as JSON

The machines are shared and noisy: every figure that matters is a ratio measured
in one run (the two sides interleaved) or a median of repeats. PostgreSQL
measurements create and drop their own database on ``BENCH_PG`` (default
``postgresql://postgres@127.0.0.1:5432``).
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))  # bench/light.py
PG_BASE = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
SECRET = "bench-secret-" + "x" * 32

# --- the whistle case on its street path (the same data as tests/whistle/conftest.py) -------------

GRID = "990101/001/001/01"
DEPARTMENTS = ["chengguan", "shichang", "gongan", "xiaofang", "zhujian", "huanjing", "shuiwu", "gongdian"]
INTAKE: dict[str, Any] = {
    "channel": "12345热线", "category_l1": "生态环境", "category_l2": "餐饮油烟", "category_l3": "油烟直排",
    "case_type": "投诉", "description": "楼下餐馆油烟直排，影响居民生活", "address": "翠苑路 1 号", "grid": GRID,
    "reporter_name": "张三", "reporter_mobile": "13800138000", "urgency": "一般", "emergency": "无",
}
FOUR = {"accepted_at": "2025-03-03T10:00:00+08:00", "contacted": "反映人张三及餐馆业主",
        "measures": "责令安装油烟净化设施并复查", "resolve_by": "2025-03-20"}
# The form data each user task of the street path is completed with (by element id).
STEP_DATA: dict[str, dict[str, Any]] = {
    "blow_whistle": {"whistle_level": "常规哨", "lead_department": "huanjing", "co_departments": ["chengguan", "shichang"],
                     "whistle_reason": "需部门报到处置"},
    "sign_in": {"sign_decision": "签收"},
    "onsite_report": {"arrived_at": "2025-03-03T15:00:00+08:00", "onsite_staff": "执法队员两名",
                      "onsite_situation": "现场核实属实"},
    "handle_feedback": {"handle_outcome": "办结反馈", **FOUR, "handle_result": "已解决"},
    "street_rate": {"street_resolved": True,
                    "street_cooperation": 5, "street_score": 5},
    "community_rate": {"community_score": 5},
    "resident_followup": {"followup_resolved": "已解决", "followup_satisfaction": "满意"},
}
STEPS_PER_CASE = 17  # whistle + 3 × (sign, on-site, feedback, street rating, community rating) + follow-up
GROUP_REGIONS = {"grid": "990101/001/001", "community": "990101/001/001", "street": "990101/001",
                 "street_leader": "990101/001", "district": "990101", **{f"dept_{d}": "990101" for d in DEPARTMENTS}}


def actors() -> dict[str, Any]:
    """The people of the case, with ``pii`` like the HTTP side's tokens: the returned views are not masked
    on either side (masking is a reader's cost, not a command's)."""
    from gongzhi import Actor

    return {g: Actor.of(f"{g}-1", g, [g], r, ["pii"]) for g, r in GROUP_REGIONS.items()}


def admin() -> Any:
    from gongzhi import Actor

    return Actor.of("admin", "管理员", ["admin"], "", ["pii"])


def make_engine(url: str, clock: Any = None, cache_size: int | None = None) -> Any:
    """An engine on ``url`` with the whistle definitions (and the bench timer process) deployed."""
    from gongzhi import Engine, bpmn_package_path

    config: dict[str, Any] = {"database_url": url, "secret_key": SECRET}
    if cache_size is not None:
        config["cache_size"] = cache_size
    engine = Engine(config, clock=clock)
    engine.upgrade_db()
    engine.deploy([bpmn_package_path() / "whistle", HERE / "definitions"])
    return engine


def run_case(engine: Any, people: dict[str, Any], boss: Any, business_key: str | None = None) -> int:
    """Drive one whistle case through the runtime API to its end; returns the user tasks completed."""
    view = engine.start("whistle_dispatch", boss, INTAKE, region=GRID, business_key=business_key)
    steps = 0
    while view.open_tasks:
        task = view.open_tasks[0]
        view = engine.complete(task.id, people[task.candidate_groups[0]], STEP_DATA[task.element_id])
        steps += 1
    if view.status != "completed":
        raise AssertionError(f"case ended {view.status}")
    return steps


def open_case(engine: Any, people: dict[str, Any], boss: Any) -> str:
    """Start a case and blow the whistle: it then waits for three departments to sign (a typical open case)."""
    view = engine.start("whistle_dispatch", boss, INTAKE, region=GRID)
    task = view.open_tasks[0]
    engine.complete(task.id, people[task.candidate_groups[0]], STEP_DATA[task.element_id])
    return view.id


class Bare:
    """The same BPMN run by SpiffWorkflow alone, in memory: same specs, same script engine, same data."""

    def __init__(self, script_engine: Any) -> None:
        from gongzhi import bpmn_package_path
        from gongzhi.definitions.model import DefinitionSet
        from gongzhi.definitions.sources import load_sources

        self.bundle = DefinitionSet(load_sources([bpmn_package_path() / "whistle"])).bundle("whistle_dispatch")
        self.script_engine = script_engine

    def run_case(self) -> int:
        from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
        from SpiffWorkflow.util.task import TaskState

        wf = BpmnWorkflow(self.bundle.spec, self.bundle.subprocess_specs, script_engine=self.script_engine)
        wf.get_tasks(state=TaskState.READY)[0].data.update(INTAKE)
        wf.do_engine_steps()
        steps = 0
        while True:
            task = next((t for w in (wf, *wf.subprocesses.values())
                         for t in w.get_tasks(state=TaskState.READY, manual=True)), None)
            if task is None:
                break
            task.data.update(STEP_DATA[task.task_spec.bpmn_id])
            task.run()
            wf.do_engine_steps()
            steps += 1
        if not wf.is_completed():
            raise AssertionError("bare case did not complete")
        return steps


# --- helpers ---------------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def rss_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            key, value = line.split(":")
            values[key] = int(value.split()[0])
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


def sqlite_url(folder: Path, name: str = "bench.sqlite3") -> str:
    return f"sqlite:///{folder / name}"


def pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_BASE + "/postgres", connect_timeout=3):
            return True
    except Exception:  # noqa: BLE001
        return False


@contextmanager
def pg_database(tag: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one measurement, dropped afterwards."""
    import psycopg

    name = f"gz_bench_{tag}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_BASE + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_BASE}/{name}"
    finally:
        with psycopg.connect(PG_BASE + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def gongzhi_cli() -> list[str]:
    script = Path(sys.executable).with_name("gongzhi")
    return [str(script)] if script.exists() else [sys.executable, "-m", "gongzhi.cli"]


def child_env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGZHI_")}
    env.update({"GONGZHI_DATABASE_URL": url, "GONGZHI_SECRET_KEY": SECRET, **extra})
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- 1. engine overhead ----------------------------------------------------------------------------


def measure_overhead(cases: int = 10, repeats: int = 3, folder: Path | None = None,
                     cache_off: bool = True) -> dict[str, Any]:
    """Durable Gongzhi (SQLite file, runtime API) against bare SpiffWorkflow in memory, interleaved."""
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        engine = make_engine(sqlite_url(Path(tmp)))
        cold = make_engine(sqlite_url(Path(tmp), "cold.sqlite3"), cache_size=0) if cache_off else None
        people, boss = actors(), admin()
        bare = Bare(engine.script_engine)
        run_case(engine, people, boss), bare.run_case()  # warm-up: parse, caches, imports
        if cold:
            run_case(cold, people, boss)
        rates: dict[str, list[float]] = {"bare": [], "durable": [], "durable_nocache": []}
        done = {"bare": 0, "durable": 0, "durable_nocache": 0}
        sides: list[tuple[str, Callable[[], int]]] = [("bare", bare.run_case),
                                                      ("durable", lambda: run_case(engine, people, boss))]
        if cold:
            sides.append(("durable_nocache", lambda: run_case(cold, people, boss)))
        for _ in range(repeats):
            for name, fn in sides:
                gc.collect()
                start = time.perf_counter()
                for _ in range(cases):
                    if fn() != STEPS_PER_CASE:
                        raise AssertionError(f"{name}: wrong number of steps")
                rates[name].append(cases / (time.perf_counter() - start))
                done[name] += cases
        with engine.db.read() as session:
            from sqlalchemy import func, select

            from gongzhi.store.models import Instance

            completed = session.scalar(select(func.count()).select_from(Instance)
                                       .where(Instance.status == "completed")) - 1  # minus the warm-up case
        engine.close()
        if cold:
            cold.close()
    bare_rate, durable_rate = statistics.median(rates["bare"]), statistics.median(rates["durable"])
    out = {"cases": cases, "repeats": repeats, "bare_cases_per_s": bare_rate, "durable_cases_per_s": durable_rate,
           "ratio": durable_rate / bare_rate, "bare_completed": done["bare"], "durable_completed": completed,
           "runs": {k: [round(v, 2) for v in vs] for k, vs in rates.items() if vs}}
    if cold:
        out["durable_nocache_cases_per_s"] = statistics.median(rates["durable_nocache"])
    return out


# --- 2 and 7. HTTP end to end ---------------------------------------------------------------------


@contextmanager
def server(url: str, workers: int = 2, threads: int = 4, definitions: Path | None = None) -> Iterator[str]:
    """``gongzhi serve`` (gunicorn) on loopback; the access log goes to a file, not the terminal."""
    make_engine(url).close()  # schema and whistle definitions in place even if other bundled files do not validate
    port = free_port()
    tmp = Path(tempfile.mkdtemp(prefix="gz-serve-"))
    log = (tmp / "serve.log").open("w")
    env = child_env(url, **({"GONGZHI_DEFINITIONS": str(definitions)} if definitions else {}))
    process = subprocess.Popen([*gongzhi_cli(), "serve", "--port", str(port), "--workers", str(workers),
                                "--threads", str(threads)], cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/api/v1/health")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gongzhi serve did not start: {(tmp / 'serve.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        stop(process)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


class Client:
    """One keep-alive connection; records (kind, seconds) for every call."""

    def __init__(self, address: str, tokens: dict[str, str], samples: list[tuple[str, float]]) -> None:
        host, port = address.split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)
        self.tokens, self.samples = tokens, samples

    def call(self, kind: str, method: str, path: str, token: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        start = time.perf_counter()
        self.conn.request(method, "/api/v1" + path, body=data, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        self.samples.append((kind, time.perf_counter() - start))
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {payload[:300]!r}")
        return json.loads(payload)

    def case(self) -> None:
        t = self.tokens
        view = self.call("start", "POST", "/process-instances", t["admin"],
                         {"process_key": "whistle_dispatch", "variables": INTAKE, "region": GRID})
        # the street finds the case on its work list and opens it
        self.call("list", "GET", "/tasks?candidate_group=street&per_page=20", t["street"])
        self.call("detail", "GET", f"/tasks/{view['open_tasks'][0]['id']}", t["street"])
        steps = 0
        while view["open_tasks"]:
            task = view["open_tasks"][0]
            view = self.call("complete", "POST", f"/tasks/{task['id']}/complete", t[task["candidate_groups"][0]],
                             {"data": STEP_DATA[task["element_id"]]})
            steps += 1
        if view["status"] != "completed" or steps != STEPS_PER_CASE:
            raise RuntimeError(f"HTTP case ended {view['status']} after {steps} steps")


def tokens() -> dict[str, str]:
    from gongzhi.security.tokens import mint

    out = {g: mint(SECRET, f"{g}-1", g, [g], r, permissions=["pii"]) for g, r in GROUP_REGIONS.items()}
    out["admin"] = mint(SECRET, "admin", "管理员", ["admin"], "", permissions=["pii"])
    return out


def load_http(address: str, clients: int = 8, seconds: float = 15.0, warmup_cases: int = 2) -> dict[str, Any]:
    """``clients`` threads each run cases back to back for ``seconds``; cases/s and latency per call kind."""
    toks = tokens()
    warm: list[tuple[str, float]] = []
    for _ in range(warmup_cases):  # every gunicorn worker parses the spec on its first request
        Client(address, toks, warm).case()
    samples: list[tuple[str, float]] = []
    finished = [0]
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def worker() -> None:
        client = Client(address, toks, [])
        while time.perf_counter() < stop_at:
            try:
                client.case()
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors.append(str(exc)[:300])
                client = Client(address, toks, [])
                continue
            with lock:
                finished[0] += 1
        with lock:
            samples.extend(client.samples)

    start = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(clients)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    elapsed = time.perf_counter() - start
    kinds: dict[str, list[float]] = {}
    for kind, secs in samples:
        kinds.setdefault(kind, []).append(secs * 1000)
    return {
        "clients": clients, "seconds": round(elapsed, 1), "cases": finished[0], "cases_per_s": finished[0] / elapsed,
        "requests_per_s": len(samples) / elapsed, "errors": len(errors), "first_error": errors[0] if errors else None,
        "latency_ms": {k: {"n": len(v), "p50": pct(v, 50), "p95": pct(v, 95), "p99": pct(v, 99)}
                       for k, v in sorted(kinds.items())},
    }


def measure_http(seconds: float = 15.0, clients: int = 8, databases: tuple[str, ...] = ("sqlite", "postgresql"),
                 workers: int = 2, threads: int = 4) -> dict[str, Any]:
    out: dict[str, Any] = {"workers": workers, "threads": threads}
    for db in databases:
        if db == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                with server(sqlite_url(Path(tmp)), workers, threads) as address:
                    out[db] = load_http(address, clients, seconds)
        elif pg_available():
            with pg_database("http") as url, server(url, workers, threads) as address:
                out[db] = load_http(address, clients, seconds)
    return out


def measure_scaleout(seconds: float = 12.0, clients: int = 8, timers: int = 200) -> dict[str, Any]:
    """HTTP cases/s with 1 and 2 gunicorn worker processes, and timer jobs/s with 1 and 2 workers, on PostgreSQL."""
    out: dict[str, Any] = {}
    for n in (1, 2):
        with pg_database("scale") as url, server(url, workers=n, threads=4) as address:
            out[f"http_{n}_server"] = load_http(address, clients, seconds)
    for n in (1, 2):
        out[f"timers_{n}_worker"] = timer_run(timers, n, window=0.0)
    out["http_speedup"] = out["http_2_server"]["cases_per_s"] / out["http_1_server"]["cases_per_s"]
    one, two = out["timers_1_worker"]["jobs_per_s"], out["timers_2_worker"]["jobs_per_s"]
    out["jobs_speedup"] = two / one if one and two else None
    return out


# --- 3. work lists at scale ------------------------------------------------------------------------

STREETS = [f"990101/{s:03d}" for s in range(1, 11)]
COMMUNITIES = [f"{s}/{c:03d}" for s in STREETS for c in range(1, 11)]
GRIDS = [f"{c}/{g:02d}" for c in COMMUNITIES for g in range(1, 6)]
# share of open tasks per candidate group (departments get most of the work of a whistle case)
GROUP_WEIGHTS = {"grid": 14, "community": 14, "street": 18, "street_leader": 3, "district": 3,
                 **{f"dept_{d}": w for d, w in zip(DEPARTMENTS, (12, 9, 6, 4, 6, 6, 3, 2))}}
ELEMENTS = {"grid": "resident_followup", "community": "community_handle", "street": "street_rate",
            "street_leader": "leader_approve", "district": "district_supervise"}


def _copy_rows(conn: Any, table: str, columns: list[str], rows: Iterator[tuple]) -> None:
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def populate_worklists(url: str, open_tasks: int, completed_tasks: int, seed: int = 11) -> dict[str, Any]:
    """Synthetic rows straight into gz_instance / gz_task / gz_task_candidate with COPY."""
    import psycopg

    rnd = random.Random(seed)
    groups, weights = list(GROUP_WEIGHTS), list(GROUP_WEIGHTS.values())
    now = datetime.now(timezone.utc)
    per_instance = 5
    n_instances = (open_tasks + completed_tasks) // per_instance + 1
    start = time.perf_counter()
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        version_id = conn.execute("SELECT id FROM gz_definition_version WHERE key = 'whistle_dispatch'").fetchone()[0]
        instance_ids, regions = [], []

        def instances() -> Iterator[tuple]:
            for i in range(n_instances):
                iid = f"00000000-0000-4000-8000-{i:012d}"
                region = rnd.choice(GRIDS)
                instance_ids.append(iid)
                regions.append(region)
                created = now - timedelta(days=rnd.random() * 365)
                running = i < open_tasks // per_instance + 1
                yield (iid, "whistle_dispatch", version_id, "running" if running else "completed", None, region,
                       "admin", created, created, 0, "0" * 64, b"", 0)

        _copy_rows(conn, "gz_instance", ["id", "process_key", "version_id", "status", "business_key", "region",
                                         "started_by", "created_at", "updated_at", "audit_seq", "audit_hash", "state",
                                         "lock_version"], instances())
        candidates: list[tuple] = []

        def tasks() -> Iterator[tuple]:
            for t in range(open_tasks + completed_tasks):
                is_open = t < open_tasks
                i = t // per_instance if is_open else (open_tasks // per_instance + 1) + (t - open_tasks) // per_instance
                i = min(i, n_instances - 1)
                group = rnd.choices(groups, weights)[0]
                element = ELEMENTS.get(group, rnd.choice(["sign_in", "onsite_report", "handle_feedback"]))
                tid = f"{t:08d}-0000-4000-9000-{i:012d}"
                created = now - timedelta(days=rnd.random() * (30 if is_open else 365))
                if is_open:
                    candidates.append((tid, group, regions[i], created))
                yield (tid, instance_ids[i], "whistle_dispatch", element, element, "open" if is_open else "completed",
                       regions[i], json.dumps([group]), None, f"{element}.json", created,
                       created + timedelta(days=3), None if is_open else created + timedelta(hours=5),
                       None if is_open else f"{group}-1")

        _copy_rows(conn, "gz_task", ["id", "instance_id", "process_key", "element_id", "name", "status", "region",
                                     "candidate_groups", "assignee", "form", "created_at", "due_at", "completed_at",
                                     "completed_by"], tasks())
        _copy_rows(conn, "gz_task_candidate", ["task_id", "group_name", "region", "created_at"], iter(candidates))
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE gz_instance")
        conn.execute("VACUUM ANALYZE gz_task")
        conn.execute("VACUUM ANALYZE gz_task_candidate")
    return {"instances": n_instances, "open_tasks": open_tasks, "completed_tasks": completed_tasks,
            "populate_s": round(time.perf_counter() - start, 1)}


def measure_worklists(open_tasks: int = 10_000, completed_tasks: int = 100_000, calls: int = 200) -> dict[str, Any]:
    """p50/p95 of the work list (engine call and GET /tasks in-process) and the plan PostgreSQL chose."""
    from sqlalchemy import event

    from gongzhi import Actor
    from gongzhi.api import create_app

    with pg_database("tasks") as url:
        engine = make_engine(url)
        out: dict[str, Any] = populate_worklists(url, open_tasks, completed_tasks)
        # (group, actor region): a street's own list, a department across the district, a community's list
        probes = [("street", s) for s in STREETS[:4]] + [("dept_chengguan", "990101"), ("dept_shichang", "990101")] + \
                 [("community", c) for c in COMMUNITIES[:4]]
        from gongzhi.security.tokens import mint

        app = create_app(engine=engine, setup=False)
        client = app.test_client()
        result: dict[str, Any] = {}
        engine_ms, http_ms, totals = [], [], {}
        for i in range(calls):
            group, region = probes[i % len(probes)]
            actor = Actor.of(f"{group}-1", group, [group], region)
            start = time.perf_counter()
            page = engine.tasks(actor, candidate_group=group)
            engine_ms.append((time.perf_counter() - start) * 1000)
            totals[f"{group}@{region}"] = page.total
            token = mint(SECRET, actor.id, group, [group], region)
            start = time.perf_counter()
            response = client.get(f"/api/v1/tasks?candidate_group={group}", headers={"Authorization": f"Bearer {token}"})
            http_ms.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.data[:300]
        # the SQL SQLAlchemy emits for engine.tasks(actor, candidate_group=...) and its plan
        statements: list[tuple[str, Any]] = []

        def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            statements.append((statement, parameters))

        group, region = "street", STREETS[0]
        event.listen(engine.db.reader, "before_cursor_execute", capture)
        engine.tasks(Actor.of("s", group, [group], region), candidate_group=group)
        event.remove(engine.db.reader, "before_cursor_execute", capture)
        plans = []
        with engine.db.reader.connect() as conn:
            for statement, params in statements:
                if "gz_task" not in statement:
                    continue
                rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params).fetchall()
                plans.append({"sql": statement, "params": params, "plan": [r[0] for r in rows]})
        engine.close()
    result.update(out)
    result.update({
        "calls": calls, "engine_p50_ms": pct(engine_ms, 50), "engine_p95_ms": pct(engine_ms, 95),
        "http_p50_ms": pct(http_ms, 50), "http_p95_ms": pct(http_ms, 95), "http_p99_ms": pct(http_ms, 99),
        "matching_open_tasks": totals, "plans": plans,
    })
    return result


# --- 4. storage --------------------------------------------------------------------------------------

TABLES = ["gz_instance", "gz_state_delta", "gz_task", "gz_task_candidate", "gz_audit_event", "gz_job", "gz_message_subscription",
          "gz_message", "gz_incident"]


def _sizes(engine: Any) -> dict[str, dict[str, int]]:
    """Per table: row count, bytes of the rows themselves, and bytes on disk including indexes."""
    out: dict[str, dict[str, int]] = {t: {"rows": 0, "row_bytes": 0, "disk_bytes": 0} for t in TABLES}
    from sqlalchemy import inspect

    present = [t for t in TABLES if inspect(engine.db.writer).has_table(t)]  # an older engine may lack some
    with engine.db.writer.connect() as conn:
        if engine.db.dialect == "postgresql":
            for t in present:
                rows, row_bytes = conn.exec_driver_sql(f"SELECT count(*), coalesce(sum(pg_column_size(t.*)), 0) FROM {t} t").one()
                disk = conn.exec_driver_sql(f"SELECT pg_total_relation_size('{t}')").scalar()
                out[t] = {"rows": rows, "row_bytes": int(row_bytes), "disk_bytes": int(disk)}
        else:
            pages = dict(conn.exec_driver_sql("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").all())
            indexes = conn.exec_driver_sql("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'").all()
            for t in present:
                rows = conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar()
                cols = [r[1] for r in conn.exec_driver_sql(f"PRAGMA table_info({t})").all()]
                row_bytes = conn.exec_driver_sql(
                    f"SELECT coalesce(sum({' + '.join(f'coalesce(length({c}), 0)' for c in cols)}), 0) FROM {t}").scalar()
                disk = pages.get(t, 0) + sum(pages.get(name, 0) for name, tbl in indexes if tbl == t)
                out[t] = {"rows": rows, "row_bytes": int(row_bytes), "disk_bytes": int(disk)}
    return out


def _delta(before: dict, after: dict, n: int) -> dict[str, Any]:
    tables = {t: {k: (after[t][k] - before[t][k]) / n for k in ("rows", "row_bytes", "disk_bytes")} for t in TABLES}
    tables = {t: v for t, v in tables.items() if any(v.values())}
    return {"per_table": tables, "row_bytes": sum(v["row_bytes"] for v in tables.values()),
            "disk_bytes": sum(v["disk_bytes"] for v in tables.values()),
            "rows": sum(v["rows"] for v in tables.values())}


def measure_storage(cases: int = 20, url: str | None = None) -> dict[str, Any]:
    """Bytes per completed case and per open case (waiting on three departments), by table."""

    def run(db_url: str) -> dict[str, Any]:
        engine = make_engine(db_url)
        people, boss = actors(), admin()
        run_case(engine, people, boss)  # warm-up
        before = _sizes(engine)
        for _ in range(cases):
            run_case(engine, people, boss)
        middle = _sizes(engine)
        for _ in range(cases):
            open_case(engine, people, boss)
        after = _sizes(engine)
        with engine.db.read() as session:
            from sqlalchemy import func, select

            from gongzhi.store.models import Instance

            done = session.execute(select(Instance.status, func.count(), func.avg(func.length(Instance.state)))
                                   .group_by(Instance.status)).all()
        engine.close()
        return {"dialect": engine.db.dialect, "cases": cases, "completed": _delta(before, middle, cases),
                "open": _delta(middle, after, cases),
                "state_blob_avg": {status: round(float(avg or 0)) for status, _, avg in done},
                "instances": {status: count for status, count, _ in done}}

    if url:
        return run(url)
    if pg_available():
        with pg_database("storage") as pg:
            return run(pg)
    with tempfile.TemporaryDirectory() as tmp:
        return run(sqlite_url(Path(tmp)))


# --- 5. timers ---------------------------------------------------------------------------------------


def timer_run(count: int, workers: int, window: float = 10.0, url: str | None = None) -> dict[str, Any]:
    """``count`` timers due within ``window`` seconds, fired by ``workers`` ``gongzhi worker`` processes.

    With ``window=0`` every timer falls due at the same instant, just after the last start: a drain-rate
    (jobs/s) test.
    """
    from sqlalchemy import text

    def run(db_url: str) -> dict[str, Any]:
        engine = make_engine(db_url)
        boss = admin()
        # calibrate how long starting the instances takes, so the first timer falls after the last start
        t0 = time.perf_counter()
        far = (datetime.now(timezone.utc) + timedelta(days=365)).isoformat()  # within the 10-year timer limit
        for _ in range(10):
            engine.start("bench_timer", boss, {"fire_at": far}, region=GRID)
        per_start = (time.perf_counter() - t0) / 10
        with engine.db.write() as session:  # the calibration instances never fire
            session.execute(text("UPDATE gz_job SET status = 'dropped' WHERE kind = 'timer'"))
        lead = count * per_start * 1.2 + 2.0  # a timer already due at start fires inside start(): never a job
        base = datetime.now(timezone.utc) + timedelta(seconds=lead)
        for i in range(count):
            due = base + timedelta(seconds=window * i / count)
            engine.start("bench_timer", boss, {"fire_at": due.isoformat()}, region=GRID)
        late_start = (datetime.now(timezone.utc) - base).total_seconds()
        procs = [subprocess.Popen([*gongzhi_cli(), "worker"], env=child_env(db_url), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, cwd=tempfile.gettempdir()) for _ in range(workers)]
        started = time.perf_counter()
        try:
            deadline = time.monotonic() + max(60.0, window + count * 0.1)
            while time.monotonic() < deadline:
                with engine.db.read() as session:
                    left = session.scalar(text("SELECT count(*) FROM gz_job WHERE kind = 'timer' AND status = 'pending'"))
                if not left:
                    break
                time.sleep(0.2)
            drained = time.perf_counter() - started
        finally:
            for p in procs:
                stop(p)
        with engine.db.read() as session:
            rows = session.execute(text(
                "SELECT j.due_at, a.at FROM gz_job j JOIN gz_audit_event a ON a.instance_id = j.instance_id "
                "AND a.action = 'timer' WHERE j.kind = 'timer' AND j.status = 'done'")).all()
        engine.close()
        from gongzhi.clock import utc

        delays = [(utc(at) - utc(due)).total_seconds() for due, at in rows]
        fired = sorted(utc(at) for _, at in rows)
        span = (fired[-1] - fired[0]).total_seconds() if len(fired) > 1 else 0.0
        return {"timers": count, "workers": workers, "window_s": window, "fired": len(delays),
                "median_s": pct(delays, 50), "p99_s": pct(delays, 99), "max_s": max(delays) if delays else None,
                "setup_overran_s": round(max(0.0, late_start), 2), "drain_s": round(drained, 2),
                # first to last firing: the worker processes' start-up is not counted
                "jobs_per_s": (len(fired) - 1) / span if span else None}

    if url:
        return run(url)
    with pg_database("timers") as pg:
        return run(pg)


def measure_timers(count: int = 200, worker_counts: tuple[int, ...] = (1, 4)) -> dict[str, Any]:
    return {f"{n}_workers": timer_run(count, n) for n in worker_counts}


# --- 6. growth -----------------------------------------------------------------------------------------


def _series(dialect: str, n: int) -> str:
    if dialect == "postgresql":
        return f"generate_series(1, {n}) AS s(n)"
    return f"(WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {n}) SELECT n FROM c) AS s"


def _prefix(dialect: str, column: str, offset: int) -> str:
    """A copy's id: the template id with its first 8 characters replaced by the copy number (hex-free digits)."""
    if dialect == "postgresql":
        return f"lpad((s.n + {offset})::text, 8, '0') || substr({column}, 9)"
    return f"printf('%08d', s.n + {offset}) || substr({column}, 9)"


# columns holding an instance id (or a task id, which must stay unique) in each table
_ID_COLUMNS = {
    "gz_instance": ("id", "id"),
    "gz_task": ("instance_id", "id", "instance_id"),
    "gz_task_candidate": ("task_id", "task_id"),
    "gz_audit_event": ("instance_id", "chain", "instance_id"),
    "gz_job": ("instance_id", "instance_id"),
    "gz_message_subscription": ("instance_id", "instance_id"),
}


def replicate(engine: Any, template_ids: list[str], copies: int, batch: int = 5000, offset: int = 1) -> float:
    """Copy the rows of ``template_ids`` instances ``copies`` times with new ids, in SQL; returns seconds."""
    from sqlalchemy import inspect

    dialect = engine.db.dialect
    start = time.perf_counter()
    cols = {t: [c["name"] for c in inspect(engine.db.writer).get_columns(t) if not (c["name"] == "id" and t in (
        "gz_audit_event", "gz_job"))] for t in _ID_COLUMNS}
    ids = ", ".join(f"'{i}'" for i in template_ids)
    task_ids = f"(SELECT id FROM gz_task WHERE instance_id IN ({ids}))"
    done = 0
    while done < copies:
        n = min(batch, copies - done)
        with engine.db.writer.begin() as conn:
            for table, (key, *rewrite) in _ID_COLUMNS.items():
                where = f"{key} IN ({ids})" if table != "gz_task_candidate" else f"task_id IN {task_ids}"
                select = ", ".join(_prefix(dialect, f"t.{c}", offset + done) if c in rewrite else f"t.{c}"
                                   for c in cols[table])
                conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(cols[table])}) SELECT {select} "
                                     f"FROM {table} t, {_series(dialect, n)} WHERE t.{where}")
        done += n
    if dialect == "postgresql":
        with engine.db.writer.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with engine.db.writer.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - start


def measure_growth(histories: tuple[int, ...] = (0, 10_000), cases: int = 8, repeats: int = 3,
                   waiting: tuple[int, ...] = (1_000, 10_000), due: int = 200) -> dict[str, Any]:
    """(a) durable throughput with N finished cases already stored; (b) worker RSS with N waiting instances."""
    from sqlalchemy import select

    from gongzhi.store.models import Instance

    out: dict[str, Any] = {"throughput": {}, "worker_rss": {}}
    people, boss = actors(), admin()
    with tempfile.TemporaryDirectory() as tmp:
        engines, have = {}, {}
        for n in histories:  # one database per history size, all measured interleaved
            engine = make_engine(sqlite_url(Path(tmp), f"growth{n}.sqlite3"))
            run_case(engine, people, boss)
            with engine.db.read() as session:
                template = list(session.scalars(select(Instance.id)))
            seconds = replicate(engine, template, n) if n else 0.0
            run_case(engine, people, boss)  # warm-up after the copy
            engines[n] = engine
            have[n] = {"populate_s": round(seconds, 1),
                       "db_mb": round(os.path.getsize(Path(tmp) / f"growth{n}.sqlite3") / 2**20, 1)}
        rates: dict[int, list[float]] = {n: [] for n in histories}
        for _ in range(repeats):
            for n, engine in engines.items():
                gc.collect()
                start = time.perf_counter()
                for _ in range(cases):
                    run_case(engine, people, boss)
                rates[n].append(cases / (time.perf_counter() - start))
        for n, engine in engines.items():
            engine.close()
        base = statistics.median(rates[histories[0]])
        for n in histories:
            rate = statistics.median(rates[n])
            out["throughput"][n] = {**have[n], "cases_per_s": rate, "relative": rate / base,
                                    "runs": [round(r, 2) for r in rates[n]]}
    if pg_available():
        for n in waiting:
            out["worker_rss"][n] = worker_rss(n, due)
    return out


def worker_rss(waiting: int, due: int = 200) -> dict[str, Any]:
    """RSS of one ``gongzhi worker`` with ``waiting`` open whistle cases, ``due`` of whose timers are due now."""
    from gongzhi import MovableClock
    from sqlalchemy import select, text

    from gongzhi.store.models import Instance

    with pg_database("rss") as url:
        now = datetime.now(timezone.utc)
        past = make_engine(url, clock=MovableClock(now - timedelta(days=30)))  # its timers are due already
        open_case(past, actors(), admin())
        with past.db.read() as session:
            due_template = list(session.scalars(select(Instance.id)))
        replicate(past, due_template, due - 1)
        past.close()
        future = make_engine(url, clock=MovableClock(now + timedelta(days=20)))
        with future.db.read() as session:
            existing = set(session.scalars(select(Instance.id)))
        open_case(future, actors(), admin())
        with future.db.read() as session:
            later = [i for i in session.scalars(select(Instance.id)) if i not in existing]
        replicate(future, later, waiting - due - 1, offset=10_000_000)
        with future.db.read() as session:
            instances = session.scalar(text("SELECT count(*) FROM gz_instance WHERE status = 'running'"))
            pending = session.scalar(text("SELECT count(*) FROM gz_job WHERE status = 'pending' AND due_at <= now()"))
        proc = subprocess.Popen([*gongzhi_cli(), "worker"], env=child_env(url), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, cwd=tempfile.gettempdir())
        started = time.perf_counter()
        peak = 0
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                time.sleep(0.3)
                peak = max(peak, rss_kb(proc.pid)[0])
                with future.db.read() as session:
                    left = session.scalar(text(
                        "SELECT count(*) FROM gz_job WHERE status = 'pending' AND due_at <= now() "
                        "AND (locked_until IS NULL OR locked_until < now())"))
                if not left:
                    break
            time.sleep(1.0)
            rss, hwm = rss_kb(proc.pid)
        finally:
            stop(proc)
        future.close()
        return {"waiting_instances": instances, "due_jobs": pending, "rss_mb": round(rss / 1024, 1),
                "peak_mb": round(max(hwm, peak) / 1024, 1), "run_s": round(time.perf_counter() - started, 1)}


# --- rules (bench/bench_rules.py) -----------------------------------------------------------------------


def measure_rules(evaluations: int = 2000, repeats: int = 3) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    try:
        import bench_rules
    finally:
        sys.path.remove(str(HERE))
    return bench_rules.run(evaluations, repeats)


def measure_light(**sizes: Any) -> dict[str, Any]:
    import light

    return light.measure(**sizes)


def measure_steps(**sizes: Any) -> dict[str, Any]:
    import steps

    return steps.measure(**sizes)


def measure_light_http(**sizes: Any) -> dict[str, Any]:
    import light

    return light.measure_http(**sizes)


# --- the suite -----------------------------------------------------------------------------------------

SIZES = {
    "quick": {
        "overhead": dict(cases=6, repeats=3),
        "http": dict(seconds=8.0),
        "worklists": dict(open_tasks=10_000, completed_tasks=100_000, calls=60),
        "storage": dict(cases=10),
        "timers": dict(count=200),
        "growth": dict(histories=(0, 10_000), cases=4, repeats=3, waiting=(1_000, 10_000), due=50),
        "scaleout": dict(seconds=6.0, timers=100),
        "rules": dict(evaluations=2000, repeats=3),
        "light": dict(cases=20, repeats=3),
        "light_http": dict(seconds=8.0),
        "steps": dict(steps=100, repeats=3),
        "grid_locate": dict(points=5_000),
        "console_instances": dict(instances=1_000, runs=3),
    },
    "full": {
        "overhead": dict(cases=15, repeats=5),
        "http": dict(seconds=40.0),
        "worklists": dict(open_tasks=100_000, completed_tasks=1_000_000, calls=60),
        "storage": dict(cases=50),
        "timers": dict(count=2000),
        "growth": dict(histories=(0, 100_000), cases=6, repeats=5, waiting=(10_000, 100_000), due=200),
        "scaleout": dict(seconds=30.0, timers=1000),
        "rules": dict(evaluations=5000, repeats=5),
        "light": dict(cases=60, repeats=5),
        "light_http": dict(seconds=30.0),
        "steps": dict(steps=300, repeats=5),
        "grid_locate": dict(points=50_000),
        "console_instances": dict(instances=10_000, runs=5),
    },
}
MEASUREMENTS: dict[str, Callable[..., dict[str, Any]]] = {
    "overhead": measure_overhead, "http": measure_http, "worklists": measure_worklists, "storage": measure_storage,
    "timers": measure_timers, "growth": measure_growth, "scaleout": measure_scaleout, "rules": measure_rules,
    "light": measure_light, "light_http": measure_light_http, "steps": measure_steps,
    "grid_locate": lambda points=20_000: __import__("grid_locate").run(points),  # bench/grid_locate.py
    # bench/console_instances.py: the console's instances page with many cases (issue 18: first page < 1 s)
    "console_instances": lambda instances=10_000, runs=5: __import__("console_instances").run(instances, runs),
}
NEEDS_PG = {"worklists", "timers", "scaleout"}


def _f(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def table(results: dict[str, dict[str, Any]]) -> str:
    """The figures next to the targets."""
    rows: list[tuple[str, str, str]] = []
    r = results.get("overhead")
    if r:
        rows += [("1 bare SpiffWorkflow, in memory", f"{_f(r['bare_cases_per_s'])} cases/s", ""),
                 ("1 durable Gongzhi, SQLite file", f"{_f(r['durable_cases_per_s'])} cases/s", ""),
                 ("1 ratio durable / bare", f"{_f(r['ratio'], 2)}", "≥ 0.40")]
        if "durable_nocache_cases_per_s" in r:
            rows.append(("1 durable, CACHE_SIZE=0 (restore every step)", f"{_f(r['durable_nocache_cases_per_s'])} cases/s", ""))
    r = results.get("http")
    if r:
        for db in ("sqlite", "postgresql"):
            if db in r:
                x = r[db]
                lat = " ".join(f"{k} {_f(v['p50'], 0)}/{_f(v['p95'], 0)}/{_f(v['p99'], 0)}"
                               for k, v in x["latency_ms"].items())
                rows.append((f"2 HTTP {db}, 8 clients ({x['cases']} cases, {x['errors']} errors)",
                             f"{_f(x['cases_per_s'], 2)} cases/s; ms p50/p95/p99: {lat}",
                             "≥ 50 cases/s" if db == "sqlite" else ""))
    r = results.get("worklists")
    if r:
        rows.append((f"3 GET /tasks, {r['open_tasks']:,} open + {r['completed_tasks']:,} completed (PG)",
                     f"HTTP p50 {_f(r['http_p50_ms'])} / p95 {_f(r['http_p95_ms'])} ms; engine.tasks p50 "
                     f"{_f(r['engine_p50_ms'])} / p95 {_f(r['engine_p95_ms'])} ms", "p95 < 20 ms"))
    r = results.get("storage")
    if r:
        c, o = r["completed"], r["open"]
        rows.append((f"4 completed case ({r['dialect']})", f"{_f(c['row_bytes'] / 1024)} KB rows, "
                     f"{_f(c['disk_bytes'] / 1024)} KB on disk incl. indexes, {_f(c['rows'], 0)} rows", "≤ 10 KB"))
        rows.append((f"4 open case, waiting on 3 departments ({r['dialect']})",
                     f"{_f(o['row_bytes'] / 1024)} KB rows, {_f(o['disk_bytes'] / 1024)} KB on disk", ""))
    r = results.get("timers")
    if r:
        for key, x in r.items():
            rows.append((f"5 timers: {x['timers']} due within {x['window_s']:.0f} s, {x['workers']} worker(s) (PG)",
                         f"delay median {_f(x['median_s'], 3)} s, p99 {_f(x['p99_s'], 3)} s, fired {x['fired']}",
                         "median < 1 s"))
    r = results.get("growth")
    if r:
        for n, x in r["throughput"].items():
            rows.append((f"6 durable with {int(n):,} finished cases stored", f"{_f(x['cases_per_s'])} cases/s "
                         f"({_f(x['relative'] * 100, 0)} %)", "within 10 %"))
        for n, x in r["worker_rss"].items():
            rows.append((f"6 worker RSS, {int(n):,} waiting instances", f"{_f(x['rss_mb'])} MB (peak {_f(x['peak_mb'])})", ""))
    r = results.get("scaleout")
    if r:
        rows.append(("7 HTTP PG, 1 → 2 server processes", f"{_f(r['http_1_server']['cases_per_s'], 2)} → "
                     f"{_f(r['http_2_server']['cases_per_s'], 2)} cases/s (×{_f(r['http_speedup'], 2)})", ""))
        rows.append(("7 timer jobs, 1 → 2 worker processes", f"{_f(r['timers_1_worker']['jobs_per_s'])} → "
                     f"{_f(r['timers_2_worker']['jobs_per_s'])} jobs/s (×{_f(r['jobs_speedup'], 2)})", ""))
    r = results.get("grid_locate")
    if r:
        rows.append((f"grid: locate a point among {r['polygons']:,} grid polygons", f"median {_f(r['locate_median_us'])} µs "
                     f"(p95 {_f(r['locate_p95_us'])}; index alone {_f(r['grids_at_median_us'])})", "median < 50 µs"))
    r = results.get("console_instances")
    if r:
        rows.append((f"console: instances page with {r['instances']:,} cases", f"API first page median "
                     f"{_f(r['api_first_page_median_ms'])} ms (by region and date {_f(r['api_region_date_median_ms'])} ms); "
                     f"page in Chromium median {_f(r['page_first_load_median_ms'])} ms", "page < 1000 ms"))
    r = results.get("rules")
    if r:
        rows.append(("rules: gongzhi.rules vs SpiffWorkflow DMN", f"{_f(r['gongzhi_per_s'], 0)} vs "
                     f"{_f(r['spiff_per_s'], 0)} evals/s (×{_f(r['ratio'], 1)}), answers match: {r['answers_match']}", ""))
    r = results.get("light")
    if r:
        rate = r["instances_per_s"]
        rows += [("L light: bare SpiffWorkflow, in memory", f"{_f(rate['bare'])} instances/s", ""),
                 ("L light: durable in-process (cached / restore every step)",
                  f"{_f(rate['durable'])} / {_f(rate['durable_nocache'])} instances/s "
                  f"(ratio {_f(r['ratio'], 3)}; cold/cached {_f(r['nocache_over_cached'], 2)})", "≥ 100 /s"),
                 ("L light: CPU outside SpiffWorkflow per command", f"{_f(r['fixed_cpu_ms_per_command'], 2)} ms", "< 1 ms")]
    r = results.get("light_http")
    if r:
        lat = " ".join(f"{k} {_f(v['p50'], 0)}/{_f(v['p95'], 0)}" for k, v in r["latency_ms"].items())
        rows.append((f"L light HTTP sqlite, {r['workers']} workers x {r['clients']} clients ({r['errors']} errors)",
                     f"{_f(r['instances_per_s'], 1)} instances/s; ms p50/p95: {lat}", "≥ 50 /s"))
    r = results.get("steps")
    if r:
        ms = r["ms_per_step"]
        for side in ("bare", "cached", "cold"):
            per = " · ".join(f"{n} steps {_f(ms[f'{side}_{n}'], 2)} ms" for n in r["lengths"])
            rows.append((f"F cost per step by case length, {side}", f"{per} (long/short ×{_f(r['long_over_short'][side], 2)})",
                         "≤ ×1.0"))
    width = max(len(a) for a, _, _ in rows) if rows else 10
    lines = [f"{'measurement':<{width}}  {'target':<14}  figure", "-" * (width + 80)]
    lines += [f"{a:<{width}}  {c:<14}  {b}" for a, b, c in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small sizes, under 5 minutes (default)")
    size.add_argument("--full", action="store_true", help="the documented full sizes")
    parser.add_argument("--only", action="append", choices=sorted(MEASUREMENTS), help="run only this measurement")
    parser.add_argument("--json", type=Path, help="write all figures (and plans) to this file")
    args = parser.parse_args(argv)
    sizes = SIZES["full" if args.full else "quick"]
    names = args.only or list(MEASUREMENTS)
    have_pg = pg_available()
    results: dict[str, dict[str, Any]] = {}
    began = time.perf_counter()
    for name in names:
        if name in NEEDS_PG and not have_pg:
            print(f"[{name}] skipped: no PostgreSQL at {PG_BASE}", flush=True)
            continue
        start = time.perf_counter()
        print(f"[{name}] running {sizes[name]} ...", flush=True)
        results[name] = MEASUREMENTS[name](**sizes[name])
        print(f"[{name}] done in {time.perf_counter() - start:.0f} s", flush=True)
    print()
    print(table(results))
    if "worklists" in results:
        print("\nwork-list query plan (EXPLAIN ANALYZE):")
        for plan in results["worklists"]["plans"]:
            print("  " + plan["sql"].replace("\n", " ")[:400])
            for line in plan["plan"]:
                print("    " + line)
    print(f"\ntotal {time.perf_counter() - began:.0f} s; python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
