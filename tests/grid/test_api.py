"""GET /api/v1/grids and /grids/locate over real HTTP (Flask test client, real tokens, the bundled 青禾区)."""

from __future__ import annotations

from typing import Any, Callable

from flask.testing import FlaskClient

from gongzhi import Actor, Engine

API = "/api/v1"
ADMIN = Actor.of("admin-1", "管理员", ["admin"], permissions=["pii"])
WORKER = Actor.of("grid-1", "网格员", ["grid"], "990101/001/001/01")  # no pii
SCHOOL = Actor.of("school-1", "学校专属网格员", ["grid"], "990101/001/002/03")
CUIYUAN_MICRO = (120.125, 30.2165)  # 翠苑一网格第一微网格
SCHOOL_POINT = (120.135, 30.205)  # 青禾实验小学专属网格 over 湖畔二网格


def get(client: FlaskClient, auth: Callable[..., dict[str, str]], actor: Actor, url: str, **query: Any) -> Any:
    return client.get(f"{API}{url}", query_string=query, headers=auth(actor))


def test_the_tree_is_region_scoped_and_masks_people_without_pii(engine: Engine, client: FlaskClient,
                                                                auth: Callable[..., dict[str, str]]) -> None:
    full = get(client, auth, ADMIN, "/grids").get_json()
    paths = {u["path"] for u in full["items"]}
    assert "990101" in paths and "990101/002/002/02" in paths and full["version"]
    mine = get(client, auth, WORKER, "/grids").get_json()
    assert [u["path"] for u in mine["items"]] == ["990101/001/001/01"] + [f"990101/001/001/01/0{n}" for n in range(1, 6)]
    grid = mine["items"][0]
    assert (grid["kind_name"], grid["households"], grid["parent"]) == ("一般网格", 420, "990101/001/001")
    chief = next(m for m in grid["members"] if m["roles"][0]["role_name"] == "网格长")
    assert chief["name"] == "陈**" and chief["phone"] == "139****1001"
    assert chief["roles"] == [{"role": "grid_chief", "role_name": "网格长", "grid": "990101/001/001/01"}]
    same = next(u for u in full["items"] if u["path"] == "990101/001/001/01")
    assert next(m for m in same["members"] if m["id"] == chief["id"])["name"] == "陈淑芬"  # with pii
    assert "boundary" not in grid


def test_boundaries_come_as_geojson_on_request(engine: Engine, client: FlaskClient,
                                               auth: Callable[..., dict[str, str]]) -> None:
    items = get(client, auth, WORKER, "/grids", boundaries="true").get_json()["items"]
    assert items[0]["boundary"]["type"] == "Polygon" and items[0]["boundary"]["coordinates"][0][0] == [120.12, 30.215]


def test_locate_answers_the_grids_most_specific_first(engine: Engine, client: FlaskClient,
                                                      auth: Callable[..., dict[str, str]]) -> None:
    body = get(client, auth, WORKER, "/grids/locate", lon=CUIYUAN_MICRO[0], lat=CUIYUAN_MICRO[1]).get_json()
    assert body["method"] == "grid" and body["region"] == "990101/001/001/01/01"
    assert body["region_name"] == "翠苑一网格第一微网格" and body["community_name"] == "翠苑社区"
    assert body["street_name"] == "东湖街道" and [g["name"] for g in body["grids"]][-1] == "翠苑一网格"


def test_a_dedicated_grids_members_see_its_points_besides_the_primary_region(
        engine: Engine, client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
    body = get(client, auth, SCHOOL, "/grids/locate", lon=SCHOOL_POINT[0], lat=SCHOOL_POINT[1]).get_json()
    assert body["region"] == "990101/001/002/02" and [o["name"] for o in body["overlays"]] == ["青禾实验小学专属网格"]
    denied = get(client, auth, WORKER, "/grids/locate", lon=SCHOOL_POINT[0], lat=SCHOOL_POINT[1])
    assert denied.status_code == 403 and denied.mimetype == "application/problem+json"


def test_locate_errors_are_problem_details(engine: Engine, client: FlaskClient,
                                           auth: Callable[..., dict[str, str]]) -> None:
    outside = get(client, auth, ADMIN, "/grids/locate", lon=121.0, lat=30.2)
    assert outside.status_code == 422 and outside.mimetype == "application/problem+json"
    assert "不在青禾区范围内" in outside.get_json()["detail"]
    assert outside.get_json()["type"] == "urn:gongzhi:problem:outside-district"  # a business rule, documented
    bad = get(client, auth, ADMIN, "/grids/locate", lon="abc", lat=30.2)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "lon"
    unknown = get(client, auth, ADMIN, "/grids/locate-address", address="幸福路 8 号")
    assert unknown.status_code == 404 and "幸福路" not in unknown.get_data(as_text=True)
    missing = get(client, auth, ADMIN, "/grids/locate", lon=120.125)
    assert missing.status_code == 422 and missing.get_json()["errors"][0]["field"] == "lat"
    assert client.get(f"{API}/grids/locate?lon=120.125&lat=30.2165").status_code == 401


def test_locate_by_address_and_a_gap_to_its_street(engine: Engine, client: FlaskClient,
                                                   auth: Callable[..., dict[str, str]]) -> None:
    by_text = get(client, auth, ADMIN, "/grids/locate-address", address="翠苑路 1 号").get_json()
    assert (by_text["method"], by_text["region"]) == ("address", "990101/001/001/01")
    lake = get(client, auth, ADMIN, "/grids/locate", lon=120.125, lat=30.2135).get_json()  # 东湖 lakeside: no grid
    assert (lake["method"], lake["region"], lake["street_name"]) == ("street", "990101/001", "东湖街道")
    lake_with_text = get(client, auth, ADMIN, "/grids/locate", lon=120.125, lat=30.2135, address="湖畔花园 3 幢").get_json()
    assert (lake_with_text["method"], lake_with_text["region"]) == ("address", "990101/001/002/01")
    school = get(client, auth, SCHOOL, "/grids/locate-address", address="青禾实验小学南门").get_json()
    assert school["region"] == "990101/001/002" and school["overlays"][0]["path"] == "990101/001/002/03"


def test_the_directory_lists_micro_grids_and_openapi_documents_the_grid_operations(
        engine: Engine, client: FlaskClient, auth: Callable[..., dict[str, str]]) -> None:
    regions = get(client, auth, ADMIN, "/directory").get_json()["regions"]
    assert {"path": "990101/001/001/01/03", "name": "翠苑一网格第三微网格", "level": "micro_grid"} in regions
    spec = client.get(f"{API}/openapi.json").get_json()
    assert {"lon", "lat", "address"} <= {p["name"] for p in spec["paths"]["/grids/locate"]["get"]["parameters"]}
    assert {"403", "404", "422"} <= set(spec["paths"]["/grids/locate"]["get"]["responses"])
    assert "/grids" in spec["paths"] and "/grids/locate-address" in spec["paths"]
    assert spec["paths"]["/grids/locate"]["get"]["responses"]["422"]


def test_grid_people_never_reach_the_log(engine: Engine, client: FlaskClient, auth: Callable[..., dict[str, str]],
                                         caplog: Any) -> None:
    from gongzhi.plugins.whistle.directory import Directory as WhistleDirectory

    with caplog.at_level("DEBUG"):
        WhistleDirectory.load()
        assert get(client, auth, ADMIN, "/grids").status_code == 200
        assert get(client, auth, WORKER, "/grids/locate", lon=121.0, lat=30.2).status_code == 422
    assert "陈淑芬" not in caplog.text and "1001" not in caplog.text
