"""Health, the OpenAPI document, messages, decisions and plugin reports."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from ...status import MessageStatus
from ... import __version__
from ...runtime.watchdog import stuck_commands
from ...errors import NotAllowed, NotFound
from ...security.identity import Actor
from ..blueprint import api
from ..context import state
from ...checks import max_json_depth
from ..openapi import DocContext, build_spec
from ..operations import json_response, link
from ...hooks.exports import ExportHeading
from ...hooks.pdf import PDF_MEDIA_TYPE
from ...hooks.xlsx import XLSX_MEDIA_TYPE
from ..reports import run_report
from ..schemas import (
    DecisionListSchema,
    DecisionResultSchema,
    EvaluateDecisionSchema,
    HealthSchema,
    MessageReceiptSchema,
    MessageSchema,
    ReportListSchema,
    ReportQuerySchema,
    ReportResultSchema,
)
from . import present


@api.route("GET", "/health", summary="存活与数据库检查", tag="运维", auth=False, response=HealthSchema,
           extra_responses={503: "数据库不可用，或有操作超过时限仍未结束（本进程将被替换）"})
def health(**_: Any) -> tuple[dict[str, Any], int]:
    engine = state().engine
    database = "ok" if engine.db.ping() else "unavailable"
    stuck = stuck_commands(engine.db, engine.clock.now()) if database == "ok" else []
    worker = "unhealthy" if engine.watchdog.unhealthy else "ok"
    status = "unavailable" if database != "ok" else ("degraded" if stuck or worker != "ok" else "ok")
    body = {"status": status, "database": database, "worker": worker, "stuck_commands": stuck, "version": __version__}
    return body, 200 if status == "ok" else 503


@api.route("GET", "/openapi.json", summary="OpenAPI 3 文档", tag="运维", auth=False)
def openapi(**_: Any) -> Response:
    current = state()
    if current.openapi is None:
        context = DocContext(reports=current.reports, max_json_depth=max_json_depth(current.engine.config),
                             admin_actions=current.admin_actions)
        current.openapi = build_spec(api.operations, current.url_prefix, __version__, context)
    return json_response(current.openapi)


@api.route("POST", "/messages", summary="投递消息（按业务编号、关联属性或实例）", tag="消息", body=MessageSchema,
           response=MessageReceiptSchema, idempotent=True, errors=(403, 404, 409),
           extra_responses={202: "暂无实例等待，消息已缓存"},
           links={"GetInstance": link("get_instance", "收到消息的流程实例", instance_id="$response.body#/instance_id")},
           description="有实例在等待时立即投递（200，附实例）；否则缓存到过期（202）；"
                       "`ttl_seconds` 为 0 且没有实例等待时 404，什么也不保留。"
                       "同一 `message_id` 重复投递只处理一次；同一编号不同内容 422。")
def correlate(actor: Actor, body: dict[str, Any], **_: Any) -> tuple[dict[str, Any], int]:
    engine = state().engine
    receipt = engine.send_message(body["name"], actor, body["variables"], business_key=body["business_key"],
                                  instance_id=body["instance_id"], correlation=body["correlation"],
                                  message_id=body["message_id"], ttl_seconds=body["ttl_seconds"])
    instance = receipt.instance
    out = {"status": receipt.status, "message_id": receipt.message_id, "instance_id": receipt.instance_id,
           "expires_at": receipt.expires_at,
           "instance": present.instance(instance, engine.clock.now()) if instance is not None else None}
    return out, 202 if receipt.status == MessageStatus.BUFFERED else 200


@api.route("GET", "/decisions", summary="已部署的决策表：输入、输出与每条规则", tag="决策", response=DecisionListSchema,
           links={"EvaluateDecision": link("evaluate", "计算第一个决策", decision_id="$response.body#/items/0/id")},
           description="每个决策的最新版本；规则含编号、说明（建模器的注释列）与单元格原文。")
def list_decisions(**_: Any) -> dict[str, Any]:
    return {"items": state().engine.decisions()}


@api.route("POST", "/decisions/<decision_id>/evaluate", summary="计算已部署的 DMN 决策", tag="决策",
           body=EvaluateDecisionSchema, response=DecisionResultSchema)
def evaluate(actor: Actor, decision_id: str, body: dict[str, Any], **_: Any) -> dict[str, Any]:
    # Any authenticated actor may evaluate: decisions hold policy, not cases.
    region = body["region"] if body.get("region") is not None else actor.region
    return state().engine.evaluate_decision(decision_id, body["inputs"], region=region)


@api.route("GET", "/reports", summary="插件提供的报表", tag="报表", response=ReportListSchema,
           links={"RunReport": link("get_report", "运行第一个报表", name="$response.body#/items/0/name")})
def list_reports(**_: Any) -> dict[str, Any]:
    return {"items": [{"name": r.name, "title": r.title, "description": r.description, "params": dict(r.params),
                       "headings": {column: r.heading(column) for column in r.headings},
                       "percents": sorted(r.percents)}
                      for r in state().reports.values()]}


def _document_reports(entry: dict[str, Any], context: DocContext) -> None:
    """The registered reports' names, and the parameters they declare, each saying which reports use it."""
    for param in entry["parameters"]:
        if param["in"] == "path" and param["name"] == "name" and context.reports:
            param["schema"]["enum"] = sorted(context.reports)
    uses: dict[str, list[str]] = {}
    for name, report in sorted(context.reports.items()):
        for key, text in report.params.items():
            uses.setdefault(key, []).append(f"{name}：{text}")
    for key, described in uses.items():
        if key != "format":
            entry["parameters"].append({"in": "query", "name": key, "required": False, "schema": {"type": "string"},
                                        "description": "；".join(described)})


