"""Service-task operators used by the whistle-dispatch processes.

- ``whistle.locate``: where a grid lies (street, community) from the directory;
- ``whistle.link_duplicate``: link a duplicate case to the case it repeats;
- ``whistle.notify``: urging notices (催签、催报到、催办) through a pluggable notifier.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any, Callable, Mapping

from gongzhi import ServiceCall, ServiceTask
from gongzhi.humanize import sentence

from .directory import Directory

__all__ = ["Outbox", "Notifier", "service_tasks"]

logger = logging.getLogger("gongzhi.whistle")

Notifier = Callable[[Mapping[str, Any]], None]


class Outbox:
    """The default notifier: logs each notice and keeps the most recent ones in memory."""

    def __init__(self, size: int = 1000) -> None:
        self._items: deque[dict[str, Any]] = deque(maxlen=size)
        self._lock = threading.Lock()

    def __call__(self, notice: Mapping[str, Any]) -> None:
        logger.info("通知 %s → %s：%s", notice.get("kind"), notice.get("to"), notice.get("text"))
        with self._lock:
            self._items.append(dict(notice))

    @property
    def items(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


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
