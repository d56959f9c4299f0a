"""Process definitions and deployments."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from flask import Response

from ...definitions.sources import KINDS, SourceFile
from ...errors import InvalidInput, NotAllowed
from ...identity import Actor
from ..blueprint import api
from ..context import state
from ..schemas import (
    DefinitionDetailSchema,
    DefinitionListSchema,
    DeploymentResultSchema,
    DeploymentSchema,
    DeploymentUploadSchema,
    VersionQuerySchema,
)

TAG = "流程定义"
DEPLOY_PERMISSION = "deploy"


@api.route("GET", "/process-definitions", summary="已部署的流程定义", tag=TAG, response=DefinitionListSchema)
def list_definitions(**_: Any) -> dict[str, Any]:
    items = state().engine.definitions()
    return {"items": items, "total": len(items)}


@api.route("GET", "/process-definitions/<key>", summary="流程定义详情（含启动表单 start_form 与版本）", tag=TAG,
           response=DefinitionDetailSchema)
def get_definition(key: str, **_: Any) -> dict[str, Any]:
    return state().engine.definition(key)


@api.route("GET", "/process-definitions/<key>/xml", summary="流程的 BPMN XML（供建模工具使用）", tag=TAG,
           query=VersionQuerySchema, produces=("application/xml",))
def get_definition_xml(key: str, query: dict[str, Any], **_: Any) -> Response:
    name, content = state().engine.definition_xml(key, query.get("version"))
    response = Response(content, mimetype="application/xml")
    response.headers["Content-Disposition"] = f'inline; filename="{PurePosixPath(name).name}"'
    return response


def _sources(files: list[dict[str, Any]]) -> list[SourceFile]:
    errors: list[dict[str, str]] = []
    sources: list[SourceFile] = []
    for i, item in enumerate(files):
        name, content = item["name"], item["content"]
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts or "\\" in name or "\x00" in name or not path.name:
            errors.append({"field": f"files[{i}].name", "message": "文件名须为相对路径，不能含 .."})
        elif path.suffix.lower() not in KINDS:
            errors.append({"field": f"files[{i}].name", "message": "只接受 .bpmn、.dmn、.json 文件"})
        elif any(s.name == name for s in sources):
            errors.append({"field": f"files[{i}].name", "message": "文件名重复"})
        else:
            sources.append(SourceFile(name, content.encode("utf-8") if isinstance(content, str) else content))
    if errors:
        raise InvalidInput("上传的文件有误", errors=errors)
    return sources


@api.route("POST", "/deployments", summary="部署 BPMN/DMN/表单文件", tag=TAG, body=DeploymentSchema,
           multipart=DeploymentUploadSchema, response=DeploymentResultSchema, status=201, idempotent=True,
           errors=(403,), extra_responses={200: "没有新版本（文件未变化）"},
           description="JSON `{files: [{name, content}]}` 或 multipart 表单字段 `files`（可多个）。"
                       "文件有误时返回 422，`errors` 逐项列出文件与元素。需要 admin 组或 deploy 权限。")
def deploy(actor: Actor, body: dict[str, Any], **_: Any) -> tuple[dict[str, Any], int]:
    if not (actor.is_admin or DEPLOY_PERMISSION in actor.permissions):
        raise NotAllowed("部署流程定义需要 admin 组或 deploy 权限")
    files = body["files"]
    if body.get("multipart") and not files:
        raise InvalidInput("没有上传文件：请用表单字段 files", errors=[{"field": "files", "message": "必填"}])
    result = state().engine.deploy(actor=actor, sources=_sources(files))
    return result.as_dict(), 201 if result.created else 200
