"""The OpenAPI 3 document, generated with apispec from the declared operations and their schemas."""

from __future__ import annotations

from typing import Any, Iterable

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from .operations import JSON, MULTIPART, Operation
from .problems import HTTP_TITLES, PROBLEM_MEDIA_TYPE
from .schemas import ProblemSchema

__all__ = ["build_spec"]

DESCRIPTION = """共治 Gongzhi 规则与流程引擎的 HTTP 接口。

认证：`Authorization: Bearer <token>`（HS256 JWT，声明 sub、name、groups、region、exp）。
错误：RFC 9457 `application/problem+json`，校验错误在 `errors` 中逐项列出字段。
创建类 POST 请求支持 `Idempotency-Key` 请求头：同键同内容返回首次响应，同键不同内容返回 422。
没有 `pii` 权限的用户看到的居民个人信息（手机号、身份证号、姓名）已脱敏。
"""


def _schema_name(resolver_schema: Any) -> str:
    from apispec.ext.marshmallow.common import resolve_schema_cls

    cls = resolve_schema_cls(resolver_schema)
    name = cls.__name__
    return name[: -len("Schema")] if name.endswith("Schema") and name != "Schema" else name


def _responses(op: Operation) -> dict[str, Any]:
    content: dict[str, Any] = {}
    for media in op.produces:
        if media == JSON and op.response is not None:
            content[media] = {"schema": op.response}
        elif media == JSON:
            content[media] = {"schema": {}}
        else:
            content[media] = {"schema": {"type": "string"}}
    responses: dict[str, Any] = {str(op.status): {"description": op.summary, "content": content}}
    for status, description in op.extra_responses.items():
        responses[str(status)] = {"description": description, "content": content}
    errors: set[int] = {400, 500} | set(op.errors)
    if op.auth:
        errors |= {401}
    if op.body is not None or op.multipart is not None:
        errors |= {413, 415, 422}
    if op.query is not None:
        errors |= {422}
    if op.path_params:
        errors |= {404, 422}
    for status in sorted(errors):
        responses[str(status)] = {"$ref": f"#/components/responses/Problem{status}"}
    return responses


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"in": "path", "name": name, "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in op.path_params
    ]
    if op.query is not None:
        params.append({"in": "query", "schema": op.query})
    if op.idempotent:
        params.append({
            "in": "header", "name": "Idempotency-Key", "required": False,
            "description": "同一个键与相同请求内容只执行一次，重复请求返回首次的响应",
            "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"},
        })
    return params


def _request_body(op: Operation) -> dict[str, Any] | None:
    content: dict[str, Any] = {}
    if op.body is not None:
        content[JSON] = {"schema": op.body}
    if op.multipart is not None:
        content[MULTIPART] = {"schema": op.multipart}
    if not content:
        return None
    return {"required": True, "content": content}


def build_spec(operations: Iterable[Operation], server_url: str, version: str) -> dict[str, Any]:
    spec = APISpec(
        title="共治 Gongzhi API", version=version, openapi_version="3.0.3",
        plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
        info={"description": DESCRIPTION},
        servers=[{"url": server_url}],
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.schema("Problem", schema=ProblemSchema)
    for status, title in HTTP_TITLES.items():
        spec.components.response(f"Problem{status}", {
            "description": title, "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        })
    by_path: dict[str, dict[str, Any]] = {}
    for op in operations:
        entry: dict[str, Any] = {
            "operationId": op.endpoint, "summary": op.summary, "tags": [op.tag],
            "parameters": _parameters(op), "responses": _responses(op),
            "security": [{"bearerAuth": []}] if op.auth else [],
        }
        if op.description:
            entry["description"] = op.description
        body = _request_body(op)
        if body is not None:
            entry["requestBody"] = body
        by_path.setdefault(op.path, {})[op.method.lower()] = entry
    for path, ops in by_path.items():
        spec.path(path=path, operations=ops)
    return spec.to_dict()
