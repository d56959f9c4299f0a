"""The Open311 blueprint: GeoReport v2 requests parsed, answered in JSON or XML (imported by the web app only)."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, request

from ..inbound import Refused
from ..web import inbound_blueprint
from .formats import render, render_errors
from .plugin import FIELDS, Open311Adapter, Open311Error, parse_date

if TYPE_CHECKING:  # pragma: no cover
    from gongzhi import Engine

__all__ = ["blueprint"]

logger = logging.getLogger("gongzhi.adapters.open311")

ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
FORMAT = "<any(json, xml):fmt>"
STATUS = {"invalid": 400}  # GeoReport knows 400, not 422, for data the process refused


def _fmt() -> str:
    return "xml" if request.path.endswith(".xml") else "json"


def _render_refused(exc: Refused) -> Response:
    status = STATUS.get(exc.kind, exc.status)
    return render_errors(_fmt(), status, [(exc.code or status, exc.message)])


def _param(name: str) -> str | None:
    value = request.form.get(name) if request.method == "POST" else None
    if value is None:
        value = request.args.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _attributes() -> dict[str, Any]:
    given: dict[str, Any] = {}
    for key in request.form:
        match = ATTRIBUTE.match(key)
        if match:
            values = [v for v in request.form.getlist(key) if v != ""]
            given[match.group(1)] = values if match.group(2) else (values[0] if values else None)
    return given


def _split(name: str) -> list[str]:
    return [part.strip() for part in (_param(name) or "").split(",") if part.strip()]


def blueprint(adapter: Open311Adapter, engine: Engine) -> Blueprint:
    bp = inbound_blueprint("open311", __name__, _render_refused, logger)

    def jurisdiction() -> None:
        given = _param("jurisdiction_id")
        if given is not None and adapter.jurisdiction_id and given != adapter.jurisdiction_id:
            raise Open311Error(404, f"jurisdiction_id {given} not found")

    @bp.before_request
    def _checks() -> None:
        if request.method == "GET" and adapter.require_key_for_reads:
            adapter.client_of(_param("api_key"))
        jurisdiction()

    @bp.get(f"/services.{FORMAT}")
    def services(fmt: str) -> Response:
        return render(fmt, "services", "service", [s.listing() for s in adapter.services.values()])

    @bp.get(f"/services/<code>.{FORMAT}")
    def service_definition(code: str, fmt: str) -> Response:
        return render(fmt, "service_definition", None, adapter.service(code).definition())

    @bp.post(f"/requests.{FORMAT}")
    def create(fmt: str) -> Response:
        client = adapter.client_of(_param("api_key"))
        service = adapter.service(_param("service_code"))
        attributes = service.check(_attributes())
        external_id = request.headers.get("Idempotency-Key") or _param("external_id")
        result = adapter.submit(client, service, {name: _param(name) for name in FIELDS}, attributes, external_id)
        body = [{"service_request_id": result.instance_id, "service_notice": service.notice,
                 "account_id": _param("account_id")}]
        return render(fmt, "service_requests", "request", body, 201,
                      headers={} if result.created else {"Idempotent-Replayed": "true"})

    @bp.get(f"/requests.{FORMAT}")
    def query(fmt: str) -> Response:
        ids = _split("service_request_id")
        if ids:  # the specification: this overrides every other parameter
            rows = adapter.rows(ids)
        else:
            rows = adapter.query(set(_split("service_code")), set(_split("status")),
                                 parse_date("start_date", _param("start_date")),
                                 parse_date("end_date", _param("end_date")))
        return render(fmt, "service_requests", "request", rows)

    @bp.get(f"/requests/<request_id>.{FORMAT}")
    def one(request_id: str, fmt: str) -> Response:
        return render(fmt, "service_requests", "request", [adapter.row(adapter.case(request_id))])

    @bp.get(f"/tokens/<token>.{FORMAT}")
    def token(token: str, fmt: str) -> Response:
        view = adapter.intake().find(token)
        if view is None:
            raise Open311Error(404, f"token {token} not found")
        return render(fmt, "service_requests", "request", [{"service_request_id": view.id, "token": token}])

    return bp
