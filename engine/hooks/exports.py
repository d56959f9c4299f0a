"""What an exported report states above its figures, as a 考核办 files it: the period, the region, when.

Every export (CSV aside, which stays a plain table for machines) opens with the report's title
and one line, "统计期：2026年11月　区域：东湖街道　生成时间：2026年12月2日 19:30", built here from the
parameters the report ran with and the reader's region.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Mapping

from ..humanize import CST, name_of

__all__ = ["ExportHeading", "period_text"]

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_QUARTER = re.compile(r"(\d{4})-?Q([1-4])", re.IGNORECASE)
_HALF = re.compile(r"(\d{4})-?H([12])", re.IGNORECASE)
_YEAR = re.compile(r"\d{4}")
_QUARTERS = "一二三四"


def _day(text: str) -> str:
    day = date.fromisoformat(text)
    return f"{day.year}年{day.month}月{day.day}日"


def period_text(params: Mapping[str, Any]) -> str:
    """The period a report covers, as an office writes it ("2026年11月", "2026年第一季度", "全部")."""
    for key in ("month", "period", "quarter", "year"):
        text = str(params.get(key) or "").strip()
        if match := _MONTH.fullmatch(text):
            return f"{match[1]}年{int(match[2])}月"
        if match := _QUARTER.fullmatch(text):
            return f"{match[1]}年第{_QUARTERS[int(match[2]) - 1]}季度"
        if match := _HALF.fullmatch(text):
            return f"{match[1]}年{'上' if match[2] == '1' else '下'}半年"
        if _YEAR.fullmatch(text):
            return f"{text}年"
        if text:
            return text
    start, end = params.get("start"), params.get("end")
    try:
        if start and end:  # the end is exclusive in every report: say the last day covered
            last = date.fromisoformat(str(end)) - timedelta(days=1)
            return f"{_day(str(start))}至{last.year}年{last.month}月{last.day}日"
        if start:
            return f"{_day(str(start))}起"
    except ValueError:
        pass
    return "全部"


@dataclass(frozen=True)
class ExportHeading:
    """The title block of an export: the report's title, its period, region and generation time."""

    title: str
    period: str
    region: str
    generated_at: datetime

    @classmethod
    def of(cls, title: str, actor: Any, params: Mapping[str, Any], now: datetime | None = None) -> "ExportHeading":
        """The heading of a report ``title`` run by ``actor`` with ``params`` (a region asked for, else the reader's)."""
        code = params.get("street") or params.get("region") or params.get("community") or getattr(actor, "region", None)
        return cls(title, period_text(params), name_of(code) if code else "全区",
                   now or datetime.now(timezone.utc))

    @property
    def line(self) -> str:
        at = self.generated_at.astimezone(CST)
        return (f"统计期：{self.period}　区域：{self.region}　"
                f"生成时间：{at.year}年{at.month}月{at.day}日 {at:%H:%M}")
