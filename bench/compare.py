"""Before and after in one run: the same measurements, alternating between a snapshot of a
baseline commit and the working tree, so both sides share the machine's mood.

    python bench/compare.py BASELINE [--now COMMIT] [--rounds 3] [--only overhead --only http ...]

Each round runs ``bench/run.py --quick --only …`` once per side (baseline first, then the
working tree), each in its own process; the baseline imports the engine exported by
``bench/snapshot.sh`` while the benchmark code is this tree's, so both sides are driven alike.
Prints the median of each figure per side and their ratio; ``--json`` keeps every round.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# figure name -> (measurement, how to read it from that measurement's result)
FIGURES: dict[str, tuple[str, Callable[[dict], Any]]] = {
    "whistle bare cases/s": ("overhead", lambda r: r["bare_cases_per_s"]),
    "whistle durable cases/s": ("overhead", lambda r: r["durable_cases_per_s"]),
    "whistle durable / bare": ("overhead", lambda r: r["ratio"]),
    "whistle CACHE_SIZE=0 cases/s": ("overhead", lambda r: r.get("durable_nocache_cases_per_s")),
    "whistle HTTP sqlite cases/s": ("http", lambda r: r["sqlite"]["cases_per_s"]),
    "whistle HTTP sqlite complete p95 ms": ("http", lambda r: r["sqlite"]["latency_ms"]["complete"]["p95"]),
    "whistle HTTP postgresql cases/s": ("http", lambda r: r.get("postgresql", {}).get("cases_per_s")),
    "completed case KB of rows (PG)": ("storage", lambda r: r["completed"]["row_bytes"] / 1000),
    "open case KB of rows (PG)": ("storage", lambda r: r["open"]["row_bytes"] / 1000),
    "light durable instances/s": ("light", lambda r: r["instances_per_s"]["durable"]),
    "light CACHE_SIZE=0 instances/s": ("light", lambda r: r["instances_per_s"]["durable_nocache"]),
    "light CPU outside SpiffWorkflow ms/command": ("light", lambda r: r["fixed_cpu_ms_per_command"]),
    "light HTTP instances/s": ("light_http", lambda r: r["instances_per_s"]),
}


def snapshot(commit: str) -> str:
    """PYTHONPATH for the engine of ``commit`` (``bench/snapshot.sh``)."""
    dest = Path(tempfile.mkdtemp(prefix="gz-baseline-"))
    out = subprocess.run(["sh", str(HERE / "snapshot.sh"), commit, str(dest)], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return out.split("PYTHONPATH=", 1)[1].split(":", 1)[0].strip()


def run_side(only: list[str], pythonpath: str | None) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        target = Path(out.name)
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    args = [sys.executable, str(HERE / "run.py"), "--quick", "--json", str(target)]
    for name in only:
        args += ["--only", name]
    subprocess.run(args, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    result = json.loads(target.read_text())
    target.unlink()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline", help="the commit to compare against")
    parser.add_argument("--now", help="measure this commit's snapshot instead of the working tree (so the tree may "
                                      "change during the run)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", action="append", help="a bench/run.py measurement (default: those of FIGURES)")
    parser.add_argument("--json", type=Path, help="write every round of both sides to this file")
    args = parser.parse_args(argv)
    only = args.only or sorted({m for m, _ in FIGURES.values()})
    sides = {"baseline": snapshot(args.baseline), "now": snapshot(args.now) if args.now else None}
    rounds: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
    for r in range(args.rounds):
        for side, path in sides.items():
            print(f"round {r + 1}/{args.rounds}: {side} …", flush=True)
            rounds[side].append(run_side(only, path))
    print(f"\n{'figure':<44} {'baseline ' + args.baseline[:9]:>18} {'now':>12} {'now/baseline':>13}")
    for name, (measurement, read) in FIGURES.items():
        if measurement not in only:
            continue
        medians = []
        for side in sides:
            values = [v for v in (_read(read, res.get(measurement)) for res in rounds[side]) if v is not None]
            medians.append(statistics.median(values) if values else None)
        ratio = f"×{medians[1] / medians[0]:.2f}" if all(medians) else "-"
        print(f"{name:<44} {_f(medians[0]):>18} {_f(medians[1]):>12} {ratio:>13}")
    if args.json:
        args.json.write_text(json.dumps(rounds, indent=1, default=str, ensure_ascii=False))
    return 0


def _read(read: Callable[[dict], Any], result: dict | None) -> Any:
    try:
        return read(result) if result else None
    except (KeyError, TypeError):
        return None


def _f(value: Any) -> str:
    return "-" if value is None else f"{value:,.2f}"


if __name__ == "__main__":
    sys.exit(main())
