"""What a designer's browser needs besides the deployment itself: a version's source files,
a dry-run validation of files not yet deployed, the organisation directory's names, and the loaded plugins.

The source listing reads the stored files of a version the same way ``runtime.catalog`` reads
a process's BPMN; it belongs there once the engine offers it (``Engine.definition_files``).
"""

from __future__ import annotations

import re
from typing import Any, Iterator

import orjson

from flask import Response
from sqlalchemy import select

from ...definitions.model import DefinitionSet
from ...definitions.validate import validate
from ...errors import DefinitionInvalid, InvalidInput, NotAllowed, NotFound, UnknownDecision, UnknownProcess
from ...hooks.manager import describe_plugins
from ...security.identity import Actor
from ...checks import plain_id
from ...store.models import DefinitionFile, DefinitionVersion
from ..blueprint import api
from ..context import state
from ..schemas import (
    DefinitionFilesSchema,
    DefinitionLabelsSchema,
    DeploymentSchema,
    DeploymentUploadSchema,
    DirectorySchema,
    PluginListSchema,
    ValidationResultSchema,
    VersionQuerySchema,
)
from .definitions import DEPLOY_PERMISSION, _sources

TAG = "流程定义"
# A DMN cell (or rule) on a problem's line: the finer target an editor marks than the decision.
_CELL = re.compile(r'<(?:\w+:)?(?:inputEntry|outputEntry|rule)\b[^>]*\bid="([^"]+)"')


def _version(kind: str, key: str, version: int | None) -> DefinitionVersion:
    if not plain_id(key):  # a key no database can hold (NUL, too long) names nothing
        raise UnknownProcess(str(key)) if kind == "process" else UnknownDecision(str(key), [])
    query = select(DefinitionVersion).where(DefinitionVersion.kind == kind, DefinitionVersion.key == key)
    query = query.where(DefinitionVersion.version == version) if version else query
    with state().engine.db.read() as session:
        row = session.scalar(query.order_by(DefinitionVersion.version.desc()).limit(1))
        if row is not None:
            session.expunge(row)
    if row is None and version is None:
        raise UnknownProcess(key) if kind == "process" else UnknownDecision(key, [])
    if row is None:
        raise NotFound(f"'{key}' 没有版本 {version}", key=key, version=version)
    return row


def _files(row: DefinitionVersion) -> list[dict[str, Any]]:
    with state().engine.db.read() as session:
        return [{"name": f["name"], "kind": f["kind"],
                 "content": session.get(DefinitionFile, f["sha256"]).content.decode("utf-8")} for f in row.files]


@api.route("GET", "/process-definitions/<key>/files", summary="流程某一版本的全部源文件（BPMN、DMN、表单）", tag=TAG,
           query=VersionQuerySchema, response=DefinitionFilesSchema,
           description="建模器据此修改后重新部署：流程、它调用的决策与表单一起部署，新版本即使用修改后的决策。默认最新版本。")
def get_definition_files(key: str, query: dict[str, Any], **_: Any) -> dict[str, Any]:
    row = _version("process", key, query.get("version"))
    return {"kind": "process", "key": key, "version": row.version, "files": _files(row)}


# Where a JSON Schema keeps further fields: nested objects, array items and conditional branches.
_NESTED = ("items", "then", "else", "if", "additionalProperties")
_BRANCHES = ("allOf", "anyOf", "oneOf", "prefixItems")


def _titles(schema: Any) -> Iterator[tuple[str, str]]:
    """(field name, title) of every titled property in a form, nested ones included."""
    if not isinstance(schema, dict):
        return
    for name, prop in (schema.get("properties") or {}).items():
        if isinstance(prop, dict) and isinstance(prop.get("title"), str) and prop["title"].strip():
            yield name, prop["title"].strip()
        yield from _titles(prop)
    for key in _NESTED:
        yield from _titles(schema.get(key))
    for key in _BRANCHES:
        for branch in schema.get(key) or ():
            yield from _titles(branch)
    for branch in (schema.get("dependentSchemas") or {}).values():
        yield from _titles(branch)


@api.route("GET", "/process-definitions/<key>/labels", summary="流程某一版本各表单字段的中文标题", tag=TAG,
           query=VersionQuerySchema, response=DefinitionLabelsSchema,
           description="字段名 → 表单中的标题（`title`），取自该版本的全部表单（启动表单与各环节表单，含嵌套字段与条件字段）；"
                       "同名字段取第一个出现的标题。界面用它显示案件数据，不显示字段名。默认最新版本。")
