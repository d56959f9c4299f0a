"""Where is this? Points, edges, gaps, the district's edge, address rules — on real files and a real engine."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from gongzhi import grid
from gongzhi.errors import InvalidInput, NotFound
from gongzhi.grid import AddressUnmatched, GridDirectory, NoGridData, OutsideDistrict

from .conftest import District, at


@pytest.fixture
def grids(load: Callable[[], GridDirectory]) -> GridDirectory:
    return load()


def test_a_point_in_a_micro_grid_lists_the_most_specific_first(grids: GridDirectory) -> None:
    where = grids.locate(*at(0.002, 0.001))
    assert where.method == "grid" and where.region == "990199/01/001/01/01"
    assert [u.name for u in where.grids] == ["桃园一网格第一微网格", "桃园一网格"]
    assert where.overlays == () and where.version == grids.version


def test_a_point_in_a_dedicated_grid_keeps_the_general_grid_as_its_region(grids: GridDirectory) -> None:
    where = grids.locate(*at(0.0055, 0.003))
    assert where.as_dict() == {"region": "990199/01/001/02", "method": "grid", "grid_version": grids.version,
                               "grids": ["990199/01/001/03", "990199/01/001/02"], "overlays": ["990199/01/001/03"]}
    assert where.region == "990199/01/001/02"  # the community's grid it lies in: what scopes the case
    assert [u.path for u in where.overlays] == ["990199/01/001/03"]
    assert [u.name for u in where.grids] == ["桃园菜市场专属网格", "桃园二网格"]


def test_a_point_on_a_shared_edge_is_in_both_grids(grids: GridDirectory) -> None:
    where = grids.locate(*at(0.005, 0.007))
    assert {u.path for u in where.grids} == {"990199/01/001/01", "990199/01/001/02"}


def test_a_point_in_no_grid_goes_to_the_street_holding_it(grids: GridDirectory) -> None:
    where = grids.locate(*at(0.008, 0.009))  # above grid 02, inside 桃园街道
    assert (where.method, where.region, where.grids) == ("street", "990199/01", ())
    assert where.method_name == "不在任何网格内，按街道范围分派"


def test_a_point_in_no_street_goes_to_the_default_street_or_the_district(district: District,
                                                                         load: Callable[[], GridDirectory]) -> None:
    point = at(0.015, 0.011)  # in the district, above both streets
    assert load().locate(*point).region == "990199"
    district.tree["grid"]["default_street"] = "990199/02"
    where = load().locate(*point)
    assert (where.method, where.region) == ("default_street", "990199/02")


def test_a_point_outside_the_district_is_a_clear_error(grids: GridDirectory) -> None:
    with pytest.raises(OutsideDistrict, match="坐标（经度 120.03，纬度 30.005）不在测试区范围内") as exc:
        grids.locate(*at(0.03, 0.005))
    assert isinstance(exc.value, InvalidInput) and exc.value.http_status == 422


@pytest.mark.parametrize("lon, lat, field", [(float("nan"), 30.0, "lon"), (120.0, 91, "lat"), ("东经", 30.0, "lon"),
                                             (True, 30.0, "lon"), (120.0, None, "lat")])
def test_coordinates_that_are_not_a_place_are_refused(grids: GridDirectory, lon: Any, lat: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        grids.locate(lon, lat)
    assert exc.value.errors[0]["field"] == field


def test_an_address_alone_goes_by_the_longest_matching_keyword(grids: GridDirectory) -> None:
    where = grids.locate(address="桃园路 12 号 3 幢")
    assert (where.method, where.region) == ("address", "990199/01/001/01")
    market = grids.locate(address="桃园路菜市场东门")  # 桃园路菜市场 is longer than 桃园路
    assert market.region == "990199/01/001" and [u.path for u in market.overlays] == ["990199/01/001/03"]
    assert grids.locate(address="李村　５号").region == "990199/02/001/01"  # full-width space folded


def test_an_address_no_rule_knows_is_not_found_and_not_repeated(grids: GridDirectory) -> None:
    with pytest.raises(AddressUnmatched) as exc:
        grids.locate(address="幸福路 8 号 502 室")
    assert isinstance(exc.value, NotFound) and "幸福路" not in str(exc.value)


def test_an_address_places_a_point_that_lies_in_no_grid(grids: GridDirectory) -> None:
    assert grids.locate(*at(0.008, 0.009), address="李村").region == "990199/02/001/01"
    assert grids.locate(*at(0.002, 0.001), address="李村").region == "990199/01/001/01/01"  # a grid beats the text
    with pytest.raises(OutsideDistrict):
        grids.locate(*at(0.03, 0.005), address="李村")


def test_neither_point_nor_address_is_invalid_input(grids: GridDirectory) -> None:
    with pytest.raises(InvalidInput, match="坐标"):
        grids.locate()


def test_a_directory_without_boundaries_says_so(district: District) -> None:
    del district.tree["grid"]
    with pytest.raises(NoGridData):
        GridDirectory.from_data(district.tree).locate(*at(0.002, 0.001))


def test_the_engine_locates_through_its_directory(make_engine: Callable[..., Any], district: District) -> None:
    from gongzhi.plugins.whistle import WhistlePlugin

    engine = make_engine(plugins=[WhistlePlugin(directory=district.write())], disable_plugins="whistle")
    where = grid.locate(engine, *at(0.012, 0.005))
    assert where.region == "990199/02/001/01" and where.version == grid.of(engine).version
    assert engine.directory.locate(where.region)["street_name"] == "李村街道"


def test_an_engine_whose_directory_has_no_grid_layer_says_so(make_engine: Callable[..., Any]) -> None:
    from types import SimpleNamespace

    from gongzhi import hookimpl

    class Plain:  # a core Directory without the grid layer (not GridAware)
        units: dict[str, Any] = {}
        departments: dict[str, Any] = {}
        groups = {"dept_jt": "交通委"}

        def unit(self, path: str) -> None:
            return None

        def display_name(self, code: str) -> str | None:
            return self.groups.get(code)

        def department_of_group(self, group: str) -> None:
            return None

    engine = make_engine(plugins=[SimpleNamespace(__name__="plain", gongzhi_directory=hookimpl(lambda: Plain()))],
                         disable_plugins="whistle")
    assert engine.directory.display_name("dept_jt") == "交通委"  # still a directory for the core
    with pytest.raises(NoGridData):
        grid.locate(engine, 120.0, 30.0)
