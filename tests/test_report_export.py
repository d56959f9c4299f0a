"""Report exports: text a resident wrote never runs as a spreadsheet formula (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from gongzhi.hooks.objects import Report

TITLES = ["=HYPERLINK(\"http://x\",\"点我\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "楼道灯不亮"]


def report() -> Report:
    return Report(name="t", title="测试", description="", params={}, columns=("title", "change"),
                  compute=lambda engine, actor: [], headings={"title": "事项", "change": "变化"})


def test_csv_cells_that_start_like_a_formula_are_quoted_and_numbers_are_not() -> None:
    rows = [{"title": t, "change": -3} for t in TITLES] + [{"title": "-5%", "change": 2.5}]
    read = list(csv.reader(io.StringIO(report().to_csv(rows))))
    assert read[0] == ["事项", "变化"]
    assert [r[0] for r in read[1:-1]] == ["'" + t for t in TITLES[:-1]] + ["楼道灯不亮"]
    assert [r[1] for r in read[1:]] == ["-3"] * len(TITLES) + ["2.5"]  # numbers stay numbers
    assert read[-1][0] == "-5%"


def test_xlsx_keeps_a_formula_like_title_as_text() -> None:
    sheet = load_workbook(io.BytesIO(report().to_xlsx([{"title": TITLES[0], "change": 1}]))).active
    assert sheet.cell(row=2, column=1).value == TITLES[0]
    assert sheet.cell(row=2, column=1).data_type == "s"
