"""Service-task operators and form formats of the 双报到 flows.

- ``party.check_registration``: refuses a registration for a community the directory does not
  know, or a second one in a year (same phone for a party member, same unit for a unit's party
  organisation); returns ``{"ok": true}``. Runs inside the start, so a refused registration
  leaves nothing behind.
- the form format ``party-community`` (``register.json``'s 报到社区): a community's region
  path in the organisation directory, checked with every submission.
"""

from __future__ import annotations

from typing import Any, Callable

from gongzhi import SYSTEM, FormFormat, ServiceCall, ServiceTask
from gongzhi.humanize import name_of

from .records import find_registration

__all__ = ["COMMUNITY_FORMAT", "check_community", "community_format", "service_tasks"]

COMMUNITY_FORMAT = "party-community"


def check_community(directory: Any, path: Any) -> str:
    """``path`` when it names a community in ``directory``; ValueError (for people) otherwise."""
    unit = directory.unit(str(path)) if directory is not None else None
    if unit is None or unit.level != "community":
        raise ValueError(f"组织目录中没有这个社区（{path}）")
    return str(path)


def community_format(directory: Callable[[], Any]) -> FormFormat:
    return FormFormat(COMMUNITY_FORMAT, lambda text: check_community(directory(), text), "组织目录中的社区（区域路径）",
                      "990101/001/001")


def _check_registration(directory: Callable[[], Any]) -> Callable[[ServiceCall], Any]:
    def handler(call: ServiceCall) -> dict[str, Any]:
        p = call.params
        check_community(directory(), p.get("community"))
        member = p.get("registrant_type") == "在职党员"
        identity = ("phone", str(p.get("phone"))) if member else ("work_unit", str(p.get("work_unit")))
        if call.engine is None:
            raise RuntimeError("party.check_registration 需要读取引擎数据，但调用方没有提供引擎")
        if find_registration(call.engine, SYSTEM, int(p["year"]), identity) is not None:
            who = "该联系电话" if member else f"“{identity[1]}”"
            raise ValueError(f"{who}已登记 {p['year']} 年度双报到（{name_of(p.get('community'))}），同一年度只能报到一次")
        return {"ok": True}

    return handler


def service_tasks(directory: Callable[[], Any]) -> list[ServiceTask]:
    return [ServiceTask("party.check_registration", _check_registration(directory),
                        "核对报到社区并拒绝同一年度的重复报到")]
