"""Steps for cases reported through Open311 GeoReport v2, as a city app would post them."""

from __future__ import annotations

from .cases import rows
from .vocabulary import 词
from .world import Case, World

OPEN311 = "/adapters/open311"
API_KEY = "features-open311-key"
JURISDICTION = "qinghe.example.gov.cn"
# Chinese row labels -> GeoReport v2 form fields
FIELDS = {"服务": "service_code", "地址": "address_string", "电话": "phone", "姓": "last_name", "名": "first_name",
          "网格": "attribute[grid]", "紧急程度": "attribute[urgency]", "邮箱": "email"}


def open311_settings() -> dict:
    """The adapter configuration the feature world registers."""
    return {"jurisdiction_id": JURISDICTION, "api_keys": {API_KEY: "城市服务 App"}, "default_grid": "990101/001/001/01"}


@词('市民通过 Open311 反映 "{文字}"：')
def open311_report(world: World, text: str, datatable: list[list[str]]) -> None:
    form = {"api_key": API_KEY, "jurisdiction_id": JURISDICTION, "description": text}
    for label, value in rows(datatable).items():
        form[FIELDS.get(label, label)] = value
    response = world.client.post(f"{OPEN311}/requests.json", data=form)
    assert response.status_code in (200, 201), f"Open311 拒绝了诉求（{response.status_code}）：{response.get_data(as_text=True)}"
    request_id = response.get_json()[0]["service_request_id"]
    world.case = Case(str(request_id), "whistle_dispatch")
    world.worker()


def _request(world: World) -> dict:
    assert world.case is not None, "还没有通过 Open311 反映诉求"
    response = world.client.get(f"{OPEN311}/requests/{world.case.id}.json", query_string={"jurisdiction_id": JURISDICTION})
    assert response.status_code == 200, f"Open311 查询失败（{response.status_code}）"
    return response.get_json()[0]


@词('Open311 上该诉求的状态为 "{状态}"')
def open311_status(world: World, status: str) -> None:
    actual = _request(world)["status"]
    assert actual == status, f"Open311 状态是 {actual}，不是 {status}"


@词('Open311 上该诉求的 "{变量}" 包含 "{文字}"')
def open311_field(world: World, name: str, text: str) -> None:
    actual = _request(world).get(name)
    assert text in str(actual or ""), f"Open311 的 {name} 是 {actual!r}，不含 {text!r}"
