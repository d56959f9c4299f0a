"""Service-task operators used by the whistle-dispatch processes.

- ``whistle.locate``: where a grid lies (street, community) from the directory;
- ``whistle.link_duplicate``: link a duplicate case to the case it repeats;
- ``whistle.notify``: urging notices (催签、催报到、催办) through a pluggable notifier, to one
  group or to several (``to`` a list: the department and the street, say);
- ``whistle.extend_deadline``: a handling deadline moved on by granted working days, counted
  from the current deadline (not from now), and the escalation moment after it;
- ``whistle.start_annual_ratings``: the annual 以下评上 round — one ``whistle_annual_rating`` case
  per community that lists linked units, started in that community (its staff see only their own).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Mapping

from gongzhi import SYSTEM, InvalidInput, Notifier, Outbox, ServiceCall, ServiceTask
from gongzhi.calendar import add_working_days
from gongzhi.humanize import sentence

from .directory import Directory

__all__ = ["Outbox", "Notifier", "service_tasks", "extended"]

def service_tasks(directory: Callable[[], Directory], notifier: Notifier) -> list[ServiceTask]:
    def locate(call: ServiceCall) -> dict[str, Any]:
        return directory().locate(str(call.params.get("grid") or ""))

    def link_duplicate(call: ServiceCall) -> dict[str, Any]:
        return {"linked_to": call.params.get("duplicate_of"), "linked_at": call.now.isoformat(),
                "instance_id": call.instance_id}

    def notice(call: ServiceCall, to: str) -> dict[str, Any]:
        names = directory()
        dept = names.department_of_group(to)
        about = names.department(str(call.params.get("about") or ""))
        text = str(call.params.get("text") or "")
        return {
            "kind": call.params.get("kind") or "通知",
            "to": to,
            "to_name": dept.name if dept else names.display_name(to) or to,
            "text": sentence(f"【{about.name}】{text}" if about else text),  # no ISO time in what people read
            "at": call.now.isoformat(),
            "instance_id": call.instance_id,
            "element_id": call.element_id,
        }

    def notify(call: ServiceCall) -> dict[str, Any] | list[dict[str, Any]]:
        to = call.params.get("to")
        notices = [notice(call, str(g)) for g in (to if isinstance(to, list) else [to or ""])]
        for item in notices:
            notifier(item)
        return notices if isinstance(to, list) else notices[0]

    def notify_holders(call: ServiceCall) -> list[dict[str, Any]]:
        """The notice to whoever holds the case now (the groups of its open tasks), plus ``also``."""
        if call.engine is None:
            raise RuntimeError("whistle.notify_holders 需要引擎读取案件的待办，但调用方没有提供引擎")
        holders = [g for task in call.engine.read.tasks(SYSTEM, [call.instance_id], status="open")
                   for g in task.candidate_groups]
        to = list(dict.fromkeys([*(call.params.get("also") or []), *holders]))
        notices = [notice(call, str(g)) for g in to]
        for item in notices:
            notifier(item)
        return notices

    def extend_deadline(call: ServiceCall) -> dict[str, Any]:
        if call.engine is None:
            raise RuntimeError("whistle.extend_deadline 需要引擎的工作日历，但调用方没有提供引擎")
        return extended(call.engine.calendar, call.params)

    def start_annual_ratings(call: ServiceCall) -> list[dict[str, Any]]:
        if call.engine is None:
            raise RuntimeError("whistle.start_annual_ratings 需要引擎发起各社区的评价，但调用方没有提供引擎")
        return annual_rating_cases(call.engine, directory(), call.params, call.instance_id)

    return [
        ServiceTask("whistle.locate", locate, "按网格编码查询所属街道、社区"),
        ServiceTask("whistle.link_duplicate", link_duplicate, "关联重复件"),
        ServiceTask("whistle.notify", notify, "发送催签、催报到、催办通知"),
        ServiceTask("whistle.notify_holders", notify_holders, "向正在办理案件的单位转达通知（如 12345 平台催办、督办）"),
        ServiceTask("whistle.extend_deadline", extend_deadline, "从原办理期限起顺延核准的工作日"),
        ServiceTask("whistle.start_annual_ratings", start_annual_ratings, "向各社区发出以下评上年度评价"),
    ]


ANNUAL_RATING = "whistle_annual_rating"


def annual_rating_cases(engine: Any, names: Directory, params: Mapping[str, Any], review: str) -> list[dict[str, Any]]:
    """Start one ``whistle_annual_rating`` per community with linked units inside the review's region, once
    per year (a retried job, or a second review of the same year, finds the cases already started)."""
    try:
        year, criteria = int(params["review_year"]), list(params["criteria"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput("年度评价需要评价年度（review_year）和评价项目（criteria）",
                           errors=[{"field": "review_year", "message": str(exc)}]) from exc
    if not criteria:
        raise InvalidInput("决策“社区年度评价项目”没有给出评价项目", errors=[{"field": "criteria", "message": "空"}])
    scope = engine.instance(review, SYSTEM).region  # the district's round covers all; a street's, its own
    started = []
    for community in names.communities():
        units = names.units_rated_by(community.path)
        if not units or not (community.path + "/").startswith(scope.strip("/") + "/" if scope else ""):
            continue
        key = f"whistle-annual:{year}:{community.path}"
        found = [c.id for batch in engine.read.iter_cases(SYSTEM, ANNUAL_RATING, region=community.path)
                 for c in batch.items if c.business_key == key]
        variables = {"review_year": year, "review": review, "community": community.path,
                     "community_name": community.name, "criteria": criteria,
                     "criteria_names": [c["criterion"] for c in criteria], "criteria_count": len(criteria),
                     "units": [{"dept": u.dept, "relation": u.relation} for u in units],
                     "unit_codes": [u.dept for u in units], "unit_count": len(units)}
        case_id = found[0] if found else engine.start(ANNUAL_RATING, SYSTEM, variables, business_key=key,
                                                      region=community.path).id
        started.append({"community": community.path, "instance_id": case_id})
    return started


def extended(calendar: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    """``deadline`` moved on by ``days`` working days, and ``escalate_after_days`` more for escalation.

    Counting from the deadline, not from the approval, is the rule: five days granted on day 5 of
    10 give a deadline on day 15. Bad parameters are the process designer's error (InvalidInput)."""
    try:
        deadline = datetime.fromisoformat(str(params["deadline"]))
        days, escalate = int(params["days"]), int(params.get("escalate_after_days") or 0)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput("顺延办理期限需要原期限（deadline）和顺延工作日数（days）",
                           errors=[{"field": "deadline", "message": str(exc)}]) from exc
    if deadline.tzinfo is None or days < 0 or escalate < 0:
        raise InvalidInput("原期限须带时区，顺延和升级的工作日数不能为负",
                           errors=[{"field": "days", "message": "≥ 0"}])
    new_deadline = add_working_days(calendar, deadline, days)
    return {"handle_deadline": new_deadline.isoformat(),
            "escalate_at": add_working_days(calendar, new_deadline, escalate).isoformat()}
