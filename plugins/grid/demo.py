"""The grid story told by ``gongzhi demo``.

A resident reports through WeChat, with the phone's coordinates, that the stairwell of 3 栋 is piled with
cartons and blocks the fire escape. The point is located in 翠苑一网格; its 专职网格员 whistles (网格吹哨);
the DMN proposes 四员联动, the community confirms; the grid member, 网格警务, 网格法律 and 网格卫生 each sign
in, arrive and feed back; the community accepts the result. Then the grid's figures.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gongzhi import SYSTEM, Actor, Demo, DemoResult, Engine, MovableClock
from gongzhi.grid import of as grid_of
from gongzhi.humanize import percent

from .services import member_group
from .whistle_reports import HEADINGS, whistle_rows

__all__ = ["demos"]

POINT = (120.125, 30.221)  # the resident's phone, in 翠苑一网格
REPORT = {"subject": "楼道堆放纸箱堵塞消防通道", "description": "3 栋一楼到三楼楼道堆满纸箱，消防通道被堵",
          "category": "治安消防", "urgency": "一般", "address": "翠苑路12号3栋",
          "reporter_name": "王秀英", "reporter_mobile": "13800138000"}
COMMUNITY = Actor.of("comm1", "翠苑社区主任", ["community"], "990101/001/001")
STEPS = (("sign", {"note": "收到，马上到场"}), ("arrive", {"onsite_situation": "楼道纸箱约二十箱，属三户居民"}),
         ("feedback", {"measures": "劝导三户居民当场清理，张贴消防提示", "outcome": "已解决"}))
FIGURES = ("grid_name", "whistles", "joint", "joint_members", "sign_rate", "arrive_rate", "closed")


class _Story:
    def __init__(self, engine: Engine, clock: MovableClock) -> None:
        self.engine, self.clock = engine, clock
        self.grids = grid_of(engine)

    def person(self, member: str, role: str) -> Actor:
        found = self.grids.members[member]
        return Actor.of(member, f"{role}{found.name}", [member_group(member), "grid"], found.community)

    def locate(self) -> tuple[str, str]:
        """The grid holding the resident's point, and its 专职网格员 (the grid's own worker)."""
        where = self.grids.locate(*POINT)
        grid = next(u for u in where.grids if u.level == "grid" and not u.dedicated)
        worker = next(p.id for p in self.grids.members_of(grid.path)
                      if any(a.grid == grid.path and a.role == "full_time" for a in p.assignments))
        return grid.path, worker

    def do(self, iid: str, actor: Actor, element: str, data: dict[str, Any], minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))
        self.engine.fire_due_timers()
        [task] = [t for t in self.engine.tasks(actor, instance_id=iid).items if t.element_id == element]
        self.engine.complete(task.id, actor, data)

    def run(self) -> DemoResult:
        grid, worker = self.locate()
        member = self.person(worker, "网格员")
        iid = self.engine.start("grid_whistle", member, {**REPORT, "grid": grid, "member": worker,
                                                         "lon": POINT[0], "lat": POINT[1]}, region=grid).id
        self.do(iid, COMMUNITY, "confirm_level", {"level": "四员联动", "reason": "堵塞消防通道，请网格警务一同到场"}, 20)
        team = self.engine.instance(iid, SYSTEM).variables["joint_team"]
        for element, data in STEPS:
            for mate in team:
                self.do(iid, self.person(mate["member"], mate["role_name"]), element, data, 10)
        self.do(iid, COMMUNITY, "accept", {"accepted": True, "opinion": "楼道已清空，消防通道畅通"}, 60)
        return DemoResult([iid], self._figures(iid))

    def _figures(self, iid: str) -> list[tuple[str, list[dict[str, Any]]]]:
        place = self.engine.instance(iid, SYSTEM).variables["place"]
        located = [{"反映渠道": "微信", "定位方式": place["located_by"], "所属网格": place["grid_name"],
                    "所属社区": place["community_name"], "吹哨网格员": place["member_group"]}]
        rows = [{HEADINGS.get(k, k): percent(r[k]) if k.endswith("_rate") else r[k] for k in FIGURES}
                for r in whistle_rows(self.engine, SYSTEM)]
        return [("微信反映按坐标定位", located), ("网格吹哨与四员联动", rows)]


def demos() -> list[Demo]:
    return [Demo("grid-whistle", "网格吹哨：居民微信反映，按坐标定位到网格，四员联动，社区验收", lambda e, c: _Story(e, c).run(), order=40)]
