"""Everything a person reads in the bundled flows is plain Chinese (issue 17, items 8 and 9).

The bundled stories (``gongzhi demo``) run for real; before each task is
completed, the test reads it as its holder would (name and rendered
instructions). Their narration, the notices sent, the report exports and the
titles of every bundled form are read too. None may show an ISO timestamp, an
ISO duration or repeating interval, or a code: a department, group or region
code of the directory, or a snake_case identifier.
"""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
from pypdf import PdfReader

from gongzhi import SYSTEM, Actor, Engine, MovableClock
from gongzhi.demo import narrate
from gongzhi.humanize import looks_like_machine_text
from gongzhi.hooks.manager import Registry
from gongzhi.plugins.property.roster import Roster
from gongzhi.plugins.whistle.directory import Directory
from gongzhi.hooks.exports import ExportHeading
from gongzhi.hooks.objects import Report

BPMN = Path(__file__).resolve().parents[1] / "bpmn"
ADMIN = Actor.of("walker", "巡检管理员", ["admin"])
SNAKE = re.compile(r"(?<![A-Za-z0-9_])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![A-Za-z0-9_])")
MACHINE_WORDS = re.compile(r"(?<![A-Za-z])(None|True|False|DecisionRule\w*)(?![A-Za-z])")
PERIOD_CODE = re.compile(r"(?<![A-Za-z0-9])\d{4}(?:[QH]\d|-\d{2})(?![A-Za-z0-9])")  # 2026年第一季度, 2026年11月


def codes() -> set[str]:
    directory = Directory.load()
    found = set(directory.departments) | set(directory.groups)
    found |= {u.path for u in directory.walk() if "/" in u.path}
    roster = Roster.load()
    return found | set(roster.compounds) | set(roster.companies)


CODES = codes()
CODE_WORD = re.compile(r"(?<![A-Za-z0-9_/])(" + "|".join(sorted(map(re.escape, CODES), key=len, reverse=True))
                       + r")(?![A-Za-z0-9_/])")


def problems(text: str) -> list[str]:
    """What in ``text`` a person should not have to read."""
    found = looks_like_machine_text(text)
    found += SNAKE.findall(text)
    found += MACHINE_WORDS.findall(text)
    found += CODE_WORD.findall(text)
    found += PERIOD_CODE.findall(text)
    return found


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[tuple[str, str]]]:
    """(where, text) for everything the bundled stories showed people."""
    folder = tmp_path_factory.mktemp("plain")
    clock = MovableClock(datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc))
    engine = Engine({"database_url": f"sqlite:///{folder / 'walk.sqlite3'}"}, clock=clock)
    texts: list[tuple[str, str]] = []
    complete = engine.complete

    def read_then_complete(task_id: str, actor: Actor, data: Any = None) -> Any:
        view = engine.task(task_id, actor)
        texts.append((f"任务名称 {view.element_id}", view.name))
        texts.append((f"任务说明 {view.element_id}", view.instructions or ""))
        return complete(task_id, actor, data)

    engine.complete = read_then_complete  # type: ignore[method-assign] - observes, the real command still runs
    try:
        engine.upgrade_db()
        engine.deploy()
        demos = Registry.collect(engine.pm, "gongzhi_register_demos", "demo")
        for demo in sorted(demos.values(), key=lambda d: (d.order, d.name)):
            result = demo.run(engine, clock)
            for instance_id in result.instances:
                texts += [(f"演示叙述 {demo.name}", line) for line in narrate(engine, instance_id)]
            for title, rows in result.figures:
                texts.append((f"演示图表 {demo.name}", title + json.dumps(rows, ensure_ascii=False)))
        texts += list(report_exports(engine))
        for plugin in engine.pm.get_plugins():
            outbox = getattr(getattr(plugin, "notifier", None), "items", None)
            for notice in outbox or ():
                texts.append((f"通知 {notice.get('kind')}", f"{notice.get('kind')}：{notice.get('text')}"))
        yield texts
    finally:
        engine.close()


