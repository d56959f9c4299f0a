"""Service-task operators of the red/black-list review.

- ``property.roster``: who is reviewed in a period (compound × company at the
  period's end, previous listing, probation) — reads the engine;
- ``property.whistle_cases``: complaint count and closure of whistle cases about
  each compound in the period — reads the engine;
- ``property.survey``: score a resident-satisfaction survey uploaded as CSV;
- ``property.company_history``: a company's listings since a date — reads the engine;
- ``property.period_due``: the period that has just ended (for the schedule);
- ``property.publish`` / ``property.notify``: publications and notices through a
  pluggable notifier (the in-memory :class:`Outbox` by default).

The operators that read the engine are used as asynchronous service tasks
(``async`` = ``true``) so they run outside the instance's own transaction.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any, Callable

from gongzhi import Notifier, ServiceCall, ServiceTask
from gongzhi.humanize import beijing, sentence

from .periods import parse_period, period_ending_before, period_label
from .records import PropertyConfig, company_history, review_entries, whistle_stats
from .roster import Roster

__all__ = ["service_tasks", "score_survey"]


def _engine(call: ServiceCall) -> Any:
    if call.engine is None:
        raise RuntimeError(f"{call.operator} 需要读取引擎数据，但调用方没有提供引擎")
    return call.engine


def score_survey(text: str, config: PropertyConfig) -> dict[str, Any]:
    """Mean score of a survey CSV: one answer per row in a column named 满意度 (or satisfaction/score/得分).

    Answers are words (满意 100, 基本满意 90, 一般 60, 不满意 0 by default) or
    numbers from 0 to 100; blank answers are skipped.
    """
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff").strip())))
    if len(rows) < 2:
        raise ValueError("问卷 CSV 至少需要表头和一行答卷")
    header = [h.strip() for h in rows[0]]
    column = next((header.index(c) for c in config.survey_columns if c in header), 0 if len(header) == 1 else None)
    if column is None:
        raise ValueError(f"问卷 CSV 缺少满意度列（{'、'.join(config.survey_columns)}）")
    points = []
    for number, row in enumerate(rows[1:], start=2):
        answer = row[column].strip() if column < len(row) else ""
        if not answer:
            continue
        if answer in config.survey_points:
            points.append(config.survey_points[answer])
            continue
        try:
            value = float(answer)
        except ValueError:
            raise ValueError(f"问卷 CSV 第 {number} 行的满意度“{answer}”无法识别") from None
        if not 0 <= value <= 100:
            raise ValueError(f"问卷 CSV 第 {number} 行的得分 {answer} 不在 0–100 之间")
        points.append(value)
    if not points:
        raise ValueError("问卷 CSV 没有有效答卷")
    return {"score": round(sum(points) / len(points), 2), "responses": len(points), "source": "问卷"}


_PERIOD_CODE = re.compile(r"(?<![A-Za-z0-9])\d{4}(?:Q[1-4]|H[12])(?![A-Za-z0-9])")


def _plain(text: str) -> str:
    """A notice as people read it: Beijing times, plain durations, 2026年第一季度 for 2026Q1."""
    return _PERIOD_CODE.sub(lambda m: period_label(m.group(0)) or m.group(0), sentence(text))


def service_tasks(roster: Callable[[], Roster], notifier: Notifier, config: PropertyConfig) -> list[ServiceTask]:
    def roster_op(call: ServiceCall) -> dict[str, Any]:
        return review_entries(_engine(call), roster(), str(call.params.get("period") or ""))

    def whistle_cases(call: ServiceCall) -> dict[str, Any]:
        compounds = call.params.get("compounds")
        return whistle_stats(_engine(call), roster(), str(call.params.get("period") or ""), compounds, config)

    def survey(call: ServiceCall) -> dict[str, Any]:
        text, score = call.params.get("csv"), call.params.get("score")
        if text:
            return score_survey(str(text), config)
        if score is None:
            raise ValueError("请上传问卷 CSV 或录入测评得分")
        return {"score": round(float(score), 2), "responses": None, "source": "录入"}

    def history(call: ServiceCall) -> dict[str, Any]:
        rows = company_history(_engine(call), str(call.params["company"]), call.params.get("compound"),
                               call.params.get("since"))
        return {"periods": [r["period"] for r in rows], "lists": [r.get("list") for r in rows],
                "scores": [r.get("score") for r in rows], "black_count": sum(r.get("list") == "黑榜" for r in rows),
                "red_count": sum(r.get("list") == "红榜" for r in rows)}

    def period_due(call: ServiceCall) -> dict[str, Any]:
        period = period_ending_before(call.now, str(call.params.get("review_cycle") or "季度"))
        return {"period": str(period), "checked_at": call.now.isoformat()}

    def brief(items: Any) -> list[dict[str, Any]]:
        keys = ("company", "company_name", "compound", "compound_name", "score", "band", "stars", "reason", "action")
        return [{k: item.get(k) for k in keys if k in item} for item in items or ()]

    def publish(call: ServiceCall) -> dict[str, Any]:
        period = str(parse_period(str(call.params.get("period") or "")))
        stage = str(call.params.get("stage") or "发布")
        notice = {"kind": f"红黑榜{stage}", "to": "public", "period": period, "stage": stage,
                  "until": call.params.get("until"), "red": brief(call.params.get("red_list")),
                  "black": brief(call.params.get("black_list")), "at": call.now.isoformat(),
                  "instance_id": call.instance_id, "element_id": call.element_id}
        notice["text"] = (f"{parse_period(period).label}物业服务质量红黑榜{stage}：红榜 {len(notice['red'])} 个、"
                          f"黑榜 {len(notice['black'])} 个" + (f"，公示至 {beijing(notice['until'])}" if notice["until"] else ""))
        notifier(notice)
        return {"period": period, "stage": stage, "published_at": call.now.isoformat(),
                "red": len(notice["red"]), "black": len(notice["black"])}

    def notify(call: ServiceCall) -> dict[str, Any]:
        notice = {"kind": call.params.get("kind") or "通知", "to": str(call.params.get("to") or ""),
                  "text": _plain(str(call.params.get("text") or "")), "at": call.now.isoformat(),
                  "instance_id": call.instance_id, "element_id": call.element_id}
        notifier(notice)
        return notice

    return [
        ServiceTask("property.roster", roster_op, "确定某期参评的企业与小区（含上期榜单、试用期）"),
        ServiceTask("property.whistle_cases", whistle_cases, "汇总某期各小区的吹哨报到投诉件数与办结率"),
        ServiceTask("property.survey", survey, "统计居民满意度问卷（CSV）"),
        ServiceTask("property.company_history", history, "查询物业企业历次考评结果"),
        ServiceTask("property.period_due", period_due, "确定刚结束的考评期次"),
        ServiceTask("property.publish", publish, "公示或发布红黑榜"),
        ServiceTask("property.notify", notify, "发送整改、清退等通知"),
    ]
