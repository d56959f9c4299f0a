"""``gongzhi demo``: run each registered story on a throwaway SQLite database and tell it.

The narrative is read back from the audit trail — who did what, when, with
which data — so it shows what the engine recorded, not what the story meant to do.
"""

from __future__ import annotations

import re
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Mapping

from sqlalchemy import select

from .clock import MovableClock
from .humanize import NONE, beijing, name_of, plain, reference_time
from .security.identity import SYSTEM
from .hooks.manager import Registry
from .runtime.engine import Engine
from .store.models import Instance, TaskRow

__all__ = ["run_demos", "narrate", "load_demos"]

ACTIONS = {
    "start": "发起", "complete": "完成", "claim": "认领", "timer": "计时到期", "message": "收到消息",
    "service": "后台调用完成", "service_call": "调用服务", "decision": "规则判定", "cancel": "撤销",
    "completed": "办结", "cancelled": "已撤销", "incident_retry": "重试故障",
}


HEADS = ("name", "title", "who")  # fields that name a record: stored records come back with sorted keys
_CODE = re.compile(r"[a-z][a-z0-9_]+")  # codes are lowercase identifiers: council, party_org


def _when(iso: str, now: datetime) -> str:
    return beijing(iso, now=now)


def _shown(value: Any) -> bool:
    """False for a code meant for machines (an ASCII identifier with no name in the directory):
    people read the label or name beside it, never ``party_org`` or ``council``."""
    return not (isinstance(value, str) and _CODE.fullmatch(value) and name_of(value) == value and plain(value) == value)


def _value(value: Any, titles: Mapping[str, str] | None = None) -> str:
    """A value as people read it: names for codes, "无" for nothing, "陈红（参与方类型：社区党组织）" for a record."""
    if isinstance(value, list):
        return "、".join(_value(v, titles) for v in value) or NONE
    if isinstance(value, dict):
        parts = [(k, v) for k, v in value.items() if _shown(v) and v is not None]
        parts.sort(key=lambda kv: kv[0] not in HEADS)  # a record is told by its name or title, when it has one
        if not parts:
            return NONE
        head, rest = _value(parts[0][1]), [f"{(titles or {}).get(k, k)}：{_value(v)}" for k, v in parts[1:]]
        return head + (f"（{'；'.join(rest)}）" if rest else "")
    if isinstance(value, str) and name_of(value) != value:
        return name_of(value)  # a code of the directory (department, region, compound …)
    text = plain(value)
    return text if len(text) <= 40 else text[:39] + "…"


class _Decisions:
    """Rule descriptions and output labels of the deployed decisions, to tell a decision in words."""

    def __init__(self, engine: Engine) -> None:
        self.by_id = {d["id"]: d for d in engine.decisions()}

    def tell(self, decision_id: str, matched: list[str], result: Any) -> str:
        described = self.by_id.get(decision_id) or {}
        rules = {r["id"]: r for r in described.get("rules") or ()}
        why = "、".join(rules[r]["description"] or f"第 {rules[r]['number']} 条规则" if r in rules else "一条规则"
                       for r in matched) or "没有规则命中"
        labels = {o["name"]: o["label"] or o["name"] for o in described.get("outputs") or ()}
        if isinstance(result, dict):
            told = "；".join(f"{labels.get(k, k)}：{_value(v)}" for k, v in result.items() if _shown(v))
        else:
            told = _value(result)
        return f"依据「{why}」→ {told or NONE}"


def _labels(engine: Engine, instance_id: str) -> tuple[dict[str, str], dict[str, dict[str, Any]], str]:
    """Element names, form fields (title and, for lists of records, the records' titles) by task id,
    and the process name of an instance."""
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
        fields[task.id] = {k: (v.get("title", k), _item_titles(v)) for k, v in props.items()}
    return names, fields, bundle.name


def _item_titles(schema: Mapping[str, Any]) -> dict[str, str]:
    items = schema.get("items") if isinstance(schema.get("items"), dict) else schema
    return {k: v.get("title", k) for k, v in (items.get("properties") or {}).items() if isinstance(v, dict)}


def narrate(engine: Engine, instance_id: str) -> list[str]:
    """The instance's audit trail as Chinese sentences (times shown with the year when not the clock's year)."""
    with reference_time(engine.clock.now()):
        return _narrate(engine, instance_id)


def _narrate(engine: Engine, instance_id: str) -> list[str]:
    names, fields, process = _labels(engine, instance_id)
    decisions, now = _Decisions(engine), engine.clock.now()
    lines = []
    for event in engine.history(instance_id, SYSTEM):
        who = event["actor"]["name"] or name_of(event["actor"]["id"])
        what = ACTIONS.get(event["action"], "处理")
        element = names.get(event.get("element_id") or "", "")
        line = f"{_when(event['at'], now)}  {who} {what}"
        if event["action"] == "start":
            line += f"「{process}」"
        elif event["action"] == "decision":
            told = decisions.tell(event.get("decision_id") or "", event.get("matched_rules") or [], event.get("result"))
            line += f"「{element}」：{told}"
        elif element:
            line += f"「{element}」"
        data = event.get("data") if event["action"] == "complete" else None
        if data:
            titles = fields.get(event.get("task_id") or "", {})
            shown = [f"{titles.get(k, (k, {}))[0]}：{_value(v, titles.get(k, (k, {}))[1])}"
                     for k, v in data.items() if _shown(v)][:4]
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
