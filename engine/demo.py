"""``gongzhi demo``: run each registered story on a throwaway SQLite database and tell it.

The narrative is read back from the audit trail — who did what, when, with
which data — so it shows what the engine recorded, not what the story meant to do.
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select

from .calendar import CST
from .clock import MovableClock
from .identity import SYSTEM
from .plugin_manager import Registry
from .runtime.engine import Engine
from .store.models import Instance, TaskRow

__all__ = ["run_demos", "narrate", "load_demos"]

ACTIONS = {
    "start": "发起", "complete": "完成", "claim": "认领", "timer": "计时到期", "message": "收到消息",
    "service": "后台调用完成", "service_call": "调用服务", "decision": "规则判定", "cancel": "撤销",
    "completed": "办结", "cancelled": "已撤销", "incident_retry": "重试故障",
}


def _when(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(CST).strftime("%m-%d %H:%M")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_value(v) for v in value) or "（无）"
    if isinstance(value, dict):
        return "；".join(f"{k}={_value(v)}" for k, v in value.items())
    text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _labels(engine: Engine, instance_id: str) -> tuple[dict[str, str], dict[str, dict[str, str]], str]:
    """Element names, form field titles by task id, and the process name of an instance."""
    with engine.db.read() as session:
        row = session.get(Instance, instance_id)
        bundle = engine.repository.bundle(session, row.version_id)
        tasks = session.scalars(select(TaskRow).where(TaskRow.instance_id == instance_id)).all()
    names = {}
    for spec in [bundle.spec, *bundle.subprocess_specs.values()]:
        names.update({ts.bpmn_id: ts.bpmn_name for ts in spec.task_specs.values() if getattr(ts, "bpmn_name", None)})
    fields = {}
    for task in tasks:
        meta = next((m for (pid, el), m in bundle.tasks.items() if el == task.element_id), None)
        props = (meta.form or {}).get("properties", {}) if meta else {}
        fields[task.id] = {k: v.get("title", k) for k, v in props.items()}
    return names, fields, bundle.name


def narrate(engine: Engine, instance_id: str) -> list[str]:
    """The instance's audit trail as Chinese sentences."""
    names, fields, process = _labels(engine, instance_id)
    lines = []
    for event in engine.history(instance_id, SYSTEM):
        who = event["actor"]["name"] or event["actor"]["id"]
        what = ACTIONS.get(event["action"], event["action"])
        element = names.get(event.get("element_id") or "", event.get("element_id") or "")
        line = f"{_when(event['at'])}  {who} {what}"
        if event["action"] == "start":
            line += f"「{process}」"
        elif event["action"] == "decision":
            line += f"「{element}」：命中 {', '.join(event.get('matched_rules') or []) or '（无）'} → {_value(event.get('result'))}"
        elif element:
            line += f"「{element}」"
        data = event.get("data") if event["action"] == "complete" else None
        if data:
            titles = fields.get(event.get("task_id") or "", {})
            shown = [f"{titles.get(k, k)}：{_value(v)}" for k, v in data.items()][:4]
            line += "（" + "；".join(shown) + "）"
        lines.append(line)
    return lines


def _table(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return ["  （无数据）"]
    columns = list(rows[0])
    out = ["  " + " | ".join(columns)]
    out += ["  " + " | ".join(_value(r.get(c, "")) for c in columns) for r in rows]
    return out


def run_demos(say: Callable[[str], None] = print, start: datetime | None = None) -> int:
    """Run every registered demo on a temporary SQLite database; returns how many ran."""
    with tempfile.TemporaryDirectory(prefix="gongzhi-demo-") as folder:
        clock = MovableClock(start or datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc))
        engine = Engine({"database_url": f"sqlite:///{Path(folder) / 'demo.sqlite3'}"}, clock=clock)
        try:
            engine.upgrade_db()
            engine.deploy()
            demos = Registry.collect(engine.pm, "gongzhi_register_demos", "demo")
            for demo in sorted(demos.values(), key=lambda d: (d.order, d.name)):
                say(f"\n══ {demo.title} ══")
                result = demo.run(engine, clock)
                for instance_id in result.instances:
                    for line in narrate(engine, instance_id):
                        say("  " + line)
                for title, rows in result.figures:
                    say(f"\n  ▸ {title}")
                    for line in _table(rows):
                        say(line)
            return len(demos)
        finally:
            engine.close()


def _spans(demos: list[Any]) -> dict[str, timedelta]:
    """How much story time each demo takes, measured on a throwaway database."""
    spans = {}
    with tempfile.TemporaryDirectory(prefix="gongzhi-demo-") as folder:
        clock = MovableClock(datetime(2026, 1, 5, 1, 0, tzinfo=timezone.utc))
        engine = Engine({"database_url": f"sqlite:///{Path(folder) / 'demo.sqlite3'}"}, clock=clock)
        try:
            engine.upgrade_db()
            engine.deploy()
            for demo in demos:
                began = clock.now()
                demo.run(engine, clock)
                spans[demo.name] = clock.now() - began
        finally:
            engine.close()
    return spans


def load_demos(config: Any, say: Callable[[str], None] = print) -> int:
    """Run every registered story on the configured database (``serve --dev --demo``), so a
    fresh console shows finished and running cases, open tasks and filled reports.

    Each story is timed so that it ends an hour ago (its length is measured first on a
    throwaway database): nothing in the demo data lies in the future. A database that
    already holds cases is left alone. Returns how many stories ran.
    """
    now = datetime.now(timezone.utc).replace(microsecond=0)
    clock = MovableClock(now)
    engine = Engine(config, clock=clock)
    try:
        engine.upgrade_db()
        engine.deploy()
        if engine.instances(SYSTEM, per_page=1).total:
            say("数据库中已有案件，未载入演示数据 (demo data not loaded: the database has cases)")
            return 0
        demos = sorted(Registry.collect(engine.pm, "gongzhi_register_demos", "demo").values(),
                       key=lambda d: (d.order, d.name))
        spans = _spans(demos)
        for demo in demos:
            clock.set(now - spans[demo.name] - timedelta(hours=1))
            demo.run(engine, clock)
            say(f"已载入演示：{demo.title}")
        return len(demos)
    finally:
        engine.close()
