"""Process definitions and deployments."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from flask import Response

from ...definitions.sources import SourceFile
from ...errors import DefinitionInvalid, InvalidInput, NotAllowed, Problem
from ...security.identity import Actor
from ..blueprint import api
from ..context import state
from ..operations import link
from ..schemas import (
    FILE_NAME,
    FILE_NAME_RULE,
    DefinitionDetailSchema,
    DefinitionListSchema,
    DeploymentResultSchema,
    DeploymentSchema,
    DeploymentUploadSchema,
    MigrationRequestSchema,
    MigrationResultSchema,
    VersionQuerySchema,
)

TAG = "流程定义"
DEPLOY_PERMISSION = "deploy"
_FILE_NAME = re.compile(FILE_NAME)


@api.route("GET", "/process-definitions", summary="已部署的流程定义", tag=TAG, response=DefinitionListSchema, links={
    "GetDefinition": link("get_definition", "第一个流程定义的详情", key="$response.body#/items/0/key"),
    "GetDefinitionXml": link("get_definition_xml", "第一个流程定义的 BPMN", key="$response.body#/items/0/key"),
})
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


@api.route("POST", "/process-definitions/<key>/migrations", summary="把运行中的案件迁移到流程的另一版本", tag=TAG,
           body=MigrationRequestSchema, response=MigrationResultSchema, errors=(403, 404, 409),
           description="默认只预演（`dry_run` 为 true）：逐个案件说明能否迁移、为什么不能。一个案件能迁移，当且仅当它的每个环节"
                       "在目标版本中都有（或由 `mapping` 给出改名后的环节），且它当前停在的环节没有改动；改动只能在当前环节之后。"
                       "`dry_run` 为 false 时迁移能迁移的案件，每个案件写一条审计记录 `migrate`；撤回见 "
                       "`POST /process-instances/{instance_id}/migration/revert`。仅管理员。")
def migrate(actor: Actor, key: str, body: dict[str, Any], **_: Any) -> dict[str, Any]:
    result = state().engine.migrate(key, body["to_version"], actor, instance_ids=body["instance_ids"],
                                    mapping=body["mapping"], dry_run=body["dry_run"])
    return result.as_dict()


def _sources(files: list[dict[str, Any]]) -> list[SourceFile]:
    """The uploaded files as sources; a bad or repeated name is a problem of the definition set.

    JSON bodies have their names checked against ``FILE_NAME`` by the schema already;
    multipart file names cannot be described in OpenAPI, so they are checked here, and
    reported like every other reason a set of files cannot be deployed (422, ``errors``).
    """
    problems: list[Problem] = []
    sources: dict[str, SourceFile] = {}
    for i, item in enumerate(files):
        name, content = item["name"], item["content"]
        if not _FILE_NAME.match(name):
            problems.append(Problem(name or f"files[{i}]", FILE_NAME_RULE, code="file-name"))
        elif name in sources:
            problems.append(Problem(name, "同一次部署中文件名重复 (duplicate file name)", code="duplicate-file"))
        else:
            sources[name] = SourceFile(name, content.encode("utf-8") if isinstance(content, str) else content)
    if problems:
        raise DefinitionInvalid(problems)
    return list(sources.values())


@api.route("POST", "/deployments", summary="部署 BPMN/DMN/表单文件", tag=TAG, body=DeploymentSchema,
           multipart=DeploymentUploadSchema, response=DeploymentResultSchema, status=201, idempotent=True,
           errors=(403,), extra_responses={200: "没有新版本（文件未变化）"},
           description="JSON `{files: [{name, content}]}` 或 multipart 表单字段 `files`（可多个，文件名取自上传的文件名）。"
                       f"{FILE_NAME_RULE}，同一次部署中不能重复。文件有误（含文件名）时返回 422 `definition-invalid`，"
                       "`errors` 逐项列出文件与元素。部署到全区需要 admin 组；有 deploy 权限的人可以用 `region` "
                       "为本人管辖的区域部署该区域自己的决策表（只能是 .dmn）。")
def deploy(actor: Actor, body: dict[str, Any], **_: Any) -> tuple[dict[str, Any], int]:
    if not (actor.is_admin or DEPLOY_PERMISSION in actor.permissions):  # before reading any file
        raise NotAllowed("部署流程定义需要 admin 组或 deploy 权限")
    files = body["files"]
    if body.get("multipart") and not files:
        raise InvalidInput("没有上传文件：请用表单字段 files", errors=[{"field": "files", "message": "必填"}])
    result = state().engine.deploy(actor=actor, sources=_sources(files), region=body.get("region"))
    return result.as_dict(), 201 if result.created else 200