def get_definition_labels(key: str, query: dict[str, Any], **_: Any) -> dict[str, Any]:
    row = _version("process", key, query.get("version"))
    labels: dict[str, str] = {}
    for item in sorted(_files(row), key=lambda f: f["name"]):
        if not item["name"].endswith(".json"):
            continue
        try:
            form = orjson.loads(item["content"])
        except orjson.JSONDecodeError:  # a deployed JSON file is always valid; never fail a reader on it
            continue
        for name, title in _titles(form):
            labels.setdefault(name, title)
    return {"key": key, "version": row.version, "labels": labels}


@api.route("GET", "/decisions/<decision_id>/xml", summary="决策的 DMN XML（供决策表编辑器使用）", tag="决策",
           query=VersionQuerySchema, produces=("application/xml",))
def get_decision_xml(decision_id: str, query: dict[str, Any], **_: Any) -> Response:
    row = _version("decision", decision_id, query.get("version"))
    files = _files(row)
    return Response(files[0]["content"], mimetype="application/xml")


@api.route("POST", "/deployments/validate", summary="只校验、不部署（建模器的预检）", tag=TAG, body=DeploymentSchema,
           multipart=DeploymentUploadSchema, response=ValidationResultSchema, errors=(403,),
           description="与 `POST /deployments` 相同的请求体；按部署时的全部规则检查这组文件，"
                       "但不写入任何内容。`valid` 为 false 时 `problems` 逐项给出文件、行号与元素（供建模器在元素上标注）。"
                       "需要 admin 组或 deploy 权限。")
def validate_deployment(actor: Actor, body: dict[str, Any], **_: Any) -> dict[str, Any]:
    if not (actor.is_admin or DEPLOY_PERMISSION in actor.permissions):
        raise NotAllowed("校验流程定义需要 admin 组或 deploy 权限")
    if body.get("multipart") and not body["files"]:
        raise InvalidInput("没有上传文件：请用表单字段 files", errors=[{"field": "files", "message": "必填"}])
    try:
        sources = _sources(body["files"])
    except DefinitionInvalid as exc:
        return {"valid": False, "problems": [_located(p.as_dict(), {}) for p in exc.problems], "processes": [],
                "decisions": []}
    defs = DefinitionSet(sources)
    problems = validate(defs, set(state().engine.services))
    decisions = sorted(d for model in defs.dmn.values() for d in model.decisions)
    texts = {s.name: s.content.decode("utf-8", "replace").splitlines() for s in sources if s.name.endswith(".dmn")}
    return {"valid": not problems, "problems": [_located(p.as_dict(), texts) for p in problems],
            "processes": sorted(defs.executable_processes()), "decisions": decisions}


def _located(problem: dict[str, Any], texts: dict[str, list[str]]) -> dict[str, Any]:
    """Add ``target_id``: the DMN cell or rule written on the problem's line, else its element."""
    lines, line = texts.get(problem["file"]), problem.get("line")
    found = _CELL.findall(lines[line - 1]) if lines and line and 0 < line <= len(lines) else []
    return {**problem, "target_id": found[-1] if found else problem.get("element_id")}


@api.route("GET", "/directory", summary="组织目录：区域、组与部门的中文名称", tag="运维", response=DirectorySchema,
           description="界面用它把区域编码、组编码和部门编码显示为名称。没有目录插件时各项为空。")
def get_directory(**_: Any) -> dict[str, Any]:
    directory = state().engine.directory
    if directory is None:
        return {"regions": [], "groups": {}, "departments": []}
    return {
        "regions": [{"path": u.path, "name": u.name, "level": u.level} for u in directory.units.values()],
        "groups": dict(directory.groups),
        "departments": [{"code": d.code, "name": d.name, "group": d.group} for d in directory.departments.values()],
    }


@api.route("GET", "/plugins", summary="已加载的插件及其注册内容", tag="运维", response=PluginListSchema, errors=(403,),
           description="每个插件的名称、版本、注册的服务任务、通道、报表、适配器、演示与审计存放处，以及实现的其他钩子；仅管理员。")
def list_plugins(actor: Actor, **_: Any) -> dict[str, Any]:
    if not actor.is_admin:
        raise NotAllowed("只有管理员可以查看已加载的插件", permission="admin")
    return {"items": [info.as_dict() for info in describe_plugins(state().engine.pm)]}
