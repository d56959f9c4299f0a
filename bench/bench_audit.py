"""Micro-benchmark: the cost of one audit append, 0.1 (unkeyed sha256) against keyed HMAC with personal values.

Every command appends audit events inside its transaction, so this is on the hot
path. Three sides append the same events (a whistle intake and a task completion,
alternately) to one instance's chain on a SQLite file:

- ``v0.1``: the 0.1 append, ``sha256(prev + payload)`` (its code is copied below as the baseline);
- ``keyed``: today's ``audit.append`` with a predicate that finds nothing personal (HMAC only);
- ``keyed + personal``: today's ``audit.append`` with the default predicate (HMAC, and the
  personal values found by field name or phone/ID pattern kept beside the payload).

For each side: the append calls alone (building the rows, no SQL), and whole transactions of
four events, as a command writes them (the instance row read, the appends, the INSERTs, the
commit; the same transaction work on every side). Times are this process's CPU time (the
machine is shared: wall time would measure the neighbours); the sides are interleaved and
each figure is the median of the repeats.

Run: ``python bench/bench_audit.py [events-per-repeat] [repeats]``
"""

from __future__ import annotations

import hashlib
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import orjson

from gongzhi import Actor, Engine, MovableClock
from gongzhi.clock import utc
from gongzhi.runtime import audit
from gongzhi.store.models import AuditEvent, Instance

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
PER_COMMAND = 4  # events a command writes: its action, a decision or two, the end
CLERK = Actor.of("clerk-1", "张三", ["clerk"], "110105/001")
INTAKE = {
    "channel": "12345热线", "category_l1": "生态环境", "category_l2": "餐饮油烟", "category_l3": "油烟直排",
    "case_type": "投诉", "description": "楼下餐馆油烟直排，联系电话 13800138000", "address": "翠苑路 1 号",
    "grid": "990101/001/001/01", "reporter_name": "张三", "reporter_mobile": "13800138000", "urgency": "一般",
    "emergency": "无",
}
COMPLETION = {"sign_decision": "签收", "comment": "已到现场核实", "handler": "李四", "handler_phone": "13912345678",
              "photos": ["a.jpg", "b.jpg"]}


def details(i: int) -> dict[str, Any]:
    if i % 2 == 0:
        return {"process_key": "whistle_dispatch", "variables": INTAKE, "changed": INTAKE}
    return {"process_key": "whistle_dispatch", "element_id": "sign_in", "task_id": f"task-{i}",
            "data": COMPLETION, "changed": COMPLETION}


def append_v01(session: Any, chain: str, actor: Actor, action: str, at: datetime, *, instance: Instance,
               **detail: Any) -> AuditEvent:
    """The 0.1 append for an instance chain, as it was (the baseline)."""
    seq, prev = instance.audit_seq + 1, instance.audit_hash
    body = {"chain": chain, "seq": seq, "at": utc(at).isoformat(), "action": action,
            "actor": {"id": actor.id, "name": actor.name}, "instance_id": instance.id,
            **{k: v for k, v in detail.items() if v is not None}}
    payload = orjson.dumps(body, option=orjson.OPT_SORT_KEYS, default=str).decode()
    digest = hashlib.sha256((prev + payload).encode("utf-8")).hexdigest()
    event = AuditEvent(chain=chain, seq=seq, instance_id=instance.id, action=action, actor_id=actor.id, at=at,
                       payload=payload, prev_hash=prev, hash=digest)
    session.add(event)
    instance.audit_seq, instance.audit_hash = seq, digest
    return event


def keyed_plain(session: Any, *args: Any, **kwargs: Any) -> AuditEvent:
    return audit.append(session, *args, personal=lambda path, value: False, **kwargs)


SIDES: dict[str, Callable[..., AuditEvent]] = {
    "v0.1": append_v01, "keyed": keyed_plain, "keyed + personal": audit.append}


def run(engine: Engine, instance_id: str, side: Callable[..., AuditEvent], n: int, commit: bool) -> float:
    """CPU seconds per event: ``n`` appends in transactions of ``PER_COMMAND`` events, as commands write them.

    With ``commit`` the time covers the whole transactions (flush and commit); without, only
    the append calls, whose transactions are rolled back.
    """
    at = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)
    elapsed = 0.0
    for first in range(0, n, PER_COMMAND):
        start = time.process_time()
        with engine.db.write() as session:
            row = session.get(Instance, instance_id)
            if not commit:
                start = time.process_time()
            for i in range(first, min(first + PER_COMMAND, n)):
                side(session, instance_id, CLERK, "complete", at, instance=row, **details(i))
            if not commit:
                elapsed += time.process_time() - start
                session.rollback()
        if commit:
            elapsed += time.process_time() - start
    return elapsed / n


def main(n: int = 2000, repeats: int = 7) -> dict[tuple[str, bool], float]:
    """Print the table; return the medians by (side, whole transaction)."""
    with tempfile.TemporaryDirectory() as folder:
        engine = Engine({"database_url": f"sqlite:///{folder}/bench.sqlite3", "audit_key": "bench:" + "k" * 64,
                         "audit_checkpoint_dir": f"{folder}/checkpoints"}, clock=MovableClock())
        engine.upgrade_db()
        engine.deploy([FIXTURES / "approval"])
        instances = {name: engine.start("approval", CLERK, {"title": "修路灯", "days": 2, "review_within": "PT1H",
                                                            "archive_groups": ["archivist"]}).id for name in SIDES}
        figures: dict[tuple[str, bool], list[float]] = {}
        for _ in range(repeats):
            for commit in (False, True):
                for name, side in SIDES.items():
                    figures.setdefault((name, commit), []).append(run(engine, instances[name], side, n, commit))
        problems = engine.verify_audit().problems  # the baseline's unkeyed events are rightly flagged
        assert not [p for p in problems if instances["keyed"] in p or instances["keyed + personal"] in p], problems
        engine.close()
    print(f"audit append, {n} events per repeat in transactions of {PER_COMMAND}, median of {repeats} "
          "(CPU µs per event, SQLite file, WAL)")
    print(f"{'side':<18} {'append call':>18} {'whole transaction':>22}")
    base = {commit: statistics.median(figures[("v0.1", commit)]) for commit in (False, True)}
    for name in SIDES:
        call, whole = (statistics.median(figures[(name, c)]) for c in (False, True))
        print(f"{name:<18} {call * 1e6:>10.1f} (×{call / base[False]:.2f}) {whole * 1e6:>14.1f} (×{whole / base[True]:.2f})")
    return {key: statistics.median(values) for key, values in figures.items()}


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
