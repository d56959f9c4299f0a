"""The grid's visits and mobilisation told by ``gongzhi demo`` (issue 18 item 10, issue 19 demo data).

翠苑社区 starts 定期走访 for 翠苑一网格; a month later the first round gives each grid member their
households and shops. Three members visit theirs; one finds a broken unit door (a whistle case in the
same step); the community then stops the schedule. The same community starts an 入户组织动员 before a
cold wave: four micro-grids confirm the households reached, the fifth lets the deadline pass. Then the
visit coverage and the mobilisation coverage, so the reports ``grid-visits``, ``grid-visit-grids`` and
``grid-mobilisation`` have rows.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gongzhi import SYSTEM, Actor, Demo, DemoResult, Engine, MovableClock
from gongzhi.grid import of as grid_of
from gongzhi.humanize import percent

from .reports import HEADINGS, MOBILISATION_HEADINGS, grid_rows, mobilisation_rows, visit_rows
from .services import member_group

__all__ = ["demos"]

GRID = "990101/001/001/01"  # 翠苑一网格: five micro-grids and a shop
COMMUNITY_CODE = "990101/001/001"
COMMUNITY = Actor.of("comm1", "翠苑社区主任", ["community"], COMMUNITY_CODE)
# (member, target, visit form): who visits what in the first round. 王桂兰 and 褚丽华 have not yet gone.
VISITS = (
    ("G0004", "H0101", {"found": True, "description": "单元门禁损坏，独居老人夜间出入不便", "category": "物业管理"}),
    ("G0004", "H0102", {"found": False}),
    ("G0006", "H0301", {"found": False}),
    ("G0006", "H0401", {"found": False}),
    ("G0002", "S0101", {"found": False}),
)
STOP = {"stop_reason": "翠苑一网格微网格调整，按新名单重新排程"}
MOBILISATION = {"community": COMMUNITY_CODE, "subject": "寒潮来临，逐户通知独居老人和困难家庭做好防寒", "urgency": "一般"}
# (member, micro-grid, households reached): who confirms, in order; 第五微网格 (褚丽华) lets the deadline pass.
REACHED = (("G0004", "990101/001/001/01/01", 84), ("G0005", "990101/001/001/01/02", 80),
           ("G0006", "990101/001/001/01/03", 82), ("G0006", "990101/001/001/01/04", 75))
VISIT_FIGURES = ("member_name", "targets", "visited", "findings", "cases", "coverage")
GRID_FIGURES = ("grid_name", "members", "targets", "visited", "findings", "cases", "coverage")
MOBILISATION_FIGURES = ("micro_grid_name", "member_name", "households", "reached", "coverage", "status")


class _Story:
    def __init__(self, engine: Engine, clock: MovableClock) -> None:
        self.engine, self.clock = engine, clock
        self.grids = grid_of(engine)

    def person(self, member: str) -> Actor:
        found = self.grids.members[member]
        return Actor.of(member, f"网格员{found.name}", [member_group(member), "grid"], found.community)

    def later(self, **delta: float) -> None:
        """Time passes: due timers fire and background jobs run, as the worker would.

        Fixed steps, never "until nine tomorrow": ``serve --dev --demo`` measures the story's length once
        and replays it to end an hour ago, which holds only if the length does not depend on the hour it starts.
        """
        self.clock.advance(timedelta(**delta))
        self.engine.fire_due_timers()
        self.engine.run_due_jobs()

    def task_of(self, iid: str, actor: Actor) -> Any:
        [task] = self.engine.tasks(actor, instance_id=iid).items
        return task

    def run(self) -> DemoResult:
        schedule, rounds, cases = self.visit_round()
        mobilisation, micro = self.mobilise()
        return DemoResult([schedule, *rounds, *cases, mobilisation, *micro], self._figures(schedule, mobilisation))

    def visit_round(self) -> tuple[str, list[str], list[str]]:
        """The schedule, its first round's visit cases (those with visits), and the whistle cases of findings."""
        self.later(hours=12, minutes=30)  # after the grid whistle story (20:30 in ``gongzhi demo``): 09:00
        schedule = self.engine.start("grid_visit_schedule", COMMUNITY, {"grid": GRID}, region=COMMUNITY_CODE).id
        self.later(days=31)  # the monthly cycle timer starts the first round
        round_cases = self.engine.instance(schedule, SYSTEM).variables["round_cases"]
        by_member = {self.engine.instance(c, SYSTEM).variables["member"]: c for c in round_cases}
        for member, target, form in VISITS:
            self.later(hours=1, minutes=20)
            iid = by_member[member]
            self.engine.complete(self.task_of(iid, self.person(member)).id, self.person(member), {"target": target, **form})
            self.engine.run_due_jobs()  # a finding is opened as a whistle case by an asynchronous step
        self.later(hours=17, minutes=20)  # the next morning
        self.engine.correlate("grid_visit_schedule_stop", COMMUNITY, STOP, instance_id=schedule)
        visited = [by_member[m] for m in dict.fromkeys(m for m, _, _ in VISITS)]
        opened = [c["case_id"] for iid in visited for c in self.engine.instance(iid, SYSTEM).variables["cases"]]
        return schedule, visited, opened

    def mobilise(self) -> tuple[str, list[str]]:
        """The mobilisation and its micro-grid cases; the last micro-grid's deadline passes unconfirmed."""
        self.later(days=1)
        mobilisation = self.engine.start("grid_mobilisation", COMMUNITY, MOBILISATION, region=COMMUNITY_CODE).id
        self.engine.run_due_jobs()
        micro = {self.engine.instance(c, SYSTEM).variables["micro_grid"]: c
                 for c in self.engine.instance(mobilisation, SYSTEM).variables["micro_cases"]}
        for member, micro_grid, count in REACHED:
            self.later(minutes=30)
            actor = self.person(member)
            self.engine.complete(self.task_of(micro[micro_grid], actor).id, actor,
                                 {"reached_count": count, "note": "已逐户上门或电话告知"})
        self.later(minutes=45)  # half an hour before the deadline: the reminder
        self.later(minutes=30)  # past the deadline: the open task is closed as 逾期未确认 and the community told
        return mobilisation, [micro[m] for m in sorted(micro)]

    def _figures(self, schedule: str, mobilisation: str) -> list[tuple[str, list[dict[str, Any]]]]:
        members = [self._row(r, VISIT_FIGURES, HEADINGS)
                   for r in sorted(visit_rows(self.engine, SYSTEM, grid=GRID), key=lambda r: r["member"])]
        grids = [self._row(r, GRID_FIGURES, HEADINGS) for r in grid_rows(self.engine, SYSTEM, grid=GRID)]
        reached = [self._row(r, MOBILISATION_FIGURES, MOBILISATION_HEADINGS)
                   for r in mobilisation_rows(self.engine, SYSTEM, mobilisation=mobilisation)]
        return [("网格员走访覆盖（第一轮）", members), ("网格走访覆盖（第一轮）", grids), ("入户组织动员进度", reached)]

    @staticmethod
    def _row(row: dict[str, Any], keys: tuple[str, ...], headings: dict[str, str]) -> dict[str, Any]:
        """A report row as people read it: Chinese headings, names (not codes), percentages."""
        return {headings[k]: percent(row[k]) if k == "coverage" else row[k] for k in keys}


def demos() -> list[Demo]:
    return [Demo("grid-visits", "网格走访与入户组织动员：翠苑一网格每月走访、走访发现问题立案、寒潮入户动员",
                 lambda e, c: _Story(e, c).run(), order=50)]
