"""The whistle plugin's directory is the grid directory's tree: the core Protocol, GridAware, micro-grids in its lookups."""

from __future__ import annotations

from types import SimpleNamespace

from gongzhi import Directory
from gongzhi.hooks.directory import GridAware, grid_directory_of
from gongzhi.plugins.whistle.directory import Directory as WhistleDirectory


def test_the_whistle_directory_is_a_core_directory_and_grid_aware() -> None:
    directory = WhistleDirectory.load()
    assert isinstance(directory, Directory) and isinstance(directory, GridAware)
    assert grid_directory_of(directory) is directory.grid_directory
    assert directory.units is directory.grid_directory.units  # one tree, not two copies
    assert grid_directory_of(SimpleNamespace(units={})) is None and grid_directory_of(None) is None


def test_the_locate_service_places_a_micro_grid_in_its_community_and_street() -> None:
    where = WhistleDirectory.load().locate("990101/001/002/01/03")
    assert where["known"] and where["grid_name"] == "湖畔一网格第三微网格"
    assert (where["community_name"], where["street_name"], where["district_name"]) == ("湖畔社区", "东湖街道", "青禾区")
    assert WhistleDirectory.load().locate("990101/001/002/01/09") == {"known": False, "region": "990101/001/002/01/09"}


def test_ancestors_and_names_reach_down_to_micro_grids() -> None:
    directory = WhistleDirectory.load()
    assert directory.ancestor("990101/001/001/01/05", "grid").name == "翠苑一网格"
    assert directory.ancestor("990101/001/001/01", "micro_grid") is None
    assert directory.name_of("990101/001/001/01/05") == "翠苑一网格第五微网格"
    assert [u.name for u in directory.grids("990101/002/002")] == ["枫林一网格", "枫林园区专属网格"]
