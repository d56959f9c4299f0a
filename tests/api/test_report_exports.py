"""The example third-party report plugin over HTTP, scoped and unscoped; CSV and XLSX exports; the OpenAPI entry."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Callable

import pytest
from openpyxl import load_workbook

from gongzhi import SYSTEM, Actor, Engine
from gongzhi.api import create_app
from gongzhi.plugins.examples import grid_counts

from .conftest import API, token_for

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STREET = Actor.of("s-1", "街道干部", ["clerk"], "110105/001")


@pytest.fixture
def served(make_engine: Callable[..., Engine], people: Any, start_vars: dict[str, Any]) -> tuple[Engine, Any]:
    """Three approvals in the first community (one refused, so ended), two in the second."""
    engine = make_engine(plugins=[grid_counts.plugin])
    engine.deploy([FIXTURES / "approval"])
    first = [engine.start("approval", people.clerk, start_vars) for _ in range(3)]
    for _ in range(2):
        engine.start("approval", people.other_clerk, start_vars)
    engine.complete(first[0].open_tasks[0].id, people.clerk, {"approved": False})
    return engine, create_app(engine=engine).test_client()


def _get(client: Any, engine: Engine, actor: Actor, query: str) -> Any:
    return client.get(f"{API}/reports/grid-counts?process=approval&month=2026-11{query}",
                      headers={"Authorization": f"Bearer {token_for(engine, actor)}"})


def test_the_example_plugin_counts_grids_for_an_admin(served: tuple[Engine, Any], people: Any) -> None:
    engine, client = served
    rows = _get(client, engine, people.admin, "").get_json()["data"]
    assert [(r["grid"], r["cases"], r["open"], r["closed"], r["closure_rate"]) for r in rows] == [
        ("110105/001", 3, 2, 1, 0.3333), ("110105/002", 2, 2, 0, 0.0)]
    one = _get(client, engine, people.admin, "&region=110105/002").get_json()["data"]
    assert [r["grid"] for r in one] == ["110105/002"]
    bad = client.get(f"{API}/reports/grid-counts?process=approval&month=十一月",
                     headers={"Authorization": f"Bearer {token_for(engine, people.admin)}"})
    assert bad.status_code == 422 and bad.get_json()["errors"] == [{"field": "month", "message": "YYYY-MM"}]


def test_the_example_plugin_is_scoped_for_a_street_officer(served: tuple[Engine, Any]) -> None:
    engine, client = served
    rows = _get(client, engine, STREET, "").get_json()["data"]
    assert [(r["grid"], r["cases"]) for r in rows] == [("110105/001", 3)]
    refused = _get(client, engine, STREET, "&region=110105/002")
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"


def test_xlsx_export_has_chinese_headings_and_cells_as_people_write_them(served: tuple[Engine, Any], people: Any) -> None:
    engine, client = served
    response = _get(client, engine, people.admin, "&format=xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    assert response.headers["Content-Disposition"] == 'attachment; filename="grid-counts.xlsx"'
    book = load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames == ["各网格案件数"]
    sheet = book.active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "各网格案件数" and sheet["A1"].font.bold  # the title block a 考核办 files
    assert values[1][0].startswith("统计期：2026年11月　区域：全区　生成时间：")
    assert values[2] == ["网格", "案件数", "办理中", "已办结", "已撤销", "办结率"]  # no code columns
    assert values[3] == ["110105/001", 3, 2, 1, 0, 0.3333] and values[4][:5] == ["110105/002", 2, 2, 0, 0]
    assert sheet["F4"].number_format == "0.0%" and sheet["F5"].number_format == "0%"  # reads 33.3%, 0%
    assert sheet.freeze_panes == "A4" and sheet["A3"].font.bold


def test_csv_export_says_the_same(served: tuple[Engine, Any], people: Any) -> None:
    engine, client = served
    response = _get(client, engine, people.admin, "&format=csv")
    assert response.mimetype == "text/csv"
    assert response.get_data(as_text=True).splitlines() == [
        "\ufeff网格,案件数,办理中,已办结,已撤销,办结率", "110105/001,3,2,1,0,33.3%", "110105/002,2,2,0,0,0%"]


def test_report_run_needs_an_actor(served: tuple[Engine, Any]) -> None:
    engine, _ = served
    [report] = [r for found in engine.pm.hook.gongzhi_register_reports() for r in found if r.name == "grid-counts"]
    from gongzhi import InvalidInput

    with pytest.raises(InvalidInput, match="需要读者"):
        report.run(engine, None, process="approval", month="2026-11")
    assert len(report.run(engine, SYSTEM, process="approval", month="2026-11")) == 2


def test_openapi_documents_the_exports(served: tuple[Engine, Any]) -> None:
    _, client = served
    doc = client.get(f"{API}/openapi.json").get_json()
    entry = doc["paths"]["/reports/{name}"]["get"]
    formats = next(p for p in entry["parameters"] if p["name"] == "format")["schema"]["enum"]
    assert formats == ["json", "csv", "xlsx", "pdf"]
    content = entry["responses"]["200"]["content"]
    assert content[XLSX]["schema"] == {"type": "string", "format": "binary"} and "text/csv" in content
    assert content["application/pdf"]["schema"] == {"type": "string", "format": "binary"}
    assert "grid-counts" in next(p for p in entry["parameters"] if p["name"] == "name")["schema"]["enum"]
