"""Work lists and user tasks."""

from __future__ import annotations

from typing import Any

from ...security.identity import Actor
from ..blueprint import api
from ..context import state
from ..operations import link
from ..schemas import CompleteTaskSchema, InstanceSchema, TaskDetailSchema, TaskPageSchema, TaskQuerySchema, TaskSchema
from . import present

TAG = "任务"


def _task_links(at: str) -> dict[str, dict[str, Any]]:
    """Where an answer carrying a task (its id at ``at``) leads."""
    return {
        "GetTask": link("get_task", "任务详情", task_id=f"$response.body#{at}/id"),
        "ClaimTask": link("claim_task", "认领任务", task_id=f"$response.body#{at}/id"),
        "CompleteTask": link("complete_task", "办理任务", task_id=f"$response.body#{at}/id"),
        "GetTaskInstance": link("get_instance", "任务所在的流程实例", instance_id=f"$response.body#{at}/instance_id"),
    }


@api.route("GET", "/tasks", summary="待办列表", tag=TAG, query=TaskQuerySchema, response=TaskPageSchema,
           links=_task_links("/items/0"),
           description="默认：本人可办理的待办（所在候选组或已认领）。`mine=true` 只看已认领；"
                       "`overdue=true` 只看超期。结果限于本人管辖区域。")
def list_tasks(actor: Actor, query: dict[str, Any], **_: Any) -> dict[str, Any]:
    engine = state().engine
    page = engine.tasks(actor, **query)
    now = engine.clock.now()
    return {"items": [present.task(t, now) for t in page.items], "total": page.total, "page": page.page,
            "per_page": page.per_page}


@api.route("GET", "/tasks/<task_id>", summary="任务详情：表单、办理说明、期限、候选组与数据", tag=TAG,
           response=TaskDetailSchema, links=_task_links(""))
def get_task(actor: Actor, task_id: str, **_: Any) -> dict[str, Any]:
    engine = state().engine
    return present.task(engine.task(task_id, actor), engine.clock.now())


@api.route("POST", "/tasks/<task_id>/claim", summary="认领任务", tag=TAG, response=TaskSchema, errors=(403, 409),
           links=_task_links(""))
def claim_task(actor: Actor, task_id: str, **_: Any) -> dict[str, Any]:
    engine = state().engine
    return present.task(engine.claim(task_id, actor), engine.clock.now())


@api.route("POST", "/tasks/<task_id>/complete", summary="办理（完成）任务", tag=TAG, body=CompleteTaskSchema,
           response=InstanceSchema, errors=(403, 409), links={
               "GetInstance": link("get_instance", "办理后的流程实例", instance_id="$response.body#/id"),
               "GetHistory": link("get_history", "审计轨迹", instance_id="$response.body#/id"),
               "GetNextTask": link("get_task", "下一个待办任务", task_id="$response.body#/open_tasks/0/id"),
               "CompleteNextTask": link("complete_task", "办理下一个待办任务", task_id="$response.body#/open_tasks/0/id"),
           },
           description="`data` 按任务表单校验；403 无权办理，409 任务已不是待办或并发冲突，422 表单数据无效。")
def complete_task(actor: Actor, task_id: str, body: dict[str, Any], **_: Any) -> dict[str, Any]:
    engine = state().engine
    view = engine.complete(task_id, actor, body["data"])
    return present.instance(view, engine.clock.now())
