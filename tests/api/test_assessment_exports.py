"""Assessment exports a 考核办 can file (issue 20, item 5): a workbook with a title block and one sheet
per level, and a PDF; the numbers in both are the API's, compared cell by cell."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Callable

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from gongzhi import ConfigurationError, Engine, Report, hookimpl
from gongzhi.api import create_app
from gongzhi.hooks.exports import period_text
from gongzhi.plugins.examples import grid_counts

from .conftest import API, token_for

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HEADINGS = {"level": "层级", "cases": "案件数", "closed": "已办结", "closure_rate": "办结率"}


def district_total(engine: Any, actor: Any, process: str = "", month: str = "", region: str | None = None) -> list[dict[str, Any]]:
    """The district level: the communities' figures summed (a second report the book names)."""
    rows = grid_counts.cases_per_grid(engine, actor, process, month, region)
    cases, closed = sum(r["cases"] for r in rows), sum(r["closed"] for r in rows)
    return [{"level": "全区", "cases": cases, "closed": closed, "closure_rate": round(closed / cases, 4) if cases else None}]


class Levels:
    """A test plugin: an assessment report whose workbook holds the district and community levels."""

    def __init__(self, book: tuple[tuple[str, str], ...]) -> None:
        self.book = book

    @hookimpl
    def gongzhi_register_reports(self) -> list[Report]:
        return [Report("assessment", "网格案件考核", "区级合计与各网格", grid_counts.PARAMS, tuple(HEADINGS),
                       district_total, headings=HEADINGS, percents=frozenset({"closure_rate"}),
                       units={"cases": "件", "closed": "件"}, book=self.book)]


@pytest.fixture
def served(make_engine: Callable[..., Engine], people: Any, start_vars: dict[str, Any]) -> tuple[Engine, Any]:
    engine = make_engine(plugins=[grid_counts.plugin, Levels((("社区", "grid-counts"),))])
    engine.deploy([FIXTURES / "approval"])
    first = [engine.start("approval", people.clerk, start_vars) for _ in range(3)]
    engine.start("approval", people.other_clerk, start_vars)
    engine.complete(first[0].open_tasks[0].id, people.clerk, {"approved": False})
    return engine, create_app(engine=engine).test_client()


def _get(client: Any, engine: Engine, actor: Any, name: str, fmt: str = "") -> Any:
    return client.get(f"{API}/reports/{name}?process=approval&month=2026-11{fmt}",
                      headers={"Authorization": f"Bearer {token_for(engine, actor)}"})


def test_workbook_has_a_sheet_per_level_with_the_apis_numbers(served: tuple[Engine, Any], people: Any) -> None:
    engine, client = served
    total = _get(client, engine, people.admin, "assessment").get_json()["data"]
    grids = _get(client, engine, people.admin, "grid-counts").get_json()["data"]
    book = load_workbook(io.BytesIO(_get(client, engine, people.admin, "assessment", "&format=xlsx").get_data()))
    assert book.sheetnames == ["网格案件考核", "社区"]
    first, second = book["网格案件考核"], book["社区"]
    assert first["A1"].value == "网格案件考核" and second["A1"].value == "各网格案件数"
    assert first["A2"].value.startswith("统计期：2026年11月　区域：全区　生成时间：")
    assert [c.value for c in first[3]] == ["层级", "案件数（件）", "已办结（件）", "办结率"]  # units in the headings
    for sheet, rows, columns in ((first, total, HEADINGS), (second, grids, grid_counts.HEADINGS)):
        keys = [k for k in (grid_counts.COLUMNS if sheet is second else tuple(HEADINGS)) if k in columns]
        cells = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
        assert cells == [[row[k] for k in keys] for row in rows]  # cell by cell, the API's numbers
    assert total[0]["closure_rate"] == 0.25 and first["D4"].number_format == "0%"  # one of four closed: 25%
    assert first.oddFooter.center.text == "第 &P 页，共 &N 页"


def test_pdf_files_the_same_figures_in_chinese(served: tuple[Engine, Any], people: Any) -> None:
    engine, client = served
    grids = _get(client, engine, people.admin, "grid-counts").get_json()["data"]
    response = _get(client, engine, people.admin, "grid-counts", "&format=pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="grid-counts.pdf"'
    reader = PdfReader(io.BytesIO(response.get_data()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    lines = [line.strip() for line in text.splitlines()]
    assert "各网格案件数" in lines and any(line.startswith("统计期：2026年11月") for line in lines)
    for word in ("网格", "案件数", "办理中", "已办结", "已撤销", "办结率"):
        assert word in lines
    at = lines.index("110105/001")  # each row's cells follow one another, as the API gives them
    assert lines[at:at + 6] == ["110105/001", "3", "2", "1", "0", "33.3%"]
    assert lines[lines.index("110105/002", at):][:6] == ["110105/002", "1", "1", "0", "0", "0%"]
    assert len(grids) == 2 and reader.metadata.title == "各网格案件数"


def test_a_street_officers_export_names_their_street_and_holds_only_it(served: tuple[Engine, Any]) -> None:
    engine, client = served
    from gongzhi import Actor

    street = Actor.of("s-1", "街道干部", ["clerk"], "110105/001")
    sheet = load_workbook(io.BytesIO(_get(client, engine, street, "grid-counts", "&format=xlsx").get_data())).active
    assert "区域：110105/001" in sheet["A2"].value  # no directory names this test region: its path is all there is
    assert [c.value for c in sheet["A"]][3:] == ["110105/001"]


def test_a_book_naming_an_unknown_report_fails_at_start_up(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(plugins=[grid_counts.plugin, Levels((("街道", "no-such-report"),))])
    with pytest.raises(ConfigurationError, match="no-such-report"):
        create_app(engine=engine)


@pytest.mark.parametrize("params, text", [
    ({"month": "2026-03"}, "2026年3月"), ({"quarter": "2026Q1"}, "2026年第一季度"), ({"period": "2026H2"}, "2026年下半年"),
    ({"year": "2025"}, "2025年"), ({"start": "2026-03-01", "end": "2026-04-01"}, "2026年3月1日至2026年3月31日"),
    ({}, "全部")])
def test_period_reads_as_an_office_writes_it(params: dict[str, str], text: str) -> None:
    assert period_text(params) == text
