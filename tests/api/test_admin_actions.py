"""Admin actions (``gongzhi_register_admin_actions``): admin-only operations a plugin offers over HTTP,
listed, described in the OpenAPI document, refused with problem details when the input is bad."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from gongzhi import Actor, AdminAction, ConfigurationError, InvalidInput, hookimpl
from gongzhi.api import create_app

from gongzhi.security.tokens import mint

ADMIN = Actor.of("admin", "管理员", ["admin"])
STREET = Actor.of("s1", "街道", ["street"], "990101/001")


def counter_plugin(seen: list[dict[str, Any]], *extra: Any) -> Any:
    def run(engine: Any, actor: Actor, times: Any = "1") -> dict[str, Any]:
        if not str(times).isdigit():
            raise InvalidInput("次数须为正整数", errors=[{"field": "times", "message": "正整数"}])
        seen.append({"by": actor.id, "times": int(times)})
        return {"counted": len(seen)}

    action = AdminAction("count", "计数", "记一次数", {"times": "次数"}, run)
    return SimpleNamespace(__name__="counter_plugin",
                           gongzhi_register_admin_actions=hookimpl(lambda: [action, *extra]))


def post(client: Any, engine: Any, actor: Actor, name: str, body: Any) -> Any:
    token = mint(engine.config.secret_key, actor.id, actor.name, actor.groups, actor.region)
    return client.post(f"/api/v1/admin-actions/{name}", json=body, headers={"Authorization": f"Bearer {token}"})


def test_an_admin_action_runs_for_admins_only_and_refuses_bad_input(make_engine) -> None:
    seen: list[dict[str, Any]] = []
    engine = make_engine(plugins=[counter_plugin(seen)])
    client = create_app(engine=engine, setup=False).test_client()

    done = post(client, engine, ADMIN, "count", {"params": {"times": "3"}})
    assert done.status_code == 200 and done.get_json() == {"name": "count", "title": "计数", "result": {"counted": 1}}
    assert seen == [{"by": "admin", "times": 3}]

    for body, status, field in (({"params": {"times": "三"}}, 422, "times"), ({"params": {"other": 1}}, 422, "params.other"),
                                ({"times": "3"}, 422, None)):
        refused = post(client, engine, ADMIN, "count", body)
        assert refused.status_code == status and refused.content_type == "application/problem+json"
        if field:
            assert refused.get_json()["errors"][0]["field"] == field
    assert post(client, engine, STREET, "count", {"params": {}}).status_code == 403
    assert post(client, engine, ADMIN, "missing", {"params": {}}).status_code == 404
    assert seen == [{"by": "admin", "times": 3}]  # nothing ran for the refused calls

    token = mint(engine.config.secret_key, "admin", "管理员", ["admin"], "")
    listed = client.get("/api/v1/admin-actions", headers={"Authorization": f"Bearer {token}"}).get_json()["items"]
    assert {"name": "count", "title": "计数", "description": "记一次数", "params": {"times": "次数"}} in listed
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/admin-actions/{name}"]["post"]
    assert "`count`（计数）：记一次数；参数：`times` 次数" in operation["description"]
    assert "count" in [p for p in operation["parameters"] if p["name"] == "name"][0]["schema"]["enum"]


def test_a_registered_admin_action_must_be_an_admin_action(make_engine) -> None:
    engine = make_engine(plugins=[counter_plugin([], SimpleNamespace(name="bogus"))])
    with pytest.raises(ConfigurationError, match="not a gongzhi.AdminAction"):
        create_app(engine=engine, setup=False)