# Reports the demo stories leave without rows: their headings are read all the same.
HEADINGS_ONLY = {"hotline-rates": {"month": "2026-11"}, "party-members": {"year": "2026"},
                 "party-units": {"year": "2026"}, "consultation_topics": {}, "consultation_resolution": {},
                 "consultation_implementation": {}, "consultation_satisfaction": {}}


def report_exports(engine: Engine) -> Iterator[tuple[str, str]]:
    params = {"whistle-departments": {"month": "2026-11"}, "whistle-streets": {"month": "2026-11"},
              "whistle-annual": {"year": "2026"}, "property-lists": {"period": "2027Q1", "all": "1"},
              "grid-visits": {"grid": "990101/001/001/01"}, "grid-visit-grids": {"grid": "990101/001/001/01"},
              "grid-mobilisation": {"community": "990101/001/001"}}
    for found in engine.pm.hook.gongzhi_register_reports():
        for report in found or ():
            if isinstance(report, Report) and report.name in HEADINGS_ONLY:
                yield f"报表表头 {report.name}", report.to_csv(report.run(engine, SYSTEM, **HEADINGS_ONLY[report.name]))
            if isinstance(report, Report) and report.name in params:
                rows = report.run(engine, SYSTEM, **params[report.name])
                assert rows, f"report {report.name} has no rows to read"
                yield f"报表导出 {report.name}", report.to_csv(rows)
                heading = ExportHeading.of(report.title, SYSTEM, params[report.name], engine.clock.now())
                pdf = PdfReader(io.BytesIO(report.to_pdf(rows, heading)))
                yield f"报表导出 {report.name}.pdf", "\n".join(page.extract_text() for page in pdf.pages)


def test_the_stories_showed_tasks_narration_and_reports(seen: list[tuple[str, str]]) -> None:
    kinds = {where.split(" ")[0] for where, _ in seen}
    assert {"任务名称", "任务说明", "演示叙述", "演示图表", "报表导出"} <= kinds
    assert sum(1 for where, _ in seen if where.startswith("任务说明")) > 50
    assert {where.split(" ")[1] for where, _ in seen if where.startswith("报表表头")} == set(HEADINGS_ONLY)


def test_nothing_people_read_shows_a_machine_format_or_a_code(seen: list[tuple[str, str]]) -> None:
    bad = [(where, text[:160], found) for where, text in seen if (found := problems(text))]
    assert not bad, "\n".join(f"{w}: {f} in {t}" for w, t, f in bad[:30])


def form_texts() -> Iterator[tuple[str, str]]:
    def walk(node: Any, where: str) -> Iterator[tuple[str, str]]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("title", "description") and isinstance(value, str):
                    yield where, value
                elif key == "enumNames" or key == "x-enumNames":
                    yield from ((where, str(v)) for v in value)
                else:
                    yield from walk(value, where)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item, where)

    for path in sorted(BPMN.rglob("*.json")):
        yield from walk(json.loads(path.read_text(encoding="utf-8")), path.name)


def test_form_labels_show_no_machine_format() -> None:
    bad = [(where, text) for where, text in form_texts() if looks_like_machine_text(text) or "ISO" in text]
    assert not bad, bad


def test_every_bundled_rule_says_what_it_does() -> None:
    """The audit trail and the demo tell a decision by its rule's description: none reads 第 N 条规则."""
    from xml.etree import ElementTree

    ns = {"dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/"}
    rules = [(path.name, rule) for path in sorted(BPMN.rglob("*.dmn"))
             for rule in ElementTree.parse(path).getroot().iterfind(".//dmn:rule", ns)]
    assert len(rules) > 100  # every bundled table was read (one DMN namespace)
    bare = [f"{name}: {rule.get('id')}" for name, rule in rules if not (rule.findtext("dmn:description", "", ns) or "").strip()]
    assert bare == []
