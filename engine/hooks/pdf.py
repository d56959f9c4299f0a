"""A report as a PDF for filing (ReportLab): the title block, then the figures as a table.

Chinese is set in ReportLab's built-in CID font (STSong-Light, one of the Adobe Asian fonts every
PDF reader carries), so the PDF needs no font file and no system library after ``pip install``.
Cells read as in the CSV export (percentages, 是/否, names for codes). A wide report turns the
page to landscape and shrinks the type; headings and long cells wrap. ReportLab is imported on
first use.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .exports import ExportHeading
    from .objects import Report

__all__ = ["document", "PDF_MEDIA_TYPE", "FONT"]

PDF_MEDIA_TYPE = "application/pdf"
FONT = "STSong-Light"
_WIDE = 8  # columns beyond which the page turns to landscape


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def document(report: "Report", data: Any, heading: "ExportHeading") -> bytes:
    """The PDF of ``report``'s figures under ``heading``."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

    font = _font()
    rows = report.export_rows(data)
    columns = report.export_columns(rows)
    size = landscape(A4) if len(columns) > _WIDE else A4
    points = 9 if len(columns) <= _WIDE else max(5.5, 9 - 0.25 * (len(columns) - _WIDE))
    body = ParagraphStyle("cell", fontName=font, fontSize=points, leading=points * 1.3, wordWrap="CJK")
    head = ParagraphStyle("head", parent=body, textColor=colors.white)
    number = ParagraphStyle("number", parent=body, alignment=2)  # figures right-aligned, as a ledger writes them
    numeric = {c for c in columns if c in report.percents or all(_is_number(row.get(c)) for row in rows)}
    weights = [1 if c in numeric else 2 for c in columns]  # names need room, figures less
    unit = (size[0] - 20 * mm) / max(1, sum(weights))
    table = LongTable([[Paragraph(_text(report.heading(c)), head) for c in columns]] +
                      [[Paragraph(_text(report.cell(c, row.get(c))), number if c in numeric else body)
                        for c in columns] for row in rows],
                      repeatRows=1, colWidths=[w * unit for w in weights])
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f4e79")),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#8096b0")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#eef3f8")]),
    ]))
    out = io.BytesIO()
    pdf = SimpleDocTemplate(out, pagesize=size, leftMargin=10 * mm, rightMargin=10 * mm, topMargin=12 * mm,
                            bottomMargin=12 * mm, title=heading.title, author="共治", subject=heading.line)
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, alignment=1)
    line = ParagraphStyle("line", fontName=font, fontSize=9, leading=13, alignment=1)
    story = [Paragraph(_text(heading.title), title), Paragraph(_text(heading.line), line), Spacer(1, 4 * mm), table]
    if not rows:
        story.append(Paragraph("本期没有数据", line))

    def footer(canvas: Any, doc: Any) -> None:
        canvas.setFont(font, 8)
        canvas.drawCentredString(size[0] / 2, 6 * mm, f"第 {doc.page} 页")

    pdf.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _is_number(value: Any) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def _text(value: str) -> str:
    """Cell text as Paragraph markup: escaped, so a resident's "<b>" stays text."""
    from xml.sax.saxutils import escape

    return escape(str(value))
