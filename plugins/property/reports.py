"""Reports on the red/black list: a period's published lists and a company's history.

Both read the ``period_record`` that each completed ``property_review`` ends
with (see :mod:`.records`), so they show exactly what was published.

========================  =========================================================
``property-lists``         ``period`` (e.g. ``2026Q3``): the red list (best first),
                           then the black list (worst first), with score, band,
                           stars, reason, consequence and the 政府购买服务优先 flag;
                           ``all=1`` adds every compound not listed
``property-history``       ``company`` (统一社会信用代码): every period and compound
                           the company was reviewed in, oldest first
========================  =========================================================
"""

from __future__ import annotations

from typing import Any

from gongzhi import Actor, Report

from .periods import parse_period
from .records import company_history, period_records

__all__ = ["reports", "period_lists", "LIST_COLUMNS", "HISTORY_COLUMNS"]

LIST_COLUMNS = ("period", "list", "rank", "company", "company_name", "compound", "compound_name", "street", "score", "band",
                "stars", "reason", "action", "priority_purchase", "on_probation", "adjusted", "draft_score", "published_at")
HISTORY_COLUMNS = ("period", "company", "company_name", "compound", "compound_name", "score", "band", "stars", "list",
                   "reason", "action", "priority_purchase", "on_probation", "published_at")
# Chinese column headings of the CSV exports (code columns stay in the JSON only).
HEADINGS = {"period": "考评期次", "list": "榜单", "rank": "名次", "company_name": "物业企业",
            "compound_name": "小区", "score": "综合得分", "band": "等级", "stars": "星级", "reason": "理由", "action": "后果",
            "priority_purchase": "政府购买服务优先", "on_probation": "试用期", "adjusted": "异议后更正",
            "draft_score": "公示前得分", "published_at": "发布时间"}
_ORDER = {"红榜": 0, "黑榜": 1, "未上榜": 2}


def _row(entry: dict[str, Any], period: str, published_at: Any) -> dict[str, Any]:
    row = {k: entry.get(k) for k in LIST_COLUMNS}
    row.update(period=period, published_at=published_at, adjusted=bool(entry.get("adjusted")),
               draft_score=(entry.get("draft") or {}).get("score"), priority_purchase=bool(entry.get("priority_purchase")))
    return row


def period_lists(engine: Any, actor: Actor, period: str, **params: Any) -> list[dict[str, Any]]:
    """The published lists of ``period`` (empty when it has not been published); ``all=1`` adds the rest."""
    code = str(parse_period(period))
    record = period_records(engine, actor).get(code)
    if record is None:
        return []
    everything = str(params.get("all") or "").lower() in ("1", "true")
    entries = [e for e in record.get("entries") or () if everything or e.get("list") in ("红榜", "黑榜")]
    entries.sort(key=lambda e: (_ORDER.get(e.get("list"), 9), -e["score"] if e.get("list") != "黑榜" else e["score"], e["compound"]))
    rows, ranks = [], {}
    for entry in entries:
        ranks[entry.get("list")] = ranks.get(entry.get("list"), 0) + 1
        row = _row(entry, code, record.get("published_at"))
        row["rank"] = ranks[entry.get("list")]
        rows.append(row)
    return rows


def history(engine: Any, actor: Actor, company: str, **_: Any) -> list[dict[str, Any]]:
    return [{k: row.get(k) for k in HISTORY_COLUMNS} | {"priority_purchase": bool(row.get("priority_purchase"))}
            for row in company_history(engine, str(company), actor=actor)]


def reports() -> list[Report]:
    return [
        Report("property-lists", "物业服务质量红黑榜", "某期发布的红榜与黑榜：得分、等级、星级、理由、后果，以及政府购买服务优先承接标记",
               {"period": "考评期次，如 2026Q3（季度）或 2026H1（半年度）", "all": "1 = 同时列出未上榜的小区"},
               LIST_COLUMNS, period_lists, headings=HEADINGS, named=frozenset({"period"})),
        Report("property-history", "物业企业历次考评", "某物业企业在各期、各小区的得分、等级与榜单",
               {"company": "物业企业统一社会信用代码"}, HISTORY_COLUMNS, history,
               headings=HEADINGS, named=frozenset({"period"})),
    ]
