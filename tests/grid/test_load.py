"""Loading the grid directory: what it holds, its version, and every rule it checks (real files)."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from gongzhi.errors import ConfigurationError
from gongzhi.grid import GridDirectory, GridInvalid
from gongzhi.plugins.whistle.directory import Directory as WhistleDirectory

from .conftest import District, rect

OLD_PATHS = {  # the region paths the bundled directory had before micro-grids: all still valid
    "990101", "990101/001", "990101/002", "990101/001/001", "990101/001/002", "990101/002/001", "990101/002/002",
    "990101/001/001/01", "990101/001/001/02", "990101/001/001/03", "990101/001/002/01", "990101/001/002/02",
    "990101/002/001/01", "990101/002/001/02", "990101/002/002/01", "990101/002/002/02",
}


def problems(load: Callable[[], Any]) -> list[Any]:
    with pytest.raises(GridInvalid) as exc:
        load()
    assert isinstance(exc.value, ConfigurationError)
    return exc.value.problems


def test_the_bundled_district_keeps_its_codes_and_adds_micro_grids_dedicated_grids_and_people() -> None:
    directory = WhistleDirectory.load()
    grids = directory.grid_directory
    assert OLD_PATHS <= set(directory.units)
    micro = directory.micro_grids("990101/001/001/01")
    assert [u.path for u in micro] == [f"990101/001/001/01/0{n}" for n in range(1, 6)]
    assert all(u.level == "micro_grid" and u.households <= 100 and u.boundary is not None for u in micro)
    school = directory.unit("990101/001/002/03")
    assert school.dedicated and school.kind == "school" and school.kind_name == "学校专属网格"
    assert directory.unit("990101/001/001/03").kind == "commercial_street"
    assert directory.display_name("990101/001/001/01/02") == "翠苑一网格第二微网格"
    chiefs = [m for m in grids.members_of("990101/001/001/01") if any(a.role == "grid_chief" for a in m.assignments)]
    assert len(chiefs) == 1
    four = {a.role_name for m in grids.members_of("990101/001/001/01") for a in m.assignments
            if a.grid == "990101/001/001/01"}
    assert {"网格长", "专职网格员", "网格警务", "网格法律", "网格卫生"} <= four


def test_the_version_follows_the_places_not_the_people(district: District, load: Callable[[], GridDirectory]) -> None:
    first = load()
    assert first.version == load().version and len(first.version) == 16
    district.people["people"][0]["phone"] = "13911112222"
    assert load().version == first.version  # a new phone number does not move any case
    district.boundaries["990199/01/001/02"] = rect(0.005, 0, 0.01, 0.009)
    moved = load()
    assert moved.version != first.version
    district.node("990199/01/001/02")["name"] = "桃园新二网格"
    assert load().version not in (first.version, moved.version)


def test_a_micro_grid_outside_its_grid_is_named(district: District, load: Callable[[], GridDirectory]) -> None:
    district.boundaries["990199/01/001/01/01"] = rect(0.003, 0, 0.007, 0.005)  # half in the neighbouring grid
    [problem] = problems(load)
    assert problem.region == "990199/01/001/01/01" and problem.name == "桃园一网格第一微网格"
    assert problem.rule == "containment" and "50%" in problem.message and "桃园一网格" in problem.message


def test_every_unit_lies_in_its_nearest_bounded_ancestor(district: District, load: Callable[[], GridDirectory]) -> None:
    district.boundaries["990199/02/001/01"] = rect(0.006, 0, 0.02, 0.01)  # reaches into 桃园街道
    [problem] = problems(load)  # 李村社区 has no boundary: the grid is checked against its street
    assert problem.region == "990199/02/001/01" and "29% 的面积在李村街道（990199/02）之外" in problem.message


def test_an_edge_within_the_tolerance_passes_and_the_tolerance_is_configurable(
        district: District, load: Callable[[], GridDirectory]) -> None:
    district.boundaries["990199/01/001/01/01"] = rect(0, 0, 0.00502, 0.005)  # 0.4 % over the edge
    assert load().unit("990199/01/001/01/01") is not None
    district.tree["grid"]["containment_tolerance"] = 0.001
    assert problems(load)[0].rule == "containment"


def test_a_dedicated_grid_may_cross_general_grids_but_not_leave_the_district(
        district: District, load: Callable[[], GridDirectory]) -> None:
    district.boundaries["990199/01/001/03"] = rect(0.008, 0.002, 0.012, 0.004)  # into the other street
    assert load().unit("990199/01/001/03").dedicated
    district.boundaries["990199/01/001/03"] = rect(0.015, 0.008, 0.025, 0.011)
    [problem] = problems(load)
    assert problem.region == "990199/01/001/03" and "测试区" in problem.message


def test_a_code_collision_names_both_units(district: District, load: Callable[[], GridDirectory]) -> None:
    district.node("990199/01/001")["grids"].append({"code": "02", "name": "桃园重复网格", "households": 10})
    [problem] = problems(load)
    assert problem.rule == "code" and problem.region == "990199/01/001/02"
    assert "桃园重复网格" in problem.message and "桃园二网格" in problem.message


def test_a_code_that_is_not_digits_is_refused(district: District, load: Callable[[], GridDirectory]) -> None:
    district.node("990199/01/001")["grids"][1]["code"] = "0A"
    code, orphan = problems(load)  # and its boundary now belongs to no unit
    assert code.rule == "code" and "桃园二网格" in code.message and "0A" in code.message
    assert orphan.rule == "reference" and orphan.region == "990199/01/001/02"


def test_a_self_intersecting_polygon_is_named_with_where_it_crosses(district: District,
                                                                   load: Callable[[], GridDirectory]) -> None:
    bowtie = rect(0.005, 0, 0.01, 0.008)
    ring = bowtie["coordinates"][0]
    ring[1], ring[2] = ring[2], ring[1]  # (x1,y0) <-> (x1,y1): the edges cross
    district.boundaries["990199/01/001/02"] = bowtie
    [problem] = problems(load)
    assert problem.region == "990199/01/001/02" and problem.name == "桃园二网格" and problem.rule == "geometry"
    assert "自相交" in problem.message and "经度 120.007500" in problem.message


@pytest.mark.parametrize("geometry, words", [
    ({"type": "Point", "coordinates": [120.0, 30.0]}, "Polygon 或 MultiPolygon"),
    ({"type": "Polygon", "coordinates": [[[30.0, 120.0], [30.1, 120.0], [30.1, 120.1], [30.0, 120.0]]]}, "经纬度范围"),
    ({"type": "Polygon", "coordinates": "x"}, "无法读取"),
])
def test_a_boundary_that_is_not_a_polygon_in_degrees_is_refused(district: District, load: Callable[[], GridDirectory],
                                                                geometry: dict[str, Any], words: str) -> None:
    district.boundaries["990199/01/001/02"] = geometry
    [problem] = problems(load)
    assert problem.region == "990199/01/001/02" and words in problem.message


def test_a_grid_without_a_boundary_and_a_boundary_without_a_unit_are_named(
        district: District, load: Callable[[], GridDirectory]) -> None:
    del district.boundaries["990199/01/001/02"]
    district.boundaries["990199/01/001/09"] = rect(0, 0, 0.001, 0.001)
    found = {(p.region, p.rule) for p in problems(load)}
    assert found == {("990199/01/001/02", "boundary"), ("990199/01/001/09", "reference")}


def test_households_over_the_default_limits_from_the_seed(district: District, load: Callable[[], GridDirectory]) -> None:
    district.node("990199/01/001/01")["households"] = 501
    district.node("990199/01/001/01/01")["households"] = 101
    found = {p.region: p.message for p in problems(load)}
    assert found == {"990199/01/001/01": "一般网格户数 501 超过上限 500",
                     "990199/01/001/01/01": "微网格户数 101 超过上限 100"}


def test_household_limits_are_configured_per_kind(district: District, load: Callable[[], GridDirectory]) -> None:
    district.node("990199/01/001/01")["households"] = 550
    district.tree["grid"]["household_limits"] = {"grid": 600, "community": 1000}
    [problem] = problems(load)
    assert problem.region == "990199/01/001" and problem.message == "社区户数 1500 超过上限 1000"


def test_a_member_assigned_outside_their_community_is_named_by_id_never_by_name(
        district: District, load: Callable[[], GridDirectory]) -> None:
    district.people["people"][2]["roles"].append({"role": "网格法律", "grid": "990199/01/001/01"})
    [problem] = problems(load)
    assert problem.region == "990199/01/001/01" and problem.name == "桃园一网格" and problem.rule == "member"
    assert "T03" in problem.message and "李村社区" in problem.message and "上官虹" not in str(problem)


@pytest.mark.parametrize("role, grid, words", [
    ("队长", "990199/01/001/01", "职务“队长”未知"),
    ("微网格员", "990199/01/001/01", "微网格员不能设在一般网格"),
    ("网格长", "990199/01/001/07", "不是目录中的网格"),
])
def test_a_role_must_exist_fit_its_level_and_name_a_grid(district: District, load: Callable[[], GridDirectory],
                                                         role: str, grid: str, words: str) -> None:
    district.people["people"][0]["roles"] = [{"role": role, "grid": grid}]
    [problem] = problems(load)
    assert words in problem.message and "T01" in problem.message


def test_every_problem_of_a_file_is_listed_at_once_naming_the_file(district: District) -> None:
    district.node("990199/01/001/02")["households"] = 900
    district.boundaries["990199/01/001/01/01"] = rect(0.004, 0.006, 0.009, 0.009)
    path = district.write()
    with pytest.raises(GridInvalid) as exc:
        GridDirectory.load(path)
    assert len(exc.value.problems) == 2 and str(path) in str(exc.value)
    assert "桃园二网格（990199/01/001/02）" in str(exc.value) and "桃园一网格第一微网格（990199/01/001/01/01）" in str(exc.value)


def test_a_broken_directory_stops_the_engine_at_first_use_naming_the_grid(
        district: District, make_engine: Callable[..., Any]) -> None:
    from gongzhi.plugins.whistle import WhistlePlugin

    district.node("990199/02/001/01")["households"] = 800
    engine = make_engine(plugins=[WhistlePlugin(directory=district.write())], disable_plugins="whistle")
    with pytest.raises(ConfigurationError, match="李村一网格（990199/02/001/01）：一般网格户数 800 超过上限 500"):
        engine.directory


def test_a_default_street_and_address_rules_must_name_units(district: District, load: Callable[[], GridDirectory]) -> None:
    district.tree["grid"]["default_street"] = "990199/01/001"  # a community, not a street
    district.tree["grid"]["address_rules"].append({"keywords": ["王庄"], "region": "990199/09"})
    district.tree["grid"]["address_rules"].append({"keywords": [], "region": "990199/01"})
    assert {p.rule for p in problems(load)} == {"reference", "format"} and len(problems(load)) == 3


def test_a_directory_without_a_grid_section_still_loads(district: District) -> None:
    del district.tree["grid"]
    grids = GridDirectory.from_data(district.tree)
    assert not grids.has_boundaries and grids.unit("990199/01/001/01/01").level == "micro_grid"
