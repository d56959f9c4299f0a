"""Service-task operators used by the whistle-dispatch processes.

- ``whistle.locate``: where a grid lies (street, community) from the directory;
- ``whistle.link_duplicate``: link a duplicate case to the case it repeats;
- ``whistle.notify``: urging notices (催签、催报到、催办) through a pluggable notifier.
"""

from __future__ import annotations

from typing import Any, Callable

from gongzhi import Notifier, Outbox, ServiceCall, ServiceTask
from gongzhi.humanize import sentence

from .directory import Directory

__all__ = ["Outbox", "Notifier", "service_tasks"]

def service_tasks(directory: Callable[[], Directory], notifier: Notifier) -> list[ServiceTask]:
    def locate(call: ServiceCall) -> dict[str, Any]:
        return directory().locate(str(call.params.get("grid") or ""))

    def link_duplicate(call: ServiceCall) -> dict[str, Any]:
        return {"linked_to": call.params.get("duplicate_of"), "linked_at": call.now.isoformat(),
                "instance_id": call.instance_id}

    def notify(call: ServiceCall) -> dict[str, Any]:
        to = str(call.params.get("to") or "")
        dept = directory().department_of_group(to)
        notice = {
            "kind": call.params.get("kind") or "通知",
            "to": to,
            "to_name": dept.name if dept else to,
            "text": sentence(str(call.params.get("text") or "")),  # no ISO time in what people read
            "at": call.now.isoformat(),
            "instance_id": call.instance_id,
            "element_id": call.element_id,
        }
        notifier(notice)
        return notice

    return [
        ServiceTask("whistle.locate", locate, "按网格编码查询所属街道、社区"),
        ServiceTask("whistle.link_duplicate", link_duplicate, "关联重复件"),
        ServiceTask("whistle.notify", notify, "发送催签、催报到、催办通知"),
    ]
