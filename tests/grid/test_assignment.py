"""A point in the district but in no grid: the street assigns the case to one of its grids (issue 19, item 2).

Real engine, real SQLite, the bundled 青禾区: (120.125, 30.2135) is 东湖街道's lakeside, inside the
street's polygon and in no grid.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

import pytest
from flask.testing import FlaskClient

from gongzhi import Actor, Engine, FormValidationError, InvalidInput, MovableClock, bpmn_package_path
from gongzhi.calendar import CST
from gongzhi.errors import UnknownTask
from gongzhi.grid import locate

from .conftest import at

API = "/api/v1"
LAKE = (120.125, 30.2135)  # 东湖街道, in no grid
STREET = Actor.of("s-1", "东湖街道吹哨中心", ["street"], "990101/001")
OTHER_STREET = Actor.of("s-2", "西溪街道吹哨中心", ["street"], "990101/002")
HUPAN_COMMUNITY = Actor.of("c-2", "湖畔社区工作人员", ["community"], "990101/001/002")
CUIYUAN_COMMUNITY = Actor.of("c-1", "翠苑社区工作人员", ["community"], "990101/001/001")
ADMIN = Actor.of("admin", "管理员", ["admin"])
HUPAN_GRID = "990101/001/002/01"  # 湖畔一网格, 东湖街道
FENGLIN_GRID = "990101/002/002/01"  # 枫林一网格, 西溪街道
INTAKE: dict[str, Any] = {
    "channel": "政务门户", "category_l1": "市容环境", "category_l2": "垃圾堆放", "category_l3": "建筑垃圾",
    "case_type": "投诉", "description": "湖边步道旁堆放建筑垃圾", "address": "东湖湖滨步道",
    "reporter_name": "李四", "reporter_mobile": "13800138001", "urgency": "一般", "emergency": "无",
}


@pytest.fixture
def engine(make_engine: Callable[..., Engine], clock: MovableClock) -> Engine:
    clock.set(datetime(2025, 3, 3, 9, 0, tzinfo=CST))
    made = make_engine()
    made.deploy([bpmn_package_path() / "whistle"])
    return made


def start_in_street(engine: Engine) -> Any:
    """What intake does with the lakeside point: the case starts in the street, ``grid`` the street's path."""
    where = locate(engine, *LAKE)
    assert (where.method, where.region) == ("street", "990101/001")
    return engine.start("whistle_dispatch", ADMIN, {**INTAKE, "grid": where.region, "located": where.as_dict()},
                        region=where.region)


def open_task(engine: Engine, instance_id: str, element_id: str) -> Any:
    [task] = [t for t in engine.tasks(ADMIN, instance_id=instance_id).items if t.element_id == element_id]
    return task


def narrowings(engine: Engine, instance_id: str) -> list[Any]:
    return list(engine.read.events(ADMIN, "whistle_dispatch", since=datetime(2025, 1, 1, tzinfo=CST),
                                   actions="region_narrowed", instance_ids=[instance_id]).items)


def test_a_case_in_no_grid_waits_for_the_street_and_moves_to_the_grid_it_picks(engine: Engine) -> None:
    case = start_in_street(engine)
    assert case.region == "990101/001"
    task = open_task(engine, case.id, "assign_grid")
    assert (task.candidate_groups, task.region) == (["street"], "990101/001")
    # Due in grid_assignment_limits' 1 working day (本地默认值): Monday 09:00 → Tuesday 09:00.
    assert task.due_at.astimezone(CST) == datetime(2025, 3, 4, 9, 0, tzinfo=CST)
    # The form offers the street's general grids, and only them (no dedicated overlay, no other street).
    served = engine.task(task.id, STREET).form["properties"]["grid"]["oneOf"]
    offered = {c["const"]: c["title"] for c in served}
    assert offered[HUPAN_GRID] == "湖畔社区 湖畔一网格" and "990101/001/001/01" in offered
    assert all(code.startswith("990101/001/") and code.count("/") == 3 for code in offered)
    assert "990101/001/002/03" not in offered  # 青禾实验小学 专属网格: an overlay, never a primary region
    assert not engine.instances(HUPAN_COMMUNITY).items  # not yet in the community's grid

    done = engine.complete(task.id, STREET, {"grid": HUPAN_GRID, "assign_reason": "湖滨步道由湖畔社区日常巡查"})
    assert done.region == HUPAN_GRID
    variables = engine.instance(case.id, ADMIN).variables
    located = variables["located"]
    assert (located["method"], located["method_name"], located["region"]) == ("street_assigned", "街道指定网格", HUPAN_GRID)
    assert (located["assigned_by"], located["reason"]) == ({"id": "s-1", "name": "东湖街道吹哨中心"}, "湖滨步道由湖畔社区日常巡查")
    assert located["located_before"]["method"] == "street" and located["street"] == "990101/001"
    assert (variables["grid"], variables["location"]["known"], variables["location"]["grid_name"]) == (
        HUPAN_GRID, True, "湖畔一网格")
    # The case goes on as if it had been located there: triage, then the community of the grid.
    nxt = [t for t in engine.tasks(ADMIN, instance_id=case.id).items]
    assert nxt and all(t.region == HUPAN_GRID for t in nxt)
    assert [i.id for i in engine.instances(HUPAN_COMMUNITY).items] == [case.id]
    assert not engine.instances(CUIYUAN_COMMUNITY).items  # the street's other community sees nothing
    narrowed = narrowings(engine, case.id)
    assert [(r.region_from, r.region_to, r.actor_id) for r in narrowed] == [("990101/001", HUPAN_GRID, "s-1")]


