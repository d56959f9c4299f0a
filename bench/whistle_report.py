"""Time the whistle department report (吹哨报到·部门考核) over N closed cases of one month.

Each case takes the plain path — intake, blow the whistle to one department, sign in,
on-site report, 办结反馈, the street's and the community's ratings, the resident's
follow-up — through the real engine on SQLite; then the report runs ``--repeat``
times and the median is printed.

    python bench/whistle_report.py --cases 500
    # another implementation of the reports module, e.g. an older commit's:
    git show REV:plugins/whistle/reports.py > /tmp/old_reports.py
    python bench/whistle_report.py --cases 500 --reports-module /tmp/old_reports.py --db /tmp/w.sqlite3

``--db`` keeps the database: a second run on the same file skips the seeding.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from gongzhi import Actor, Engine, MovableClock, bpmn_package_path
from gongzhi.plugins.whistle import Outbox, WhistlePlugin

START = datetime(2025, 3, 3, 1, 0, tzinfo=timezone.utc)
GRID = "990101/001/001/01"
DEPARTMENTS = ["chengguan", "shichang", "gongan", "xiaofang"]
INTAKE = {"channel": "12345热线", "category_l1": "生态环境", "category_l2": "餐饮油烟", "category_l3": "油烟直排",
          "case_type": "投诉", "description": "楼下餐馆油烟直排", "address": "翠苑路 1 号", "grid": GRID,
          "reporter_name": "张三", "reporter_mobile": "13800138000", "urgency": "一般", "emergency": "无"}
FOUR = {"accepted_at": "2025-03-03T10:00:00+08:00", "contacted": "反映人张三及餐馆业主", "measures": "责令安装油烟净化设施并复查",
        "resolve_by": "2025-03-20", "handle_result": "已解决"}
RATING = {"street_resolved": True,
          "street_cooperation": 5, "street_score": 4}


def actors() -> dict[str, Actor]:
    found = {g: Actor.of(f"{g}1", g, [g], "990101") for g in ("grid", "community", "street", "street_leader", "district")}
    found.update({f"dept_{d}": Actor.of(f"{d}1", d, [f"dept_{d}"], "990101") for d in DEPARTMENTS})
    return found


def do(engine: Engine, people: dict[str, Actor], admin: Actor, iid: str, element: str, data: dict[str, Any]) -> None:
    [task] = [t for t in engine.tasks(admin, instance_id=iid, per_page=50).items if t.element_id == element]
    engine.clock.advance(seconds=30)  # type: ignore[attr-defined]
    engine.complete(task.id, people[task.candidate_groups[0]], data)


def seed(engine: Engine, cases: int) -> None:
    admin, people = Actor.of("admin", "管理员", ["admin"]), actors()
    for i in range(cases):
        dept = DEPARTMENTS[i % len(DEPARTMENTS)]
        iid = engine.start("whistle_dispatch", admin, INTAKE, region=GRID).id
        steps = [("blow_whistle", {"whistle_level": "常规哨", "lead_department": dept, "co_departments": [],
                                   "whistle_reason": "需部门报到处置"}),
                 ("sign_in", {"sign_decision": "签收"}),
                 ("onsite_report", {"arrived_at": "2025-03-03T15:00:00+08:00", "onsite_staff": "两名",
                                    "onsite_situation": "现场核实"}),
                 ("handle_feedback", {"handle_outcome": "办结反馈", **FOUR}),
                 ("street_rate", RATING), ("community_rate", {"community_score": 4}),
                 ("resident_followup", {"followup_resolved": "已解决", "followup_satisfaction": "满意"})]
        for element, data in steps:
            do(engine, people, admin, iid, element, data)
        if (i + 1) % 100 == 0:
            print(f"  seeded {i + 1} cases", flush=True)


def reports_module(path: str | None) -> Any:
    if path is None:
        return importlib.import_module("gongzhi.plugins.whistle.reports")
    spec = importlib.util.spec_from_file_location("whistle_reports_under_test", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", help="SQLite file to keep (seeded once)")
    parser.add_argument("--reports-module", help="path of another implementation of plugins/whistle/reports.py")
    args = parser.parse_args()
    db = Path(args.db) if args.db else Path(tempfile.mkdtemp()) / "whistle.sqlite3"
    fresh = not db.exists()
    engine = Engine({"database_url": f"sqlite:///{db}", "cache_size": 64, "disable_plugins": ["whistle"]},
                    clock=MovableClock(START), plugins=[WhistlePlugin(notifier=Outbox())])
    engine.upgrade_db()
    if fresh:
        engine.deploy([bpmn_package_path() / "whistle"])
        began = time.perf_counter()
        seed(engine, args.cases)
        print(f"seeded {args.cases} cases in {time.perf_counter() - began:.1f} s")
    module = reports_module(args.reports_module)
    timings, cpu, rows = [], [], []
    for _ in range(args.repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        rows = module.department_report(engine, month="2025-03")
        timings.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    dispatched = sum(r["dispatched"] for r in rows)
    # CPU time as well: on a shared machine the wall clock also counts other processes' turns.
    print(f"department report: {len(rows)} departments, {dispatched} dispatches; over {args.repeat} runs "
          f"wall median {statistics.median(timings) * 1000:.0f} ms (min {min(timings) * 1000:.0f}), "
          f"CPU median {statistics.median(cpu) * 1000:.0f} ms (min {min(cpu) * 1000:.0f})")
    engine.close()


if __name__ == "__main__":
    main()
