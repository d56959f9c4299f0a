"""How long ordinary commands take while the service is under attack (issue 14's liveness benchmark).

    python bench/liveness.py                 # 4 clients x 40 commands, SQLite, 2 workers x 4 threads
    python bench/liveness.py --clients 8 --rounds 60 --json out.json

A real ``gongzhi serve`` on a fresh SQLite file. Two phases, run in one go on the same
server: **calm** (only the clients), then **attack** (at the same time: a loop of
requests starting a runaway script, a loop of huge timers, and one request stuck in a
plugin that never answers, which the watchdog reports and whose worker is replaced).
Each client starts an approval case and completes its review, over and over; the
figures are the medians and 95th percentiles of those commands' latencies, and their
ratio between the phases. Every client command must succeed in both phases.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SECRET = "bench-liveness-secret-0123456789abcdef"


def _token(sub: str, groups: list[str], region: str, permissions: list[str] = ()) -> str:
    from gongzhi.security.tokens import mint

    return mint(SECRET, sub, sub, groups, region, permissions=list(permissions))


def _call(base: str, token: str, method: str, path: str, body: Any = None, timeout: float = 120) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, method=method, data=data,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _serve(folder: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGZHI_")}
    env.update({
        "GONGZHI_DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}", "GONGZHI_SECRET_KEY": SECRET,
        "GONGZHI_DEFINITIONS": os.pathsep.join(str(FIXTURES / f) for f in ("approval", "liveness")),
        "GONGZHI_LIMIT_COMMAND_DEADLINE_SECONDS": "3", "GONGZHI_STUCK_GRACE_SECONDS": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(FIXTURES / "liveness" / "plugin"), env.get("PYTHONPATH")])),
    })
    gongzhi = Path(sys.executable).with_name("gongzhi")
    log = (folder / "serve.log").open("w")
    process = subprocess.Popen([str(gongzhi if gongzhi.exists() else "gongzhi"), "serve", "--port", str(port),
                                "--workers", "2", "--threads", "4", "--graceful-timeout", "2"],
                               cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/api/v1"
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2):
                return process, base
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit((folder / "serve.log").read_text())


def _clients(base: str, clients: int, rounds: int) -> tuple[list[float], list[int]]:
    token = _token("clerk-1", ["clerk"], "110105/001")
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        for i in range(rounds):
            started = time.perf_counter()
            status, case = _call(base, token, "POST", "/process-instances", {"process_key": "approval", "variables": {
                "title": f"第 {n}-{i} 件", "days": 1, "review_within": "PT1H", "archive_groups": ["archivist"]}})
            took = [time.perf_counter() - started]
            codes = [status]
            if status == 201:
                started = time.perf_counter()
                codes.append(_call(base, token, "POST", f"/tasks/{case['open_tasks'][0]['id']}/complete",
                                   {"data": {"approved": False}})[0])
                took.append(time.perf_counter() - started)
            with lock:
                latencies.extend(took)
                statuses.extend(codes)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, statuses


def _attack(base: str, stop: threading.Event) -> dict[str, int]:
    admin = _token("admin", ["admin"], "", ["pii"])
    clerk = _token("clerk-2", ["clerk"], "110105/001")
    counts = {"runaway": 0, "timer": 0, "refused": 0}

    def runaways() -> None:
        while not stop.is_set():
            status, _ = _call(base, admin, "POST", "/process-instances", {"process_key": "runaway"})
            counts["runaway"] += 1
            counts["refused"] += status == 422

    def timers() -> None:
        while not stop.is_set():
            status, _ = _call(base, clerk, "POST", "/process-instances", {"process_key": "approval", "variables": {
                "title": "x", "days": 1, "review_within": "P99999999Y", "archive_groups": ["archivist"]}})
            counts["timer"] += 1
            counts["refused"] += status == 422
            time.sleep(0.05)

    def stuck() -> None:
        try:
            _call(base, admin, "POST", "/process-instances", {"process_key": "blocking"}, timeout=60)
        except OSError:
            pass  # its worker is replaced under it

    for target in (runaways, timers, stuck):
        threading.Thread(target=target, daemon=True).start()
    return counts


def _figures(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"commands": len(ordered), "p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="gongzhi-liveness-"))
    process, base = _serve(folder)
    try:
        calm, calm_statuses = _clients(base, args.clients, args.rounds)
        stop = threading.Event()
        counts = _attack(base, stop)
        time.sleep(1.0)
        attacked, attacked_statuses = _clients(base, args.clients, args.rounds)
        stop.set()
    finally:
        process.terminate()
        process.wait(30)
    failed = [s for s in calm_statuses + attacked_statuses if s not in (200, 201)]
    result = {"calm": _figures(calm), "attack": _figures(attacked), "attacks": counts, "failed_client_commands": len(failed)}
    result["p50_ratio"] = round(result["attack"]["p50_ms"] / result["calm"]["p50_ms"], 2)
    result["p95_ratio"] = round(result["attack"]["p95_ms"] / result["calm"]["p95_ms"], 2)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    shutil.rmtree(folder, ignore_errors=True)
    if failed:
        raise SystemExit(f"{len(failed)} client commands failed under attack")


if __name__ == "__main__":
    main()
