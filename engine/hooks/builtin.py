"""Built-in service-task operators, registered as an ordinary plugin."""

from __future__ import annotations

from .specs import hookimpl
from .objects import ServiceCall, ServiceTask


def _echo(call: ServiceCall) -> dict:
    # Returns its parameters: handy for wiring checks in a diagram.
    return dict(call.params)


def _now(call: ServiceCall) -> str:
    return call.now.isoformat()


@hookimpl(trylast=True)
def gongzhi_register_service_tasks() -> list[ServiceTask]:
    return [
        ServiceTask("gongzhi.echo", _echo, "返回传入的参数"),
        ServiceTask("gongzhi.now", _now, "当前时间（ISO 8601）"),
    ]
