"""Process instances: start, query, history, cancel."""

from __future__ import annotations

from typing import Any

from ...runtime import joblist
from ...security.identity import Actor
from ..blueprint import api
from ..context import state
from ..operations import link
from ..schemas import (
    AuditVerifySchema,
    CancelInstanceSchema,
    HistorySchema,
    InstancePageSchema,
    InstanceQuerySchema,
    InstanceSchema,
    MigrationItemSchema,
    StartInstanceSchema,
    TimerListSchema,
)
from . import present

TAG = "流程实例"


def _instance_links(at: str) -> dict[str, dict[str, Any]]:
    """Where an answer carrying an instance (its id at ``at``) leads."""
    return {
        "GetInstance": link("get_instance", "流程实例详情", instance_id=f"$response.body#{at}/id"),
        "GetHistory": link("get_history", "审计轨迹", instance_id=f"$response.body#{at}/id"),
        "CancelInstance": link("cancel_instance", "撤销该流程", instance_id=f"$response.body#{at}/id"),
        "ListInstanceTasks": link("list_tasks", "该流程的待办", **{"query.instance_id": f"$response.body#{at}/id"}),
        "GetOpenTask": link("get_task", "第一个待办任务", task_id=f"$response.body#{at}/open_tasks/0/id"),
        "ClaimOpenTask": link("claim_task", "认领第一个待办任务", task_id=f"$response.body#{at}/open_tasks/0/id"),
        "CompleteOpenTask": link("complete_task", "办理第一个待办任务", task_id=f"$response.body#{at}/open_tasks/0/id"),
    }


@api.route("POST", "/process-instances", summary="发起流程", tag=TAG, body=StartInstanceSchema,
           response=InstanceSchema, status=201, idempotent=True, errors=(403, 404, 409), links=_instance_links(""),
           description="以最新版本启动 `process_key`；`variables` 按启动表单校验，不通过时 422 并逐项列出字段。")
def start_instance(actor: Actor, body: dict[str, Any], **_: Any) -> dict[str, Any]:
    engine = state().engine
    view = engine.start(body["process_key"], actor, body["variables"], business_key=body["business_key"],
                        region=body["region"])
    return present.instance(view, engine.clock.now())


@api.route("GET", "/process-instances", summary="查询流程实例（限本人管辖区域）", tag=TAG, query=InstanceQuerySchema,
           response=InstancePageSchema, links={
               "GetInstance": link("get_instance", "第一个实例的详情", instance_id="$response.body#/items/0/id"),
               "GetHistory": link("get_history", "第一个实例的审计轨迹", instance_id="$response.body#/items/0/id"),
               "CancelInstance": link("cancel_instance", "撤销第一个实例", instance_id="$response.body#/items/0/id"),
           })
def list_instances(actor: Actor, query: dict[str, Any], **_: Any) -> Any:
    return state().engine.instances(actor, **query)


@api.route("GET", "/process-instances/<instance_id>", summary="流程实例详情（含待办任务）", tag=TAG,
           response=InstanceSchema, links=_instance_links(""))
def get_instance(actor: Actor, instance_id: str, **_: Any) -> dict[str, Any]:
    engine = state().engine
    return present.instance(engine.instance(instance_id, actor), engine.clock.now())


@api.route("GET", "/process-instances/<instance_id>/history", summary="流程实例的审计轨迹", tag=TAG,
           response=HistorySchema)
def get_history(actor: Actor, instance_id: str, **_: Any) -> dict[str, Any]:
    # The runtime masks the trail by the process's declarations for readers without ``pii``.
    return {"instance_id": instance_id, "events": state().engine.history(instance_id, actor)}


@api.route("GET", "/process-instances/<instance_id>/timers", summary="流程实例正在等待的定时器", tag=TAG,
           response=TimerListSchema, description="该案件尚未触发的定时器：所在环节与到期时间，按到期先后排序。"
           "能查看该案件的人都可读取（按区域与查看权限检查，不限管理员）；后台作业的租约与错误信息见 `/jobs`（仅管理员）。")
def get_timers(actor: Actor, instance_id: str, **_: Any) -> dict[str, Any]:
    return joblist.instance_timers(state().engine, actor, instance_id)


@api.route("GET", "/process-instances/<instance_id>/audit/verify", summary="核验流程实例的审计链", tag=TAG,
           response=AuditVerifySchema, description="逐个重算该案件审计事件的链接与密钥哈希，并核对链头：事件被改动、删除或插入时 "
           "`ok` 为 false，`problems` 逐条说明。全部审计日志（含检查点）的核验用 `gongzhi audit verify`。")
def verify_audit(actor: Actor, instance_id: str, **_: Any) -> dict[str, Any]:
    engine = state().engine
    report = engine.verify_instance_audit(instance_id, actor)
    return {"instance_id": instance_id, "ok": report.ok, "events": report.events, "problems": report.problems,
            "checked_at": engine.clock.now().isoformat()}


@api.route("POST", "/process-instances/<instance_id>/migration/revert", summary="撤回案件的上一次迁移", tag=TAG,
           response=MigrationItemSchema, errors=(403, 404, 409),
           description="把案件迁回它上一次迁移前的版本（按同样的规则检查：不能迁回时 `ok` 为 false 并说明原因）。仅管理员。")
def revert_migration(actor: Actor, instance_id: str, **_: Any) -> dict[str, Any]:
    return state().engine.revert_migration(instance_id, actor).as_dict()


@api.route("POST", "/process-instances/<instance_id>/cancel", summary="撤销流程", tag=TAG, body=CancelInstanceSchema,
           response=InstanceSchema, errors=(403, 409), links={
               k: v for k, v in _instance_links("").items() if k in ("GetInstance", "GetHistory", "ListInstanceTasks")})
def cancel_instance(actor: Actor, instance_id: str, body: dict[str, Any], **_: Any) -> dict[str, Any]:
    engine = state().engine
    view = engine.cancel(instance_id, actor, body["reason"])
    return present.instance(view, engine.clock.now())
