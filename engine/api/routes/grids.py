"""The grid directory over HTTP: the tree with household counts and people, and "where is this?".

Both are region-scoped: a reader sees the units inside their own subtrees, and a location only
when its primary region or one of its dedicated grids lies there. Grid people's names and
phones are personal data, masked for readers without the ``pii`` permission.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate
from shapely.geometry import mapping

from ...errors import NotAllowed
from ...grid import GridUnit, Location, of
from ...grid.model import LEVELS
from ...security.identity import Actor
from ...security.masking import PII_PERMISSION
from ..blueprint import api
from ..context import state
from ..schemas import Out, Query

TAG = "网格"


# --- schemas ------------------------------------------------------------------------------------


class GridTreeQuerySchema(Query):
    boundaries = fields.Boolean(metadata={"description": "是否附带各单元的边界（GeoJSON，经度在前），默认否"})


class LocateQuerySchema(Query):
    lon = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-180, max=180),
                       metadata={"description": "经度（与边界文件同一坐标系，默认 WGS84）"})
    lat = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-90, max=90),
                       metadata={"description": "纬度"})
    address = fields.String(validate=validate.Length(min=1, max=500),
                            metadata={"description": "地址文字（可选）：坐标不在任何一般网格内时先按地址规则定位"})


class LocateAddressQuerySchema(Query):
    address = fields.String(required=True, validate=validate.Length(min=1, max=500),
                            metadata={"description": "地址文字，按地址规则（最长的关键词优先）定位"})


class GridRoleSchema(Out):
    role = fields.String(required=True, metadata={"description": "职务编码"})
    role_name = fields.String(required=True, metadata={"description": "职务名称，如 网格长、微网格员、网格警务"})
    grid = fields.String(required=True, metadata={"description": "所在网格的区域路径"})


class GridMemberSchema(Out):
    id = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "姓名；无 pii 权限时脱敏"})
    phone = fields.String(required=True, metadata={"description": "电话；无 pii 权限时脱敏"})
    community = fields.String(required=True, metadata={"description": "所属社区的区域路径"})
    roles = fields.List(fields.Nested(GridRoleSchema), required=True)


class GridUnitSchema(Out):
    path = fields.String(required=True, metadata={"description": "区域路径"})
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True, metadata={"enum": list(LEVELS)})
    kind = fields.String(required=True, metadata={"description": "类型编码：一般单元同 level，专属网格为 school、market 等"})
    kind_name = fields.String(required=True, metadata={"description": "类型名称，如 一般网格、微网格、学校专属网格"})
    parent = fields.String(required=True, allow_none=True)
    households = fields.Integer(required=True, allow_none=True, metadata={"description": "户数"})
    dedicated = fields.Boolean(required=True, metadata={"description": "是否专属网格（叠加在一般网格之上）"})
    members = fields.List(fields.Nested(GridMemberSchema), required=True, metadata={"description": "本网格的人员"})
    boundary = fields.Dict(metadata={"description": "边界（GeoJSON Polygon/MultiPolygon）；仅当 boundaries=true"})


class GridTreeSchema(Out):
    version = fields.String(required=True, metadata={"description": "网格目录版本（内容摘要）：案件记录立案时的版本"})
    items = fields.List(fields.Nested(GridUnitSchema), required=True,
                        metadata={"description": "本人可见的单元，自上而下（用 parent 组成树）"})


class LocatedUnitSchema(Out):
    path = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True, metadata={"enum": list(LEVELS)})
    kind_name = fields.String(required=True)
    dedicated = fields.Boolean(required=True)


class LocationSchema(Out):
    method = fields.String(required=True, metadata={"enum": list(Location.METHODS)})
    method_name = fields.String(required=True, metadata={"description": "定位方式的说明"})
    region = fields.String(required=True, metadata={"description": "主区域：案件按它划分管辖"})
    region_name = fields.String(required=True)
    community = fields.String(required=True, allow_none=True)
    community_name = fields.String(required=True, allow_none=True)
    street = fields.String(required=True, allow_none=True)
    street_name = fields.String(required=True, allow_none=True)
    grids = fields.List(fields.Nested(LocatedUnitSchema), required=True,
                        metadata={"description": "包含该点的全部网格（含专属网格），最具体的在前"})
    overlays = fields.List(fields.Nested(LocatedUnitSchema), required=True,
                           metadata={"description": "包含该点的专属网格：其人员也可见该案件"})
    version = fields.String(required=True, metadata={"description": "网格目录版本"})


# --- operations ---------------------------------------------------------------------------------


@api.route("GET", "/grids", summary="网格目录：区、街道、社区、网格、微网格与专属网格", tag=TAG, query=GridTreeQuerySchema,
           response=GridTreeSchema, errors=(404,),
           description="限于本人管辖区域；含户数与各网格人员（网格长、网格员、微网格员、楼栋长、四员联动）。"
                       "人员姓名与电话为个人信息，无 pii 权限时脱敏。没有网格目录时 404。")
def list_grids(actor: Actor, query: dict[str, Any], **_: Any) -> dict[str, Any]:
    grids = of(state().engine)
    pii = PII_PERMISSION in actor.permissions
    items = []
    for unit in grids.walk():
        if not actor.can_see(unit.path):
            continue
        item = {**unit.as_dict(), "kind_name": unit.kind_name,
                "members": [m.view(pii, unit.path) for m in grids.members_of(unit.path)]}
        if query.get("boundaries") and unit.boundary is not None:
            item["boundary"] = mapping(unit.boundary)
        items.append(item)
    return {"version": grids.version, "items": items}


@api.route("GET", "/grids/locate", summary="这是哪里：按坐标找到所在网格", tag=TAG, query=LocateQuerySchema,
           response=LocationSchema, errors=(403, 404, 422),
           description="找到包含该点的全部网格，最具体的在前；主区域为最具体的一般网格，专属网格列在 overlays。"
                       "点在区内但不在任何网格内时，先按地址规则（若给出地址），再给出其所在街道（或默认街道）以便分派。"
                       "坐标在区外时 422（`outside-district`）。主区域与专属网格都不在本人管辖范围内时 403。")
def locate_grid(actor: Actor, query: dict[str, Any], **_: Any) -> dict[str, Any]:
    grids = of(state().engine)
    return _answer(actor, grids, grids.locate(query["lon"], query["lat"], query.get("address")))


@api.route("GET", "/grids/locate-address", summary="这是哪里：按地址文字找到所在网格", tag=TAG,
           query=LocateAddressQuerySchema, response=LocationSchema, errors=(403, 404),
           description="没有坐标时使用（如 12345 热线的地址）：按组织目录的地址规则定位，最长的关键词优先。"
                       "不符合任何规则时 404，答复中不重复地址。")
def locate_address(actor: Actor, query: dict[str, Any], **_: Any) -> dict[str, Any]:
    grids = of(state().engine)
    return _answer(actor, grids, grids.locate_address(query["address"]))


def _answer(actor: Actor, grids: Any, where: Location) -> dict[str, Any]:
    if not (actor.can_see(where.region) or any(actor.can_see(u.path) for u in where.overlays)):
        raise NotAllowed("该位置不在您的管辖范围内", region=where.region)
    community, street = grids.ancestor(where.region, "community"), grids.ancestor(where.region, "street")
    region = grids.unit(where.region)
    return {
        "method": where.method, "method_name": where.method_name, "version": where.version,
        "region": where.region, "region_name": region.name if region else where.region,
        "community": community.path if community else None, "community_name": community.name if community else None,
        "street": street.path if street else None, "street_name": street.name if street else None,
        "grids": [_located(u) for u in where.grids], "overlays": [_located(u) for u in where.overlays],
    }


def _located(unit: GridUnit) -> dict[str, Any]:
    return {"path": unit.path, "name": unit.name, "level": unit.level, "kind_name": unit.kind_name,
            "dedicated": unit.dedicated}
