"""A report as an XLSX workbook (openpyxl): Chinese headings, cells as people read them.

Over HTTP a workbook opens with a title block (the report, its period, region and
generation time; see ``hooks.exports``) and, for a report with a ``book``, holds one
sheet per level (区 / 街道 / 社区 / 部门), each another report run with the same reader.

Numbers stay numbers so the sheet can sum and sort them; ratios are numbers shown
as percentages ("85.5%", "100%"); everything else is the text the CSV export has
(是/否, Beijing times, names for codes). openpyxl is imported on first use.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from .exports import ExportHeading
    from .objects import Report

__all__ = ["workbook", "XLSX_MEDIA_TYPE"]

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _percent_format(value: float) -> str:
    """"0%" for whole percentages, "0.0%" otherwise (one decimal, as ``humanize.percent``)."""
    return "0%" if round(value * 100, 1) == round(value * 100) else "0.0%"


def _value(report: "Report", column: str, value: Any) -> tuple[Any, str | None]:
    """(cell value, number format) for one cell."""
    if value is None:
        return None, None
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if column in report.percents and number:
        return round(float(value), 4), _percent_format(float(value))
    if number and column not in report.named:
        return (round(value, 2), "0.##") if isinstance(value, float) and value != int(value) else (value, None)
    return report.cell(column, value), None


def workbook(report: "Report", data: Any, heading: "ExportHeading | None" = None,
             sheets: Sequence[tuple[str, "Report", Any]] = ()) -> bytes:
    """The report's sheet (with the title block of ``heading`` when given), then one sheet per
    ``(sheet title, report, figures)`` of ``sheets`` — the levels of an assessment book."""
    from openpyxl import Workbook

    book = Workbook()
    _fill(book.active, report, data, heading, report.title)
    for title, other, figures in sheets:
        _fill(book.create_sheet(), other, figures, heading and replace(heading, title=other.title), title)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill(sheet: Any, report: "Report", data: Any, heading: "ExportHeading | None", title: str) -> None:
    """One sheet: the title block, a bold frozen heading row, then a row per figure row."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    rows = report.export_rows(data)
    columns = report.export_columns(rows)
    sheet.title = _SHEET_FORBIDDEN.sub(" ", title)[:31] or "报表"
    if heading is not None:
        sheet.append([heading.title])
        sheet.append([heading.line])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.oddHeader.center.text = f"{heading.title}（{heading.period}）"  # printed on every page
        sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
    top = sheet.max_row + 1 if heading is not None else 1
    sheet.append([report.heading(c) for c in columns])
    for cell in sheet[top]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = f"A{top + 1}"
    sheet.print_title_rows = f"{top}:{top}"
    for r, row in enumerate(rows, start=top + 1):
        for c, column in enumerate(columns, start=1):
            value, number_format = _value(report, column, row.get(column))
            target = sheet.cell(row=r, column=c, value=value)
            if number_format:
                target.number_format = number_format
            elif isinstance(value, str) and value.startswith("="):
                target.data_type = "s"  # text, never a formula
    for c, column in enumerate(columns, start=1):
        widest = max([len(report.heading(column))] +
                     [len(str(sheet.cell(row=r, column=c).value or "")) for r in range(top + 1, top + 1 + len(rows))])
        sheet.column_dimensions[get_column_letter(c)].width = min(40, 4 + 2 * widest)