def test_a_grid_of_another_street_or_an_unknown_code_is_a_field_error_and_nothing_moves(engine: Engine) -> None:
    case = start_in_street(engine)
    task = open_task(engine, case.id, "assign_grid")
    for bad in (FENGLIN_GRID, "990101/001/009/09", "990101/001/002/03", "东湖"):
        with pytest.raises(FormValidationError) as refused:
            engine.complete(task.id, STREET, {"grid": bad})
        assert {e["field"] for e in refused.value.errors} == {"grid"}, bad
    assert engine.instance(case.id, ADMIN).region == "990101/001"
    assert open_task(engine, case.id, "assign_grid").id == task.id
    with pytest.raises(UnknownTask):  # another street's staff cannot even see the task
        engine.complete(task.id, OTHER_STREET, {"grid": FENGLIN_GRID})


def test_a_case_located_in_a_grid_runs_as_before(engine: Engine) -> None:
    case = engine.start("whistle_dispatch", ADMIN, {**INTAKE, "grid": HUPAN_GRID}, region=HUPAN_GRID)
    assert not [t for t in engine.tasks(ADMIN, instance_id=case.id).items if t.element_id == "assign_grid"]
    variables = engine.instance(case.id, ADMIN).variables
    assert "located" not in variables and "region_move" not in variables
    assert not narrowings(engine, case.id)


def test_narrowing_refuses_a_region_outside_the_case(engine: Engine) -> None:
    """The engine's operator itself: only a region strictly inside the case's own."""
    from gongzhi.hooks.builtin import _narrow_region
    from gongzhi.hooks.objects import ServiceCall
    from gongzhi.spiff.script_engine import CommandLog, current_log

    def call(region: str) -> Any:
        token = current_log.set(CommandLog(instance_id="x", region="990101/001"))
        try:
            return _narrow_region(ServiceCall("gongzhi.narrow_region", {"region": region}, "x", "e", {},
                                              datetime.now(CST)))
        finally:
            current_log.reset(token)

    assert call(HUPAN_GRID) == {"from": "990101/001", "to": HUPAN_GRID}
    for bad in (FENGLIN_GRID, "990101/001", "990101", ""):
        with pytest.raises(InvalidInput) as refused:
            call(bad)
        assert "不在案件当前区域" in str(refused.value)


# --- over HTTP: an Open311 request at the lakeside, the street's task through the generic routes --------------

API_KEY = "test-key"


@pytest.fixture
def open311(make_engine: Callable[..., Engine], clock: MovableClock) -> tuple[Engine, FlaskClient]:
    from gongzhi.adapters.open311 import Open311Adapter
    from gongzhi.api import create_app
    from gongzhi.plugins.whistle import Outbox, WhistlePlugin

    clock.set(datetime(2025, 3, 3, 9, 0, tzinfo=CST))
    adapter = Open311Adapter({"jurisdiction_id": "qinghe.example.cn", "api_keys": {API_KEY: "城市服务 App"},
                              "default_grid": "990101/001/001/01"})
    made = make_engine(plugins=[WhistlePlugin(notifier=Outbox()), adapter],
                       disable_plugins=["whistle", "open311", "hotline12345", "wechat", "webhook"])
    made.deploy([bpmn_package_path() / "whistle"])
    return made, create_app(engine=made, setup=False).test_client()


def report(client: FlaskClient, lon: float, lat: float) -> Any:
    return client.post("/adapters/open311/requests.json", data={
        "api_key": API_KEY, "jurisdiction_id": "qinghe.example.cn", "service_code": "HJ-YY",
        "lat": str(lat), "long": str(lon), "phone": "13800138000", "description": "湖边餐馆油烟直排，影响散步居民"})


