"""Background jobs: what the worker has to do, holds and gave up on, and whether it keeps up."""

from __future__ import annotations

from typing import Any

from ...runtime import joblist
from ...security.identity import Actor
from ..blueprint import api
from ..context import state
from ..operations import link
from ..schemas import JobPageSchema, JobQuerySchema, WorkerStateSchema

TAG = "故障"


@api.route("GET", "/jobs", summary="后台作业（到期、执行中、等待中、失败）", tag=TAG, query=JobQuerySchema,
           response=JobPageSchema, errors=(403,), links={
               "GetJobInstance": link("get_instance", "第一个作业所属的流程实例", instance_id="$response.body#/items/0/instance_id"),
           }, description="限于本人管辖区域，按到期时间排序；仅管理员（错误信息可能含案件数据）。已完成、已作废的作业不列出。")
def list_jobs(actor: Actor, query: dict[str, Any], **_: Any) -> dict[str, Any]:
    return joblist.list_jobs(state().engine, actor, **query)


@api.route("GET", "/jobs/worker", summary="后台作业进程是否在运行", tag=TAG, response=WorkerStateSchema, errors=(403,),
           description="由作业队列推断：持有租约的进程、系统最近一次推进案件的时间、到期超过一个租约时长仍无人执行的作业数；仅管理员。")
def worker_state(actor: Actor, **_: Any) -> dict[str, Any]:
    return joblist.worker_state(state().engine, actor)
