"""Incidents: background jobs that failed after their retries, and retrying them."""

from __future__ import annotations

from typing import Any

from ...errors import NotFound
from ...security.identity import Actor
from ..blueprint import api
from ..context import state
from ..operations import link
from ..schemas import IncidentListSchema, IncidentSchema

TAG = "故障"


@api.route("GET", "/incidents", summary="未处理的故障（重试耗尽的后台作业）", tag=TAG, response=IncidentListSchema,
           links={"RetryIncident": link("retry_incident", "重试第一个故障", incident_id="$response.body#/items/0/id")},
           description="限于本人管辖区域。")
def list_incidents(actor: Actor, **_: Any) -> dict[str, Any]:
    return {"items": state().engine.incidents(actor)}


@api.route("POST", "/incidents/<incident_id>/retry", summary="排除原因后重试故障", tag=TAG, response=IncidentSchema,
           errors=(403, 409), description="作业重新排队并重新计算重试次数；仅管理员。")
def retry_incident(actor: Actor, incident_id: str, **_: Any) -> dict[str, Any]:
    if not incident_id.isdigit() or len(incident_id) > 18:
        raise NotFound(f"故障 {incident_id} 不存在", incident_id=incident_id)
    return state().engine.retry_incident(int(incident_id), actor)
