"""Built-in service-task operators, registered as an ordinary plugin."""

from __future__ import annotations

from ..errors import InvalidInput
from ..security.identity import normalize_region, region_contains
from ..spiff.script_engine import current_log
from .specs import hookimpl
from .objects import ServiceCall, ServiceTask


def _echo(call: ServiceCall) -> dict:
    # Returns its parameters: handy for wiring checks in a diagram.
    return dict(call.params)


def _now(call: ServiceCall) -> str:
    return call.now.isoformat()


def _narrow_region(call: ServiceCall) -> dict:
    """Move the case to a region inside its own (a street assigning a case to one of its grids).

    Only narrowing: everyone who could see the case still can, and the people of the new region
    now do too. The runner writes the new region with the command (instance, open tasks, the
    tasks that follow) and seals a ``region_narrowed`` audit event; decisions later in the same
    command resolve in the new region.
    """
    log = current_log.get()
    if log is None:
        raise RuntimeError("gongzhi.narrow_region 只能在引擎运行的命令中调用")
    target = normalize_region(str(call.params.get("region") or ""))
    if not target or target == log.region or not region_contains(log.region, target):
        raise InvalidInput(f"区域“{target[:60]}”不在案件当前区域“{log.region}”之内，不能移入",
                           errors=[{"field": "region", "message": "须为案件当前区域之内的下级区域"}])
    if log.narrowed_from is None:
        log.narrowed_from = log.region
    log.region = target
    return {"from": log.narrowed_from, "to": target}


@hookimpl(trylast=True)
def gongzhi_register_service_tasks() -> list[ServiceTask]:
    return [
        ServiceTask("gongzhi.echo", _echo, "返回传入的参数"),
        ServiceTask("gongzhi.now", _now, "当前时间（ISO 8601）"),
        ServiceTask("gongzhi.narrow_region", _narrow_region, "把案件移入其当前区域之内的下级区域（如街道指定网格）"),
    ]
