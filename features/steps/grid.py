"""Steps for the grid: where a report lies (坐标定位、街道指定网格), grid members' tasks, grid reports.

A report "at a point" is posted the way a city app posts it, through Open311 (``lat``/``long``,
no grid given), so the directory's locate and the intake's fallbacks run as in production.
"""

from __future__ import annotations

from typing import Any

from gongzhi import Actor
from gongzhi.grid import Location, of as grid_directory

from .open311 import API_KEY, JURISDICTION, OPEN311
from .vocabulary import NUMBER, PLACEHOLDERS, 词
from .world import Case, World, problem_text

# Coordinates in degrees (WGS84 in the bundled 青禾区), longitude first as on a map.
PLACEHOLDERS.setdefault("经度", ("lon", NUMBER))
PLACEHOLDERS.setdefault("纬度", ("lat", NUMBER))
SERVICE = "SR-ZD"  # the app's service for a report at a point; the text says what it is
MOBILE = "13800138000"
GROUP_PREFIX = "grid_member_"
# What people read for each way a case was located (the engine's, plus the street's assignment).
METHOD_NAMES = {**Location.METHODS, "street_assigned": "街道指定网格"}


def _report_at(world: World, lon: str, lat: str, text: str, expect_success: bool) -> None:
    form = {"api_key": API_KEY, "jurisdiction_id": JURISDICTION, "service_code": SERVICE, "lat": lat, "long": lon,
            "phone": MOBILE, "description": text}
    world.response = world.client.post(f"{OPEN311}/requests.json", data=form)
    if world.response.status_code >= 300:
        assert not expect_success, f"诉求被拒绝（{world.response.status_code}）：{problem_text(world.response)}"
        return
    world.case = Case(str(world.response.get_json()[0]["service_request_id"]), "whistle_dispatch")
    world.worker()


@词('在坐标 {经度},{纬度} 反映 "{文字}"')
def report_at(world: World, lon: str, lat: str, text: str) -> None:
    _report_at(world, lon, lat, text, True)


@词('尝试在坐标 {经度},{纬度} 反映 "{文字}"')
def try_report_at(world: World, lon: str, lat: str, text: str) -> None:
    _report_at(world, lon, lat, text, False)


def _located(world: World) -> dict[str, Any]:
    located = world.instance().get("variables", {}).get("located")
    assert isinstance(located, dict), "当前案件没有定位记录（located）：它不是按坐标或地址受理的"
    return located


@词("案件归属 {地区}")
def case_region(world: World, region: str) -> None:
    actual = world.instance()["region"]
    expected = world.glossary.region(region)
    assert actual == expected, f"案件归属 {world.glossary.directory.name_of(actual) or actual}，不是 {region}"


@词("案件定位到 {地区}")
def located_at(world: World, region: str) -> None:
    actual = _located(world)["region"]
    assert actual == world.glossary.region(region), \
        f"案件定位到 {world.glossary.directory.name_of(actual) or actual}，不是 {region}"


@词('定位方式为 "{文字}"')
def located_by(world: World, text: str) -> None:
    located = _located(world)
    actual = located.get("method_name") or METHOD_NAMES.get(str(located.get("method")), str(located.get("method")))
    assert actual == text, f"定位方式是“{actual}”，不是“{text}”"


@词("定位结果包括专属网格 {地区}")
def located_in_overlay(world: World, region: str) -> None:
    overlays = list(_located(world).get("overlays") or [])
    names = "、".join(world.glossary.directory.name_of(p) or p for p in overlays) or "无"
    assert world.glossary.region(region) in overlays, f"定位结果中的专属网格是：{names}"


@词('切换到 {地区} 网格员的 "{流程}" 待办')
def switch_to_member_task(world: World, region: str, process: str) -> None:
    """Log in as the grid member with an open task of the process there (a task of that very region,
    else of a member who holds a role on it), and make its case the current one."""
    key, path = world.process_key(process), world.glossary.region(region)
    tasks = [t for t in world.get("/tasks", world.admin, per_page=200)["items"] if t["process_key"] == key]
    holders = {f"{GROUP_PREFIX}{m.id}" for m in grid_directory(world.engine).members_of(path)}
    mine = [t for t in tasks if t["region"] == path] or [t for t in tasks if holders & set(t["candidate_groups"])]
    assert mine, f"{region} 没有网格员有“{process}”的待办"
    task = sorted(mine, key=lambda t: (t["created_at"], t["id"]))[0]
    group = next((g for g in task["candidate_groups"] if g.startswith(GROUP_PREFIX)), task["candidate_groups"][0])
    world.actor = Actor.of(group.removeprefix(GROUP_PREFIX), "网格员", [group, "grid"], task["region"])
    world.case = Case(task["instance_id"], key)


@词('查看报表 "{报表}"')
def open_report_now(world: World, report: str) -> None:
    """A report read as it stands now, without a period (the grid reports: the rounds and mobilisations so far)."""
    actor = world.current_actor()
    listed = world.get("/reports", actor)["items"]
    names = [r["name"] for r in listed if report in (r["name"], r.get("title"))]
    assert names, f"没有报表“{report}”。可用：{'、'.join(r.get('title', r['name']) for r in listed)}"
    world.response = world.client.get(f"/api/v1/reports/{names[0]}", headers=world.headers(actor))
    assert world.response.status_code < 300, f"报表打不开（{world.response.status_code}）：{problem_text(world.response)}"
    data = world.response.get_json()["data"]
    world.report = data if isinstance(data, list) else [data]
