"""Embedding: the blueprint inside an integrator's own Flask app; the factory from a config mapping; reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from flask import Flask

import pytest

from gongzhi import Actor, ConfigurationError, Engine, Report, hookimpl
from gongzhi.api import create_app, init_app
from gongzhi.security.tokens import mint, mint_admin

SECRET = "integration-secret-with-enough-length-0123456789"


def test_factory_from_config_mapping_migrates(tmp_path: Path) -> None:
    app = create_app({"GONGZHI_DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}", "SECRET_KEY": SECRET,
                      "MAX_CONTENT_LENGTH": "2048"})
    client = app.test_client()
    assert client.get("/api/v1/health").get_json()["status"] == "ok"
    headers = {"Authorization": f"Bearer {mint_admin(SECRET)}"}
    assert client.get("/api/v1/process-definitions", headers=headers).get_json() == {"items": [], "total": 0}
    big = client.post("/api/v1/messages", headers=headers, json={"name": "x", "business_key": "y" * 4000})
    assert big.status_code == 413


def test_mount_into_integrator_app(engine: Engine, people: Any) -> None:
    portal = Flask("portal")

    @portal.get("/")
    def home() -> str:
        return "门户首页"

    init_app(portal, engine, url_prefix="/gongzhi/api")
    client = portal.test_client()
    assert client.get("/").get_data(as_text=True) == "门户首页"
    token = mint(engine.config.secret_key, people.clerk.id, groups=people.clerk.groups, region=people.clerk.region)
    response = client.get("/gongzhi/api/tasks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.get_json()["total"] == 0
    assert client.get("/gongzhi/api/tasks").mimetype == "application/problem+json"  # 401 inside the blueprint
    assert client.get("/gongzhi/api/openapi.json").get_json()["servers"] == [{"url": "/gongzhi/api"}]


def overdue_count(engine: Engine, actor: Actor, overdue: str = "true") -> list[dict[str, Any]]:
    page = engine.tasks(actor, overdue=overdue == "true", per_page=200)
    return [{"task": t.name, "region": t.region, "reporter": "王小明"} for t in page.items]


def anyone(actor: Actor, params: dict[str, Any]) -> dict[str, Any]:
    return params  # engine.tasks keeps to the actor's own work


class ReportsPlugin:
    __name__ = "reports"

    @hookimpl
    def gongzhi_register_reports(self) -> list[Report]:
        return [Report("overdue", "超期任务", "按区域列出超期任务", {"overdue": "true 或 false"},
                       ("task", "region", "reporter"), overdue_count, scope=anyone)]


def test_plugin_reports_json_and_csv(make_engine: Callable[..., Engine], people: Any, start_vars: dict) -> None:
    engine = make_engine(plugins=[ReportsPlugin()])
    engine.deploy([Path(__file__).resolve().parents[1] / "fixtures" / "approval"])
    engine.start("approval", people.clerk, start_vars)
    engine.clock.advance(hours=3)  # type: ignore[attr-defined]
    client = create_app(engine=engine).test_client()
    headers = {"Authorization": f"Bearer {mint(engine.config.secret_key, 'c', groups=['clerk'], region='110105/001')}"}
    listed = client.get("/api/v1/reports", headers=headers).get_json()
    # Installed plugins (entry points) may add their own reports next to this one.
    assert {"name": "overdue", "title": "超期任务", "description": "按区域列出超期任务",
            "params": {"overdue": "true 或 false"}, "headings": {}, "percents": []} in listed["items"]
    # The bundled reports' own headings (with units, as their exports) come with the list: the console's table uses them.
    annual = next(r for r in listed["items"] if r["name"] == "whistle-annual")
    assert annual["headings"]["grade"] == "年度评价结果" and annual["headings"]["veto_detail"] == "拒不报到认定"
    departments = next(r for r in listed["items"] if r["name"] == "whistle-departments")
    assert departments["headings"]["dispatched"] == "派单"
    # Ratios the console shows as percentages, as the exports do: 0.625 reads 62.5%.
    assert next(r for r in listed["items"] if r["name"] == "grid-visit-grids")["percents"] == ["coverage"]
    result = client.get("/api/v1/reports/overdue", headers=headers).get_json()
    assert result["data"] == [{"task": "审核申请", "region": "110105/001", "reporter": "王**"}]
    csv = client.get("/api/v1/reports/overdue?format=csv", headers=headers)
    assert csv.mimetype == "text/csv"
    assert csv.get_data(as_text=True) == "\ufefftask,region,reporter\r\n审核申请,110105/001,王**\r\n"
    assert client.get("/api/v1/reports/overdue?format=xls", headers=headers).status_code == 422


def totals(engine: Engine, actor: Actor, year: str) -> list[dict[str, Any]]:
    return [{"year": int(year), "cases": 3}]


class UnscopedPlugin:
    __name__ = "unscoped"

    @hookimpl
    def gongzhi_register_reports(self) -> list[Report]:
        return [Report("totals", "合计", "全区合计", {"year": "年份"}, ("year", "cases"), totals)]


def test_reports_without_scope_are_admin_only(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(plugins=[UnscopedPlugin()])
    client = create_app(engine=engine).test_client()
    admin = {"Authorization": f"Bearer {mint_admin(engine.config.secret_key)}"}
    clerk = {"Authorization": f"Bearer {mint(engine.config.secret_key, 'c', groups=['clerk'], region='110105/001')}"}
    assert client.get("/api/v1/reports/totals?year=2026&junk=1", headers=admin).get_json()["data"] == [
        {"year": 2026, "cases": 3}]
    assert client.get("/api/v1/reports/totals?year=2026", headers=clerk).status_code == 403
    bad = client.get("/api/v1/reports/totals?year=abc", headers=admin)
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"


class LegacyReport:
    """A report in the old duck-typed ``run(engine, **params)`` style: not a ``gongzhi.Report``."""

    name, title, description, params = "totals", "合计", "全区合计", {"year": "年份"}

    def run(self, engine: Engine, **params: Any) -> list[dict[str, Any]]:
        return [{"year": int(params["year"]), "cases": 3}]


class LegacyPlugin:
    __name__ = "legacy"

    @hookimpl
    def gongzhi_register_reports(self) -> list[Any]:
        return [LegacyReport()]


def test_a_report_that_is_not_a_report_stops_the_start_up(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(plugins=[LegacyPlugin()])
    with pytest.raises(ConfigurationError, match="report 'totals' registered by 'legacy' is a LegacyReport"):
        create_app(engine=engine)
