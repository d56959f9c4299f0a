"""网格吹哨与四员联动 steps: grid people log in by their directory name, the 四员 work their tasks, the notices
and the report ``grid-whistles`` are read — all through the HTTP API, as the other steps do."""

from __future__ import annotations

from typing import Any

from gongzhi import Actor
from gongzhi.grid import Member
from gongzhi.grid import of as grid_of

from .vocabulary import 词
from .world import World

REPORT = "grid-whistles"
# What a 四员 member fills in, step by step, when the scenario does not care.
STEPS = (("签收", {}), ("到场报到", {"onsite_situation": "已到场查看"}),
         ("处置反馈", {"measures": "现场协调处置", "outcome": "已解决"}))


def _member(world: World, who: str) -> Member:
    """A grid person by directory id (G0008) or name (卫东)."""
    people = grid_of(world.engine).members
    found = people.get(who) or next((p for p in people.values() if p.name == who), None)
    assert found is not None, f"网格目录中没有“{who}”"
    return found


def _actor(world: World, who: str) -> Actor:
    person = _member(world, who)
    grid = next((a.grid for a in person.assignments), person.community)
    return Actor.of(person.id, person.name, [f"grid_member_{person.id}", "grid"], grid)


@词('网格人员 "{文字}" 登录')
def grid_login(world: World, text: str) -> None:
    """Log in as a person of the grid directory: their own group ``grid_member_<id>``, their grid as region."""
    world.actor = _actor(world, text)


@词('网格人员 "{文字}" 签收、到场报到并反馈')
def joint_member_works(world: World, text: str) -> None:
    """Their 签收, 到场报到 and 处置反馈 of the current case, one after another, with ordinary content."""
    actor = _actor(world, text)
    for name, data in STEPS:
        world.complete(name, data, actor)


@词('四员联动小组为 "{文字}"')
def joint_team_is(world: World, text: str) -> None:
    team = world.variables().get("joint_team") or []
    shown = "、".join(f"{m['role_name']}{_member(world, m['member']).name}" for m in team)
    assert shown == text, f"四员联动小组是“{shown}”"


def _notices(world: World, kind: str, to: str) -> list[dict[str, Any]]:
    notifier = world.engine.pm.get_plugin("grid").notifier
    target = "community" if to == "社区" else f"grid_member_{_member(world, to).id}"
    case = world.current_case().id
    return [n for n in notifier.items if n["instance_id"] == case and n["kind"] == kind and n["to"] == target]


@词('网格通知：{角色} 收到 {数量} 条 "{种类}"')
def grid_notices(world: World, role: str, number: str, kind: str) -> None:
    """``{角色}``: ``社区`` or a grid person's name; counts the current case's notices only."""
    found = _notices(world, kind, role)
    assert len(found) == int(number), f"{role} 收到“{kind}” {len(found)} 条：{[n['text'] for n in found]}"


@词("查看网格吹哨报表")
def open_grid_report(world: World) -> None:
    """The report ``grid-whistles`` as the current actor; its columns are read by their Chinese headings."""
    from gongzhi.plugins.grid.whistle_reports import HEADINGS

    data = world.get(f"/reports/{REPORT}", world.current_actor())["data"]
    # A heading the glossary already maps (terms.yaml 报表指标, e.g. 按时签收率) is read under the name it maps to.
    world.report = [{**row, **{world.glossary.metric(HEADINGS[k]): v for k, v in row.items() if k in HEADINGS}}
                    for row in data]
