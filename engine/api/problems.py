"""RFC 9457 problem details: every error leaves the API as ``application/problem+json``.

Runtime errors carry ``http_status``, ``title`` and context attributes; this
module only translates them. Unexpected exceptions are logged with their
stack trace and answered with a generic 500 that reveals nothing.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Iterable, Mapping

import orjson
from flask import Response, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from ..errors import DefinitionInvalid, GongzhiError, Problem

__all__ = ["PROBLEM_MEDIA_TYPE", "HTTP_TITLES", "ApiError", "problem_body", "problem_response", "register_error_handlers",
           "flatten_messages"]

logger = logging.getLogger("gongzhi.api")

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:gongzhi:problem:"

# Chinese titles for the HTTP-level errors that do not come from the runtime.
HTTP_TITLES = {
    400: "请求格式错误",
    401: "未登录或令牌无效",
    403: "无权操作",
    404: "未找到",
    405: "不支持该请求方法",
    406: "不支持所要求的响应格式",
    409: "冲突",
    413: "请求体过大",
    414: "请求地址过长",
    415: "不支持的请求内容类型",
    417: "无法满足预期条件",
    422: "输入数据无效",
    431: "请求头过大",
    500: "内部错误",
    501: "未实现",
    503: "服务不可用",
}


class ApiError(Exception):
    """An error raised by the HTTP layer itself (content type, malformed JSON, ...)."""

    def __init__(self, status: int, detail: str, slug: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.detail, self.slug, self.extra = status, detail, slug, extra


def _slug(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def flatten_messages(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """marshmallow's nested ``{"field": ["msg"]}`` as a flat ``[{"field": "a.b", "message": ...}]``."""
    out: list[dict[str, str]] = []
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if key == "_schema":
                name = prefix
            elif isinstance(key, int):  # an item of a list: files[0].name, as elsewhere in the API
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            out.extend(flatten_messages(value, name))
    elif isinstance(messages, (list, tuple)):
        for item in messages:
            out.extend(flatten_messages(item, prefix))
    else:
        out.append({"field": prefix or "body", "message": str(messages)})
    return out


def _jsonable(value: Any) -> bool:
    try:
        orjson.dumps(value)
        return True
    except TypeError:
        return False


def problem_body(status: int, title: str, detail: str, slug: str, instance: str | None = None) -> dict[str, Any]:
    """The standard members of a problem document (also written by the gunicorn worker, outside Flask)."""
    return {"type": TYPE_PREFIX + slug, "title": title, "status": status, "detail": detail, "instance": instance}


def problem_response(status: int, title: str, detail: str, slug: str, *, errors: Iterable[Mapping[str, Any]] | None = None,
                     headers: Mapping[str, str] | None = None, extra: Mapping[str, Any] | None = None) -> Response:
    body = problem_body(status, title, detail, slug, request.path if request else None)
    for key, value in (extra or {}).items():
        if value is not None and _jsonable(value):
            # Context never overwrites a standard member: a task's "status" becomes "context_status".
            body[f"context_{key}" if key in body or key == "errors" else key] = value
    if errors is not None:
        body["errors"] = list(errors)
    response = Response(orjson.dumps(body), status=status, mimetype=PROBLEM_MEDIA_TYPE)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _definition_errors(problems: list[Problem]) -> list[dict[str, Any]]:
    return [{**p.as_dict(), "field": p.file + (f"#{p.element_id}" if p.element_id else "")} for p in problems]


def from_gongzhi(exc: GongzhiError) -> Response:
    status = int(exc.http_status)
    if status >= 500:  # deliberate but internal (configuration, audit chain): log it, say little
        logger.error("request %s %s failed: %s", request.method, request.path, exc, exc_info=exc)
        return problem_response(500, HTTP_TITLES[500], "服务器内部错误，请联系管理员 (internal error)", "internal")
    context = {k: v for k, v in exc.context.items() if k not in ("errors", "problems", "message")}
    errors: list[dict[str, Any]] | None = None
    if isinstance(exc, DefinitionInvalid):
        errors = _definition_errors(exc.problems)
    elif isinstance(exc.context.get("errors"), list):
        errors = [dict(e) for e in exc.context["errors"]]
    elif status == 422:
        errors = []
    headers = {"WWW-Authenticate": 'Bearer realm="gongzhi"'} if status == 401 else None
    return problem_response(status, exc.title, exc.message, _slug(type(exc).__name__), errors=errors,
                            headers=headers, extra=context)


def from_http(exc: HTTPException) -> Response:
    status = exc.code or 500
    if status >= 500:
        logger.error("request %s %s failed: %s", request.method, request.path, exc)
    detail = {
        404: f"没有这个地址：{request.path}",
        405: f"{request.path} 不支持 {request.method} 请求",
        413: "请求体超过允许的大小" + (f"（上限 {request.max_content_length} 字节）" if request.max_content_length else ""),
    }.get(status, exc.description or HTTP_TITLES.get(status, ""))
    headers = {}
    if status == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
    return problem_response(status, HTTP_TITLES.get(status, exc.name), str(detail), f"http-{status}", headers=headers)


def from_unexpected(exc: Exception) -> Response:
    logger.exception("unexpected error in %s %s", request.method, request.path, exc_info=exc)
    return problem_response(500, HTTP_TITLES[500], "服务器内部错误，请联系管理员 (internal error)", "internal")


def from_api_error(exc: ApiError) -> Response:
    errors = exc.extra.pop("errors", None)
    return problem_response(exc.status, HTTP_TITLES.get(exc.status, "错误"), exc.detail,
                            exc.slug or f"http-{exc.status}", errors=errors, extra=exc.extra)


def from_validation(exc: ValidationError) -> Response:
    errors = flatten_messages(exc.messages)
    fields = "、".join(sorted({e["field"] for e in errors})) or "body"
    return problem_response(422, HTTP_TITLES[422], f"请求数据无效：{fields}", "invalid-input", errors=errors)


def _dispatch(exc: Exception) -> Response:
    if isinstance(exc, ApiError):
        return from_api_error(exc)
    if isinstance(exc, ValidationError):
        return from_validation(exc)
    if isinstance(exc, GongzhiError):
        return from_gongzhi(exc)
    if isinstance(exc, HTTPException):
        return from_http(exc)
    return from_unexpected(exc)


def log_client_error(status: int, detail: str, kind: str) -> None:
    """A refused request is the client's business, not a fault: one line at INFO, never a stack trace."""
    logger.info("%s %r -> %d %s: %r", request.method, request.path, status, kind, detail[:300])  # repr: one line


def handle(exc: Exception) -> Response:
    """One dispatcher, usable by both the blueprint and a whole app.

    Server errors are logged with their stack trace where they are translated;
    client errors (4xx) get one line here.
    """
    response = _dispatch(exc)
    if response.status_code < 500:
        log_client_error(response.status_code, str(exc), type(exc).__name__)
    return response


def register_error_handlers(target: Any) -> None:
    """Register ``handle`` on a Flask app or blueprint for every exception."""
    target.register_error_handler(Exception, handle)
