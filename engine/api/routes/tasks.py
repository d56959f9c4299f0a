"""Work lists and user tasks."""

from __future__ import annotations

from typing import Any

from ...identity import Actor
from ..blueprint import api
from ..context import state
from ..schemas import CompleteTaskSchema, InstanceSchema, TaskDetailSchema, TaskPageSchema, TaskQuerySchema, TaskSchema
from . import present

TAG = "任务"


@api.route("GET", "/tasks", summary="待办列表", tag=TAG, query=TaskQuerySchema, response=TaskPageSchema,
           description="默认：本人可办理的待办（所在候选组或已认领）。`mine=true` 只看已认领；"
                       "`overdue=true` 只看超期。结果限于本人管辖区域。")
def list_tasks(actor: Actor, query: dict[str, Any], **_: Any) -> dict[str, Any]:
    engine = state().engine
    page = engine.tasks(actor, **query)
    now = engine.clock.now()
    return {"items": [present.task(t, now) for t in page.items], "total": page.total, "page": page.page,
            "per_page": page.per_page}


@api.route("GET", "/tasks/<task_id>", summary="任务详情：表单、办理说明、期限、候选组与数据", tag=TAG,
           response=TaskDetailSchema)
def get_task(actor: Actor, task_id: str, **_: Any) -> dict[str, Any]:
    engine = state().engine
    return present.task(engine.task(task_id, actor), engine.clock.now())


@api.route("POST", "/tasks/<task_id>/claim", summary="认领任务", tag=TAG, response=TaskSchema, errors=(403, 409))
def claim_task(actor: Actor, task_id: str, **_: Any) -> dict[str, Any]:
    engine = state().engine
    return present.task(engine.claim(task_id, actor), engine.clock.now())


@api.route("POST", "/tasks/<task_id>/complete", summary="办理（完成）任务", tag=TAG, body=CompleteTaskSchema,
           response=InstanceSchema, errors=(403, 409),
           description="`data` 按任务表单校验；403 无权办理，409 任务已不是待办或并发冲突，422 表单数据无效。")
def complete_task(actor: Actor, task_id: str, body: dict[str, Any], **_: Any) -> dict[str, Any]:
    engine = state().engine
    view = engine.complete(task_id, actor, body["data"])
    return present.instance(view, engine.clock.now())