def test_an_open311_point_in_no_grid_starts_in_the_street_not_the_default_grid(
        open311: tuple[Engine, FlaskClient], auth: Callable[..., dict[str, str]]) -> None:
    engine, client = open311
    posted = report(client, *LAKE)
    assert posted.status_code == 201, posted.data
    case = engine.instance(posted.get_json()[0]["service_request_id"], ADMIN)
    located = case.variables["located"]
    assert (case.region, case.variables["grid"], located["method"]) == ("990101/001", "990101/001", "street")
    [task] = client.get(f"{API}/tasks", headers=auth(STREET)).get_json()["items"]
    assert task["element_id"] == "assign_grid" and task["name"] == "指定网格"
    detail = client.get(f"{API}/tasks/{task['id']}", headers=auth(STREET)).get_json()
    assert HUPAN_GRID in [c["const"] for c in detail["form"]["properties"]["grid"]["oneOf"]]

    wrong = client.post(f"{API}/tasks/{task['id']}/complete", json={"data": {"grid": FENGLIN_GRID}}, headers=auth(STREET))
    assert wrong.status_code == 422 and wrong.mimetype == "application/problem+json"
    assert [e["field"] for e in wrong.get_json()["errors"]][:1] == ["grid"]
    assert engine.instance(case.id, ADMIN).region == "990101/001"

    done = client.post(f"{API}/tasks/{task['id']}/complete", json={"data": {"grid": HUPAN_GRID}}, headers=auth(STREET))
    assert done.status_code == 200, done.get_json()
    assert engine.instance(case.id, ADMIN).region == HUPAN_GRID
    community = client.get(f"{API}/process-instances", headers=auth(HUPAN_COMMUNITY)).get_json()["items"]
    assert [c["id"] for c in community] == [case.id]
    # A point in a grid still goes straight to it; the street has nothing to assign.
    inside = report(client, 120.121, 30.2185)
    assert engine.instance(inside.get_json()[0]["service_request_id"], ADMIN).region == "990101/001/001/01"
    assert not [t for t in client.get(f"{API}/tasks", headers=auth(STREET)).get_json()["items"]
                if t["element_id"] == "assign_grid"]


# --- what intake makes of a location (adapters.inbound.grid_of), on the small test map ------------------------


def test_intake_sends_a_point_in_no_grid_to_its_street_and_keeps_default_grid_for_the_district(district: Any) -> None:
    from gongzhi.adapters.inbound import Refused, grid_of
    from gongzhi.grid import GridDirectory



    grids = GridDirectory.load(district.write())
    assert grid_of(grids, *at(0.001, 0.006), None)[0] == "990199/01/001/01"
    assert grid_of(grids, *at(0.001, 0.001), None)[0] == "990199/01/001/01"  # a micro-grid's case is its grid's
    street, located = grid_of(grids, *at(0.007, 0.009), None)  # the strip above 桃园二网格: no grid
    assert (street, located["method"], located["region"]) == ("990199/01", "street", "990199/01")
    nowhere, located = grid_of(grids, *at(0.015, 0.011), None)  # the band above both streets, no default street
    assert (nowhere, located["method"]) == (None, "district")  # the adapter's default_grid, the last resort
    district.tree["grid"]["default_street"] = "990199/02"
    street, located = grid_of(GridDirectory.load(district.write()), *at(0.015, 0.011), None)
    assert (street, located["method"]) == ("990199/02", "default_street")
    with pytest.raises(Refused) as outside:
        grid_of(grids, 121.0, 31.0, None)
    assert outside.value.status == 400


def test_an_address_rule_naming_a_dedicated_grid_goes_to_its_street_with_the_overlay_kept(engine: Engine) -> None:
    """12345 and WeChat locate by address: 翠苑商业街 is a dedicated overlay, so its street assigns the general grid."""
    from gongzhi.adapters.inbound import grid_of
    from gongzhi.runtime.form_lists import directory_choices

    street, located = grid_of(engine, None, None, "翠苑商业街5号")
    assert (street, located["method"], located["region"]) == ("990101/001", "address", "990101/001/001")
    assert located["overlays"] == ["990101/001/001/03"]
    assert grid_of(engine, None, None, "翠苑东路20号")[0] == "990101/001/001/02"
    assert grid_of(engine, None, None, "幸福路 8 号") == (None, None)  # no rule: the adapter's default_grid
    assert directory_choices(None, "grids", "990101/001") == []  # no directory: the form's own fallback
