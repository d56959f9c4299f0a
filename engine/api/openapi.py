"""The OpenAPI 3.1 document, generated with apispec from the declared operations and their schemas.

3.1 rather than 3.0 because its schemas are full JSON Schema: free-form JSON can
say that its keys, like its text, never hold U+0000 (``propertyNames``), which the
server refuses everywhere (PostgreSQL cannot store it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema

from ..checks import DEFAULT_MAX_JSON_DEPTH
from .operations import JSON, MULTIPART, Operation
from .problems import HTTP_TITLES, PROBLEM_MEDIA_TYPE
from ..sandbox import RESERVED_NAMES
from .schemas import JsonObject, ProblemSchema, Variables

__all__ = ["build_spec", "DocContext", "BUSINESS_PROBLEMS", "TEXT_PATTERN"]

# Every string the API reads refuses U+0000 (``operations.reject_nul``); the document says so on each.
TEXT_PATTERN = "^[^\\x00]*$"
JSON_VALUE = "#/components/schemas/JsonValue"

# 422 answers to requests that match this document but that the rules refuse: the process's form,
# the definitions' validity, a decision's evaluation, a reused key, a report's own parameters, a
# process that fails while running, a point outside the grid directory's district. Every other 422 means
# the request did not match the document.
BUSINESS_PROBLEMS = (
    "form-validation-error", "definition-invalid", "decision-error", "hit-policy-violation", "idempotency-conflict",
    "report-parameter-error", "execution-error", "script-error", "service-task-error", "limit-exceeded",
    "deadline-exceeded", "outside-district", "admin-action-parameter-error",
)

DESCRIPTION = """共治 Gongzhi 规则与流程引擎的 HTTP 接口。

认证：`Authorization: Bearer <token>`（HS256 JWT，声明 sub、name、groups、region、exp）。
错误：RFC 9457 `application/problem+json`，校验错误在 `errors` 中逐项列出字段。
创建类 POST 请求支持 `Idempotency-Key` 请求头：同键同内容返回首次响应，同键不同内容返回 422。
没有 `pii` 权限的用户看到的居民个人信息（手机号、身份证号、姓名）已脱敏。
文本（含 JSON 对象的键）不能包含 NUL 字符 (U+0000)；JSON 请求体最多嵌套 {max_json_depth} 层。两者违反时返回 422。

422 的 `type` 分两类：请求不符合本文档时为 `urn:gongzhi:problem:invalid-input` 等；
请求符合本文档、但业务规则不允许时为以下之一（如表单校验、流程定义有误、决策计算出错、幂等键已用于其他内容、
报表参数无效、流程执行出错）：{business}。
"""


@dataclass(frozen=True)
class DocContext:
    """What the document takes from the app it describes."""

    reports: Mapping[str, Any] = field(default_factory=dict)
    admin_actions: Mapping[str, Any] = field(default_factory=dict)
    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH


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
        elif not media.startswith("text/"):  # a file (the XLSX export of a report)
            content[media] = {"schema": {"type": "string", "format": "binary"}}
        else:
            content[media] = {"schema": {"type": "string"}}
    responses: dict[str, Any] = {str(op.status): {"description": op.summary, "content": content}}
    if op.links:
        responses[str(op.status)]["links"] = op.links
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
        {"in": "path", "name": name, "required": True, "schema": {"type": "string", "minLength": 1, "pattern": TEXT_PATTERN}}
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


def _has_required(schema: type[Schema]) -> bool:
    return any(f.required for f in schema().fields.values())


def _request_body(op: Operation) -> dict[str, Any] | None:
    content: dict[str, Any] = {}
    if op.body is not None:
        content[JSON] = {"schema": op.body}
    if op.multipart is not None:
        content[MULTIPART] = {"schema": op.multipart}
    if not content:
        return None
    # An empty body reads as {}: it is optional exactly when every field has a default.
    required = op.multipart is not None or (op.body is not None and _has_required(op.body))
    return {"required": required, "content": content}


def _json_object(self: Any, field: Any, **_: Any) -> dict[str, Any]:
    """apispec attribute function: a ``JsonObject`` field is JSON without U+0000 in keys or text."""
    if isinstance(field, Variables):
        # Names a script could not live with are refused (runtime.forms.check_variable_names).
        names = {"pattern": "^(?!_)[^\\x00]*$", "not": {"enum": sorted(RESERVED_NAMES)}}
        return {"propertyNames": names, "additionalProperties": {"$ref": JSON_VALUE}}
    if isinstance(field, JsonObject):
        return {"propertyNames": {"pattern": TEXT_PATTERN}, "additionalProperties": {"$ref": JSON_VALUE}}
    if "propertyNames" in field.metadata:  # a Dict whose keys are validated (apispec does not say so itself)
        return {"propertyNames": field.metadata["propertyNames"]}
    return {}


def _json_value(max_depth: int) -> dict[str, Any]:
    return {
        "description": f"任意 JSON 值：文本与对象的键不能包含 U+0000，请求体最多嵌套 {max_depth} 层",
        "type": ["object", "array", "string", "number", "boolean", "null"],
        "pattern": TEXT_PATTERN, "propertyNames": {"pattern": TEXT_PATTERN},
        "additionalProperties": {"$ref": JSON_VALUE}, "items": {"$ref": JSON_VALUE},
    }


def _no_nul(schema: Any, components: Mapping[str, Any], seen: set[str]) -> None:
    """Give every string a request carries the NUL-free pattern the server enforces."""
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[1]
        if name not in seen:
            seen.add(name)
            _no_nul(components.get(name), components, seen)
    kinds = schema.get("type")
    if (kinds == "string" or (isinstance(kinds, list) and "string" in kinds)) and "format" not in schema:
        schema.setdefault("pattern", TEXT_PATTERN)
    for sub in (schema.get("properties") or {}).values():
        _no_nul(sub, components, seen)
    for key in ("items", "additionalProperties"):
        _no_nul(schema.get(key), components, seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key) or ():
            _no_nul(sub, components, seen)


def build_spec(operations: Iterable[Operation], server_url: str, version: str,
               context: DocContext | None = None) -> dict[str, Any]:
    context = context or DocContext()
    operations = list(operations)  # walked twice
    plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)
    spec = APISpec(
        title="共治 Gongzhi API", version=version, openapi_version="3.1.0", plugins=[plugin],
        info={"description": DESCRIPTION.format(max_json_depth=context.max_json_depth,
                                                business="、".join(f"`{t}`" for t in BUSINESS_PROBLEMS))},
        servers=[{"url": server_url}],
    )
    plugin.converter.add_attribute_function(_json_object)
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.schema("Problem", schema=ProblemSchema)
    spec.components.schema("JsonValue", _json_value(context.max_json_depth))
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
        if op.document is not None:
            op.document(entry, context)
        by_path.setdefault(op.path, {})[op.method.lower()] = entry
    for path, ops in by_path.items():
        spec.path(path=path, operations=ops)
    for op in operations:  # schema-level rules marshmallow checks in code (e.g. "one of these fields")
        for schema in (op.body, op.multipart):
            if schema is not None and getattr(schema, "openapi_extra", None):
                spec.components.schemas[_schema_name(schema)].update(schema.openapi_extra)
    document = spec.to_dict()
    _requests_refuse_nul(document)
    return document


def _requests_refuse_nul(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    seen: set[str] = {"JsonValue"}
    for item in document["paths"].values():
        for entry in item.values():
            for param in entry.get("parameters", ()):
                _no_nul(param.get("schema"), components, seen)
            for media in (entry.get("requestBody") or {}).get("content", {}).values():
                _no_nul(media.get("schema"), components, seen)
