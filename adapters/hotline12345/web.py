"""The 12345 hotline blueprint: bearer-token calls in, ``{"code", "message", "data"}`` answers out.

Imported by the web app only, when it mounts the adapter.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Mapping

import orjson
from flask import Blueprint, Response, request

from ..inbound import Refused, bearer_token, secret_matches
from ..web import inbound_blueprint, json_object
from .plugin import HotlineAdapter

if TYPE_CHECKING:  # pragma: no cover
    from gongzhi import Engine

__all__ = ["blueprint"]

logger = logging.getLogger("gongzhi.adapters.hotline12345")

# The platform's codes: the HTTP status times 100, except where two refusals share a status.
CODES = {"busy": 40901}


def _json(body: Mapping[str, Any], status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    response = Response(orjson.dumps(body), status=status, content_type="application/json; charset=utf-8")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _render_refused(exc: Refused) -> Response:
    body: dict[str, Any] = {"code": exc.code or CODES.get(exc.kind, exc.status * 100), "message": exc.message}
    if exc.errors:
        body["errors"] = exc.errors
    return _json(body, exc.status)


def blueprint(adapter: HotlineAdapter, engine: Engine) -> Blueprint:
    bp = inbound_blueprint("hotline12345", __name__, _render_refused, logger)

    @bp.before_request
    def _authenticate() -> None:
        if not adapter.token:
            raise Refused(503, "热线接口未配置令牌（adapter_hotline12345.token）", kind="unconfigured")
        if not secret_matches(bearer_token(request.headers.get("Authorization")), [str(adapter.token)]):
            raise Refused(401, "令牌无效", kind="unauthorized")
        if request.method == "POST":
            adapter.verify(request.headers, request.get_data())

    @bp.post("/work-orders")
    def receive() -> Response:
        result, data = adapter.receive(json_object())
        body = {"code": 0, "message": "已接收", "data": data}
        return _json(body, 200, {} if result.created else {"Idempotent-Replayed": "true"})

    @bp.post("/work-orders/<order_no>/actions")
    def act(order_no: str) -> Response:
        created, data = adapter.act(order_no, json_object())
        return _json({"code": 0, "message": "已受理", "data": data}, 200, {} if created else {"Idempotent-Replayed": "true"})

    @bp.post("/reconciliation")
    def reconcile() -> Response:
        body = json_object()
        return _json({"code": 0, "message": "ok", "data": adapter.reconcile(body.get("month"), body.get("orders"))})

    @bp.get("/work-orders/<order_no>")
    def status(order_no: str) -> Response:
        return _json({"code": 0, "message": "ok", "data": adapter.status(order_no)})

    return bp