@api.route("GET", "/reports/<name>", summary="运行报表（?format=csv 导出 CSV，xlsx 导出考核工作簿，pdf 导出归档 PDF）",
           tag="报表", query=ReportQuerySchema, response=ReportResultSchema,
           produces=("application/json", "text/csv", XLSX_MEDIA_TYPE, PDF_MEDIA_TYPE),
           errors=(403,), document=_document_reports,
           description="报表声明的参数（见 GET /reports 的 params；每个参数的说明列出用到它的报表）从查询字符串传入，"
                       "其他参数忽略。报表不能使用所给的参数时返回 422 `report-parameter-error`。"
                       "导出用中文表头（带单位），比率写作百分数，代码写作名称；XLSX 与 PDF 的表头写明统计期、区域和生成时间，"
                       "报表声明了分级（区、街道、社区、部门）时 XLSX 每级一个工作表。")
def get_report(actor: Actor, name: str, query: dict[str, Any], **_: Any) -> Any:
    reports = state().reports
    report = reports.get(name)
    if report is None:
        raise NotFound(f"没有报表 '{name}'", report=name)
    engine = state().engine
    params = {k: v for k, v in request.args.items() if k != "format"}
    data = run_report(report, engine, actor, params)  # masked by Report.run for readers without pii
    if query["format"] == "csv":
        return _attachment("\ufeff" + report.to_csv(data), "text/csv", f"{name}.csv")
    heading = ExportHeading.of(report.title, actor, params, engine.clock.now())
    if query["format"] == "xlsx":
        levels = [(title, reports[other], figures) for title, other in report.book  # names checked at start-up
                  if (figures := _level(reports[other], engine, actor, params)) is not None]
        return _attachment(report.to_xlsx(data, heading, levels), XLSX_MEDIA_TYPE, f"{name}.xlsx")
    if query["format"] == "pdf":
        return _attachment(report.to_pdf(data, heading), PDF_MEDIA_TYPE, f"{name}.pdf")
    return {"name": name, "title": report.title, "data": data}


def _level(report: Any, engine: Any, actor: Actor, params: dict[str, Any]) -> Any:
    """A level of an assessment book, or None when the reader may not see it (a street officer's
    workbook has no district-wide sheet)."""
    try:
        return run_report(report, engine, actor, params)
    except NotAllowed:
        return None


def _attachment(body: str | bytes, media_type: str, filename: str) -> Response:
    response = Response(body, mimetype=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
