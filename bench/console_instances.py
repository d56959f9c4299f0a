"""Benchmark: the console's instances page, first load, with many cases in the database.

    python bench/console_instances.py [--instances 10000] [--runs 5] [--no-browser]
    python bench/run.py --only console_instances [--full]

Seeds micro-wish cases into a fresh SQLite file through the engine, starts a real
``gongzhi serve --dev`` on it and measures, as medians of repeats: the page's first API page
(``GET /process-instances?page=1&per_page=20``, all cases and filtered by region and start date),
and — signed in as the administrator in Debian's Chromium — the time from opening ``#/instances``
in a new tab (cold: no cached files) until its first page of rows is on screen. The goal
(issue 18) is under 1 s; this prints the figures and never asserts them.

First figures (2 shared cores, SQLite): 10 000 cases seeded in 38 s; first load median 525 ms,
max 526 ms over 3 cold runs. With the region and date filters (2 December 2026, 10 000 cases, 5 runs,
the machine shared with six other engineers, load average 2–3.7): API first page median 72–129 ms
(by region and start date 76–157 ms); first load in Chromium median 733 ms in one run and 1 237 ms in
another under heavier load, 293–354 ms in a probe on a quieter moment. The page's own cost is the
API call plus loading the console's modules; the figure follows the machine's load.

The index on gz_instance(created_at, id) (migration 0010), 3 December 2026, one seeded database of
10 000 cases, two runs of 9 each way, the index dropped and re-created in between: API first page
median 4.1–6.1 ms with it, 20.3–26.1 ms without; by region and start date 10.1–10.7 ms against
31.5–41.2 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from console.conftest import CHROMIUM, Server  # noqa: E402

from gongzhi import Actor, Engine  # noqa: E402


def seed(folder: Path, count: int) -> None:
    engine = Engine({"database_url": f"sqlite:///{folder / 'console.sqlite3'}"})
    try:
        engine.upgrade_db()
        engine.deploy()
        grid = Actor.of("bench-grid", "网格员", ["grid"], "990101/001/001")
        for i in range(count):
            engine.start("micro_wish", grid, {"wish": f"心愿 {i}", "category": "助老", "requester": "张奶奶",
                                              "phone": "13700001234"}, business_key=f"WX-{i:06d}")
    finally:
        engine.close()


def _api_first_page(server: Server, token: str, query: str, runs: int) -> list[float]:
    """Seconds per ``GET /process-instances`` first page (what the page asks for), warm."""
    times = []
    for _ in range(runs + 1):
        began = time.perf_counter()
        page = server.call("GET", f"/process-instances?page=1&per_page=20{query}", token)
        times.append(time.perf_counter() - began)
        assert page["items"], "the first page is empty"
    return times[1:]  # the first call warms the process's caches


def _browser_loads(server: Server, token: str, runs: int) -> tuple[list[float], dict[str, Any]]:
    """Seconds from opening ``#/instances`` in a cold tab until its first row is on screen, and what
    the last load fetched: requests, bytes, and the longest chain of requests that waited on each other."""
    from playwright.sync_api import sync_playwright

    times: list[float] = []
    profile: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for _ in range(runs):
            context = browser.new_context()  # cold: no cached files
            page = context.new_page()
            page.goto(f"{server.base}/console/dev/sign-in")
            page.evaluate("t => sessionStorage.setItem('gongzhi.token', t)", token)
            fetched: list[Any] = []
            page.on("requestfinished", lambda request: fetched.append(request))
            began = time.perf_counter()
            page.goto(f"{server.base}/console/#/instances")
            page.locator("main table tbody tr").first.wait_for(timeout=30_000)
            times.append(time.perf_counter() - began)
            profile = _profile(fetched)
            context.close()
        browser.close()
    return times, profile


def _profile(fetched: list[Any]) -> dict[str, Any]:
    """Requests and bytes of one load, split into the console's files and API calls; ``waves``: how
    many rounds of requests the page needed (a request starting after another ended is a new round)."""
    rows = []
    for request in fetched:
        sizes = request.sizes()
        timing = request.timing
        rows.append((request.url, sizes["responseBodySize"] + sizes["responseHeadersSize"],
                     timing["startTime"] + max(timing["requestStart"], 0), timing["startTime"] + timing["responseEnd"]))
    api = [r for r in rows if "/api/v1/" in r[0]]
    waves, last_end = 0, None
    for _, _, start, end in sorted(rows, key=lambda r: r[2]):
        if last_end is None or start >= last_end:  # everything before it had finished: it waited
            waves += 1
            last_end = end
        else:
            last_end = max(last_end, end)
    return {"requests": len(rows), "api_requests": len(api), "bytes": sum(r[1] for r in rows),
            "api_bytes": sum(r[1] for r in api), "waves": waves,
            "api_calls": sorted({r[0].split("/api/v1", 1)[1].split("?", 1)[0] for r in api})}


def run(instances: int = 10_000, runs: int = 5, browser: bool = True, keep: str | None = None) -> dict[str, Any]:
    """Seed ``instances`` cases, serve them, and time the instances page's first API page (all cases,
    and one community since a date) and, with ``browser``, its first load in Chromium; medians in ms.
    ``keep``: a folder whose database is seeded once and reused (to compare two versions of the code)."""
    with tempfile.TemporaryDirectory(prefix="gongzhi-bench-console-") as tmp:
        folder = Path(keep) if keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        began = time.perf_counter()
        if not (folder / "console.sqlite3").exists():
            seed(folder, instances)
        seeded = time.perf_counter() - began
        server = Server(folder)
        try:
            token = server.token("admin")
            api_all = _api_first_page(server, token, "", runs)
            api_filtered = _api_first_page(server, token, "&region=990101%2F001%2F001"
                                           "&started_after=2000-01-01T00%3A00%3A00%2B08%3A00", runs)
            loads, profile = _browser_loads(server, token, runs) if browser and Path(CHROMIUM).exists() else ([], {})
        finally:
            server.stop()
    ms = lambda values: round(statistics.median(values) * 1000, 1) if values else None  # noqa: E731
    return {"instances": instances, "runs": runs, "seed_s": round(seeded, 1),
            "api_first_page_median_ms": ms(api_all), "api_region_date_median_ms": ms(api_filtered),
            "page_first_load_median_ms": ms(loads), "page_first_load_max_ms": round(max(loads) * 1000, 1) if loads else None,
            "page_profile": profile}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true", help="only the API's first page")
    parser.add_argument("--keep", metavar="FOLDER", help="seed the database in FOLDER once and reuse it on later runs")
    args = parser.parse_args()
    r = run(args.instances, args.runs, not args.no_browser, args.keep)
    print(f"seeded {r['instances']} cases in {r['seed_s']} s (0: reused)")
    print(f"GET /process-instances first page: median {r['api_first_page_median_ms']} ms; "
          f"by region and start date: median {r['api_region_date_median_ms']} ms ({r['runs']} runs)")
    if r["page_first_load_median_ms"] is not None:
        print(f"instances page, first load in Chromium: median {r['page_first_load_median_ms']} ms, "
              f"max {r['page_first_load_max_ms']} ms over {r['runs']} cold runs")
        p = r["page_profile"]
        print(f"one cold load fetched {p['requests']} files and calls ({p['bytes'] / 1024:.0f} KiB), of them "
              f"{p['api_requests']} API calls ({p['api_bytes'] / 1024:.1f} KiB: {', '.join(p['api_calls'])}), "
              f"in {p['waves']} rounds of requests that waited on each other")


if __name__ == "__main__":
    main()
