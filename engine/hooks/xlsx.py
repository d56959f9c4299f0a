"""A report as a single-sheet XLSX workbook (openpyxl): Chinese headings, cells as people read them.

Numbers stay numbers so the sheet can sum and sort them; ratios are numbers shown
as percentages ("85.5%", "100%"); everything else is the text the CSV export has
(是/否, Beijing times, names for codes). openpyxl is imported on first use.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


def workbook(report: "Report", data: Any) -> bytes:
    """One sheet named after the report: a bold, frozen heading row, then a row per figure row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    rows = report.export_rows(data)
    columns = report.export_columns(rows)
    book = Workbook()
    sheet = book.active
    sheet.title = _SHEET_FORBIDDEN.sub(" ", report.title)[:31] or "报表"
    sheet.append([report.headings.get(c, c) for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for r, row in enumerate(rows, start=2):
        for c, column in enumerate(columns, start=1):
            value, number_format = _value(report, column, row.get(column))
            target = sheet.cell(row=r, column=c, value=value)
            if number_format:
                target.number_format = number_format
            elif isinstance(value, str) and value.startswith("="):
                target.data_type = "s"  # text, never a formula
    for c, column in enumerate(columns, start=1):
        widest = max([len(str(report.headings.get(column, column)))] +
                     [len(str(sheet.cell(row=r, column=c).value or "")) for r in range(2, len(rows) + 2)])
        sheet.column_dimensions[get_column_letter(c)].width = min(40, 4 + 2 * widest)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
