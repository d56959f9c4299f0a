"""A small district written to real files in a temporary folder, with a hook to break it one way at a time.

Map (longitude × latitude, a 0.01° square per street):

    street 01 ── community 001 ── grid 01 [0, 0.005] × [0, 0.01]   (micro-grid 01: its lower half)
                              └─ grid 02 [0.005, 0.01] × [0, 0.008] (the strip above it is in no grid)
                              └─ grid 03 market, dedicated [0.004, 0.006] × [0.002, 0.004]
    street 02 ── community 001 ── grid 01 [0.01, 0.02] × [0, 0.01]
    district [0, 0.02] × [0, 0.012]: the band above both streets is in no street
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable

import orjson
import pytest
import yaml

X0, Y0 = 120.0, 30.0


def rect(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    pts = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
    return {"type": "Polygon", "coordinates": [[[round(X0 + x, 6), round(Y0 + y, 6)] for x, y in pts]]}


def at(x: float, y: float) -> tuple[float, float]:
    """A point of the small map, as (lon, lat)."""
    return X0 + x, Y0 + y


TREE: dict[str, Any] = {
    "grid": {
        "boundaries": "boundaries.geojson",
        "people": "people.yaml",
        "address_rules": [
            {"keywords": ["桃园路"], "region": "990199/01/001/01"},
            {"keywords": ["桃园路菜市场"], "region": "990199/01/001/03"},
            {"keywords": ["李村"], "region": "990199/02/001/01"},
        ],
    },
    "district": {"code": "990199", "name": "测试区", "streets": [
        {"code": "01", "name": "桃园街道", "communities": [
            {"code": "001", "name": "桃园社区", "households": 1500, "grids": [
                {"code": "01", "name": "桃园一网格", "households": 480, "micro_grids": [
                    {"code": "01", "name": "桃园一网格第一微网格", "households": 96}]},
                {"code": "02", "name": "桃园二网格", "households": 300},
                {"code": "03", "name": "桃园菜市场专属网格", "households": 0, "kind": "market"},
            ]}]},
        {"code": "02", "name": "李村街道", "communities": [
            {"code": "001", "name": "李村社区", "grids": [{"code": "01", "name": "李村一网格", "households": 350}]}]},
    ]},
}
BOUNDARIES: dict[str, dict[str, Any]] = {
    "990199": rect(0, 0, 0.02, 0.012),
    "990199/01": rect(0, 0, 0.01, 0.01),
    "990199/02": rect(0.01, 0, 0.02, 0.01),
    "990199/01/001": rect(0, 0, 0.01, 0.01),
    "990199/01/001/01": rect(0, 0, 0.005, 0.01),
    "990199/01/001/01/01": rect(0, 0, 0.005, 0.005),
    "990199/01/001/02": rect(0.005, 0, 0.01, 0.008),
    "990199/01/001/03": rect(0.004, 0.002, 0.006, 0.004),
    "990199/02/001/01": rect(0.01, 0, 0.02, 0.01),
}
PEOPLE: dict[str, Any] = {"people": [
    {"id": "T01", "name": "欧阳明", "phone": "13912345678", "community": "990199/01/001",
     "roles": [{"role": "网格长", "grid": "990199/01/001/01"}, {"role": "grid_chief", "grid": "990199/01/001/03"}]},
    {"id": "T02", "name": "司马兰", "phone": "13987654321", "community": "990199/01/001",
     "roles": [{"role": "微网格员", "grid": "990199/01/001/01/01"}]},
    {"id": "T03", "name": "上官虹", "phone": "13700001111", "community": "990199/02/001",
     "roles": [{"role": "网格警务", "grid": "990199/02/001/01"}]},
]}


class District:
    """The three files, editable before ``write``: ``tree``, ``boundaries`` (region -> geometry), ``people``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.tree = copy.deepcopy(TREE)
        self.boundaries = copy.deepcopy(BOUNDARIES)
        self.people = copy.deepcopy(PEOPLE)

    @property
    def path(self) -> Path:
        return self.folder / "directory.yaml"

    def node(self, region: str) -> dict[str, Any]:
        """The YAML node of ``region``, to edit."""
        parts = region.split("/")
        node = self.tree["district"]
        for part, key in zip(parts[1:], ("streets", "communities", "grids", "micro_grids")):
            node = next(n for n in node[key] if n["code"] == part)
        return node

    def write(self) -> Path:
        self.path.write_text(yaml.safe_dump(self.tree, allow_unicode=True), encoding="utf-8")
        features = [{"type": "Feature", "properties": {"region": r}, "geometry": g} for r, g in self.boundaries.items()]
        (self.folder / "boundaries.geojson").write_bytes(orjson.dumps({"type": "FeatureCollection", "features": features}))
        (self.folder / "people.yaml").write_text(yaml.safe_dump(self.people, allow_unicode=True), encoding="utf-8")
        return self.path


@pytest.fixture
def district(tmp_path: Path) -> District:
    return District(tmp_path)


@pytest.fixture
def load(district: District) -> Callable[[], Any]:
    from gongzhi.grid import GridDirectory

    return lambda: GridDirectory.load(district.write())


# --- HTTP: an app over the test engine (bundled plugins, so the bundled 青禾区), real signed tokens ---------------


@pytest.fixture
def client(engine: Any) -> Any:
    from gongzhi.api import create_app

    return create_app(engine=engine).test_client()


@pytest.fixture
def auth(engine: Any) -> Callable[..., dict[str, str]]:
    from gongzhi.security.tokens import mint

    def headers(actor: Any) -> dict[str, str]:
        token = mint(engine.config.secret_key, actor.id, actor.name, actor.groups, actor.region,
                     permissions=actor.permissions)
        return {"Authorization": f"Bearer {token}"}

    return headers
