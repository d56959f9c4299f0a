"""Declared operations: one decorator registers the Flask route, parses and checks the
request with marshmallow, renders the response, and describes it all for OpenAPI.

Keeping route, validation and documentation in one declaration is what keeps
the OpenAPI document honest: it is generated from the very schemas the views
use, never written by hand.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import orjson
from flask import Blueprint, Response, request
from marshmallow import Schema

from ..checks import first_too_deep, max_json_depth, nul_fields, too_deep
from .context import current_actor, state
from .problems import ApiError

__all__ = ["Operation", "Registry", "Body", "JSON", "json_response", "link"]

JSON = "application/json"
MULTIPART = "multipart/form-data"


@dataclass(frozen=True)
class Body:
    """A parsed request body and a fingerprint of its content (for idempotency)."""

    data: Any
    fingerprint: str


@dataclass
class Operation:
    method: str
    rule: str
    endpoint: str
    view: Callable[..., Any]
    summary: str
    tag: str
    body: type[Schema] | None = None
    multipart: type[Schema] | None = None
    query: type[Schema] | None = None
    response: type[Schema] | None = None
    status: int = 200
    auth: bool = True
    idempotent: bool = False
    produces: tuple[str, ...] = (JSON,)
    errors: tuple[int, ...] = ()
    description: str = ""
    extra_responses: dict[int, str] = field(default_factory=dict)
    # Adds to this operation's OpenAPI entry what only the running app knows (e.g. the registered reports).
    document: Callable[[dict[str, Any], Any], None] | None = None
    # OpenAPI links from the success answer to the operations its ids lead to (see ``link``).
    links: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def path(self) -> str:
        """The OpenAPI form of the Flask rule: ``/tasks/<task_id>`` -> ``/tasks/{task_id}``."""
        return re.sub(r"<(?:[a-z]+:)?([A-Za-z_]+)>", r"{\1}", self.rule)

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"<(?:[a-z]+:)?([A-Za-z_]+)>", self.rule)

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


def link(operation_id: str, description: str, **parameters: str) -> dict[str, Any]:
    """An OpenAPI link: call ``operation_id`` with parameters taken from this answer.

    Values are runtime expressions such as ``"$response.body#/id"``; a name such as
    ``query.instance_id`` says where the parameter goes when the name alone is ambiguous.
    """
    return {"operationId": operation_id, "description": description, "parameters": parameters}


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = Response(orjson.dumps(data), status=status, mimetype=JSON)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _is_json(mimetype: str) -> bool:
    return mimetype == JSON or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def _read_json() -> Body:
    raw = request.get_data(cache=True)  # enforces MAX_CONTENT_LENGTH (413)
    if not raw.strip():
        data: Any = {}
    else:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ApiError(400, f"请求体不是合法的 JSON：{exc.msg}（第 {exc.lineno} 行第 {exc.colno} 列）",
                           "malformed-json") from exc
    # Before anything walks or re-serialises the body: orjson refuses deep nesting when dumping.
    limit = max_json_depth(state().engine.config)
    where = first_too_deep(data, limit)
    if where is not None:
        raise too_deep(where, limit)
    fingerprint = hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return Body(data, fingerprint)


def read_body(op: Operation) -> Body:
    """The JSON (or multipart) body; 415 for another content type, 400 for malformed JSON."""
    mimetype = request.mimetype or ""
    has_body = bool(request.content_length) or request.headers.get("Transfer-Encoding") == "chunked"
    if op.multipart is not None and mimetype == MULTIPART:
        files = request.files.getlist("files")  # reading the form enforces MAX_CONTENT_LENGTH too
        digest = hashlib.sha256()
        entries = []
        for item in files:
            content = item.read()
            entries.append({"name": item.filename or "", "content": content})
            digest.update(orjson.dumps([item.filename or "", hashlib.sha256(content).hexdigest()]))
        return Body({"files": entries, "multipart": True}, digest.hexdigest())
    if (mimetype and not _is_json(mimetype)) or (has_body and not mimetype):
        accepted = JSON + (f" 或 {MULTIPART}" if op.multipart is not None else "")
        raise ApiError(415, f"请求内容类型应为 {accepted}，收到的是 {mimetype or '（未指定）'}", "unsupported-media-type")
    body = _read_json()
    if op.body is not None:
        body = Body(op.body().load(body.data), body.fingerprint)
    return body


class OperationRegistry:
    """The operations of one blueprint, in declaration order."""

    def __init__(self, blueprint: Blueprint) -> None:
        self.blueprint = blueprint
        self.operations: list[Operation] = []

    def route(self, method: str, rule: str, *, summary: str, tag: str, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
            op = Operation(method.upper(), rule, view.__name__, view, summary, tag, **options)
            self.operations.append(op)
            self.blueprint.add_url_rule(rule, op.endpoint, _handler(op), methods=[op.method])
            return view

        return decorate


def reject_nul(**parts: Any) -> None:
    fields = [f for name, value in parts.items() for f in nul_fields(value, "" if name == "body" else name)]
    if fields:
        raise ApiError(422, "文本中不能包含 NUL 字符 (U+0000)", "invalid-input",
                       errors=[{"field": f or "body", "message": "含 NUL 字符"} for f in fields])


def _handler(op: Operation) -> Callable[..., Response]:
    from . import idempotency

    def handle(**path_args: Any) -> Response:
        actor = current_actor() if op.auth else None
        reject_nul(**path_args, **{f"query.{k}": v for k, v in request.args.items()})
        query = op.query().load(request.args) if op.query is not None else None
        body = read_body(op) if (op.body is not None or op.multipart is not None) else None
        if body is not None and not (isinstance(body.data, dict) and body.data.get("multipart")):
            reject_nul(body=body.data)

        def call() -> Response:
            result = op.view(actor=actor, body=body.data if body else None, query=query, **path_args)
            if isinstance(result, Response):
                return result
            status = op.status
            if isinstance(result, tuple):  # (data, status) when one operation has two success codes
                result, status = result
            data = op.response().dump(result) if op.response is not None else result
            return json_response(data, status)

        if op.idempotent and actor is not None and body is not None:
            return idempotency.guarded(actor, op, body, call)
        return call()

    handle.__name__ = op.endpoint
    return handle
