"""A grid whistle and its 四员联动 over real HTTP: the generic start/complete routes and GET /reports (real tokens)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable

from flask.testing import FlaskClient

from gongzhi import Actor, Engine, MovableClock

from .test_http_flows import API, engine, post  # noqa: F401  (engine: the fixture, grid and whistle deployed)

GRID = "990101/001/001/01"
COMMUNITY = Actor.of("c-1", "翠苑社区工作人员", ["community"], "990101/001/001")
STREET = Actor.of("s-1", "东湖街道", ["street"], "990101/001")
WHISTLE = {"grid": GRID, "member": "G0002", "subject": "楼道堆放杂物", "description": "3 栋楼道堆满纸箱，消防通道堵塞",
           "category": "治安消防", "urgency": "一般"}


def person(member: str) -> Actor:
    return Actor.of(member, f"网格人员{member}", [f"grid_member_{member}", "grid"], GRID)



def only_task(client: FlaskClient, auth: Callable[..., dict[str, str]], actor: Actor, element: str) -> dict[str, Any]:
    [found] = [t for t in client.get(f"{API}/tasks", headers=auth(actor)).get_json()["items"] if t["element_id"] == element]
    return found


def start(client: FlaskClient, auth: Callable[..., dict[str, str]], **changes: Any) -> Any:
    return post(client, auth, person("G0002"), "/process-instances",
                {"process_key": "grid_whistle", "region": GRID, "variables": {**WHISTLE, **changes}})


def test_a_joint_handling_runs_and_is_reported_over_http(engine: Engine, client: FlaskClient,
                                                         auth: Callable[..., dict[str, str]], clock: MovableClock) -> None:
    started = start(client, auth)
    assert started.status_code == 201, started.get_json()
    level = only_task(client, auth, COMMUNITY, "confirm_level")
    done = post(client, auth, COMMUNITY, f"/tasks/{level['id']}/complete",
                {"data": {"level": "四员联动", "reason": "消防隐患，请网格警务到场"}})
    assert done.status_code == 200, done.get_json()
    for member in ("G0002", "G0008", "G0009", "G0010"):
        for element, data in (("sign", {}), ("arrive", {"onsite_situation": "到场查看"}),
                              ("feedback", {"measures": "督促清理楼道", "outcome": "已解决"})):
            clock.advance(timedelta(minutes=3))
            step = only_task(client, auth, person(member), element)
            answer = post(client, auth, person(member), f"/tasks/{step['id']}/complete", {"data": data})
            assert answer.status_code == 200, answer.get_json()
    accept = only_task(client, auth, COMMUNITY, "accept")
    assert post(client, auth, COMMUNITY, f"/tasks/{accept['id']}/complete",
                {"data": {"accepted": True, "opinion": "楼道已清空"}}).status_code == 200
    rows = client.get(f"{API}/reports/grid-whistles", headers=auth(STREET)).get_json()
    assert rows["title"] == "网格吹哨与四员联动"
    [row] = rows["data"]
    assert (row["grid_name"], row["joint"], row["joint_members"], row["closed"]) == ("翠苑一网格", 1, 4, 1)
    csv = client.get(f"{API}/reports/grid-whistles", query_string={"format": "csv"}, headers=auth(STREET)).get_data(as_text=True)
    header, first = csv.lstrip("\ufeff").splitlines()[:2]
    assert header == "网格,吹哨数,网格自办,四员联动,社区吹哨,待确认层级,联动成员人次,按时签收,按时到场,按时签收率,按时到场率,已办结"
    assert first == "翠苑一网格,1,0,1,0,0,4,4,4,100%,100%,1"


def test_bad_input_is_a_problem_document(engine: Engine, client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
    other = start(client, auth, member="G0011")  # 湖畔社区's grid chief, named by G0002
    assert other.status_code == 422 and other.mimetype == "application/problem+json"
    assert "只能由网格员本人吹哨" in other.get_json()["detail"]
    unknown = start(client, auth, grid="990101/001/001/09")
    assert unknown.status_code == 422 and "990101/001/001/09" in str(unknown.get_json())
    assert start(client, auth).status_code == 201
    level = only_task(client, auth, COMMUNITY, "confirm_level")
    bad = post(client, auth, COMMUNITY, f"/tasks/{level['id']}/complete", {"data": {"level": "区级吹哨", "reason": "试试"}})
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert only_task(client, auth, COMMUNITY, "confirm_level")["id"] == level["id"]  # still open: nothing was written
