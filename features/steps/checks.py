"""Checking outcomes: the stage, who does the work, deadlines, variables, decisions, reports, refusals, notices."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from gongzhi import bpmn_package_path
from gongzhi.calendar import add_working_days
from lxml import etree

from .cases import rows
from .values import guess, same, show, split_list
from .vocabulary import 词
from .world import World, lookup, problem_text

# --- the stage -----------------------------------------------------------------------------


@词('当前环节是 "{任务列表}"')
def stage_is(world: World, tasks: str) -> None:
    expected = set(split_list(tasks))
    actual = set(world.open_names())
    assert actual == expected, f"当前环节是“{'、'.join(sorted(actual)) or '无'}”，不是“{tasks}”"


@词('当前环节包括 "{任务}"')
def stage_includes(world: World, task: str) -> None:
    assert task in world.open_names(), f"当前环节“{'、'.join(world.open_names()) or '无'}”不包括“{task}”"


@词('当前环节不包括 "{任务}"')
def stage_excludes(world: World, task: str) -> None:
    assert task not in world.open_names(), f"当前环节仍包括“{task}”"


@词('当前有 {数量} 个 "{任务}" 待办')
def count_open(world: World, number: str, task: str) -> None:
    actual = world.open_names().count(task)
    assert actual == int(number), f"“{task}”待办有 {actual} 个，不是 {number} 个"


@词("没有待办环节")
def nothing_open(world: World) -> None:
    assert world.open_names() == [], f"还有待办：{'、'.join(world.open_names())}"


@词("案件已办结")
def case_completed(world: World) -> None:
    instance = world.instance()
    assert instance["status"] == "completed", f"案件状态是 {instance['status']}，待办：{'、'.join(world.open_names()) or '无'}"


@词('案件状态为 "{状态}"')
def case_status(world: World, status: str) -> None:
    actual = world.instance()["status"]
    assert actual == world.glossary.status(status), f"案件状态是 {actual}，不是 {status}"


# --- who does the work -------------------------------------------------------------------------


@词('"{任务}" 由 {角色} 办理')
def assigned_to(world: World, task: str, role: str) -> None:
    found = world.tasks_named(task)
    actual = {world.glossary.role_of_group(g) for t in found for g in t["candidate_groups"]}
    expected = {world.glossary.role(r)["name"] for r in split_list(role)}
    assert actual == expected, f"“{task}”由 {'、'.join(sorted(actual))} 办理，不是 {role}"


@词('{角色} 的待办中有 "{任务}"')
def in_work_list(world: World, role: str, task: str) -> None:
    names = _work_list(world, role)
    assert task in names, f"{role} 的待办是“{'、'.join(names) or '无'}”，没有“{task}”"


@词('{角色} 的待办中没有 "{任务}"')
def not_in_work_list(world: World, role: str, task: str) -> None:
    names = _work_list(world, role)
    assert task not in names, f"{role} 的待办中有“{task}”"


@词('我的待办中有 "{任务}"')
def in_my_work_list(world: World, task: str) -> None:
    names = _work_list(world, None)
    assert task in names, f"我的待办是“{'、'.join(names) or '无'}”，没有“{task}”"


@词('我的待办中没有 "{任务}"')
def not_in_my_work_list(world: World, task: str) -> None:
    assert task not in _work_list(world, None), f"我的待办中有“{task}”"


def _work_list(world: World, role: str | None) -> list[str]:
    actor = world.glossary.actor(role) if role else world.current_actor()
    page = world.get("/tasks", actor, instance_id=world.current_case().id, per_page=200)
    return [t["name"] for t in page["items"]]


# --- deadlines and instructions -----------------------------------------------------------------------


def _due(world: World, task: str) -> list[datetime]:
    return [datetime.fromisoformat(world.task_detail(t["id"])["due_at"]) for t in world.tasks_named(task)]


def _check_due(world: World, task: str, expected: datetime, words: str) -> None:
    for due in _due(world, task):
        assert due == expected, f"“{task}”的期限是 {show_time(due)}，不是{words}（{show_time(expected)}）"


def show_time(moment: datetime) -> str:
    from gongzhi.calendar import CST

    return moment.astimezone(CST).strftime("%Y-%m-%d %H:%M")


@词('"{任务}" 的办理期限是 {数量} 个工作日后')
def due_in_working_days(world: World, task: str, number: str) -> None:
    expected = add_working_days(world.engine.calendar, world.clock.now(), int(number))
    _check_due(world, task, expected, f" {number} 个工作日后")


@词('"{任务}" 的办理期限是 {数量} 天后')
def due_in_days(world: World, task: str, number: str) -> None:
    _check_due(world, task, world.clock.now() + timedelta(days=float(number)), f" {number} 天后")


@词('"{任务}" 的办理期限是 {数量} 小时后')
def due_in_hours(world: World, task: str, number: str) -> None:
    _check_due(world, task, world.clock.now() + timedelta(hours=float(number)), f" {number} 小时后")


@词('"{任务}" 的办理期限是 {数量} 分钟后')
def due_in_minutes(world: World, task: str, number: str) -> None:
    _check_due(world, task, world.clock.now() + timedelta(minutes=float(number)), f" {number} 分钟后")


@词('"{任务}" 已超期')
def overdue(world: World, task: str) -> None:
    for t in world.tasks_named(task):
        assert world.task_detail(t["id"])["overdue"], f"“{task}”没有超期（期限 {world.task_detail(t['id'])['due_at']}）"


@词('"{任务}" 的办理说明包含 "{文字}"')
def instructions_contain(world: World, task: str, text: str) -> None:
    found = [world.task_detail(t["id"]).get("instructions") or "" for t in world.tasks_named(task)]
    assert any(text in i for i in found), f"“{task}”的办理说明是：{' / '.join(found)}"


@词('"{任务}" 的数据中 {变量} 为 {值}')
def task_data_is(world: World, task: str, name: str, value: str) -> None:
    data = world.task_detail(world.tasks_named(task)[0]["id"]).get("data") or {}
    _expect(lookup(data, name), value, f"“{task}”的 {name}")


# --- variables ------------------------------------------------------------------------------------


def _expect(actual: object, text: str, what: str) -> None:
    expected = guess(text)
    assert same(actual, expected), f"{what} 是 {show(actual)}，不是 {text}"


@词("变量 {变量} 为 {值}")
def variable_is(world: World, name: str, value: str) -> None:
    _expect(lookup(world.variables(), name), value, f"变量 {name}")


@词("变量 {变量} 包含 {值}")
def variable_contains(world: World, name: str, value: str) -> None:
    actual = lookup(world.variables(), name)
    expected = guess(value)
    items = expected if isinstance(expected, list) else [expected]
    if isinstance(actual, str):
        assert all(str(i) in actual for i in items), f"变量 {name}（{actual}）不包含 {value}"
    else:
        assert all(any(same(a, i) for a in actual) for i in items), f"变量 {name}（{show(actual)}）不包含 {value}"


@词("变量如下：")
def variables_are(world: World, datatable: list[list[str]]) -> None:
    variables = world.variables()
    problems = []
    for name, value in rows(datatable).items():
        actual = lookup(variables, name)
        if not same(actual, guess(value)):
            problems.append(f"{name} 是 {show(actual)}，不是 {value}")
    assert not problems, "；".join(problems)


# --- decisions --------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def dmn_catalog() -> tuple[dict[str, str], dict[str, str]]:
    """Decision names → ids, and rule ids → their descriptions, from the bundled DMN files."""
    names: dict[str, str] = {}
    rules: dict[str, str] = {}
    for path in Path(bpmn_package_path()).rglob("*.dmn"):
        tree = etree.parse(str(path))
        for decision in tree.iter("{*}decision"):
            names[decision.get("name") or decision.get("id")] = decision.get("id")
            names[decision.get("id")] = decision.get("id")
        for rule in tree.iter("{*}rule"):
            description = rule.find("{*}description")
            rules[rule.get("id")] = (description.text or "") if description is not None else ""
    return names, rules


def decision_id(name: str) -> str:
    names, _ = dmn_catalog()
    assert name in names, f"没有决策“{name}”。可用：{'、'.join(k for k, v in names.items() if k != v)}"
    return names[name]


def _evaluation(world: World, decision: str) -> dict[str, object]:
    did = decision_id(decision)
    if world.evaluation and world.evaluation["decision_id"] == did:
        return world.evaluation
    events = [e for e in world.history() if e.get("action") == "decision" and e.get("decision_id") == did]
    assert events, f"当前案件没有做过决策“{decision}”"
    return events[-1]


@词('计算决策 "{决策}"：')
def evaluate(world: World, decision: str, datatable: list[list[str]]) -> None:
    did = decision_id(decision)
    inputs: dict[str, object] = {}
    for key, value in rows(datatable).items():  # a.b → {"a": {"b": ...}}
        *parents, last = key.split(".")
        target = inputs
        for part in parents:
            target = target.setdefault(part, {})  # type: ignore[assignment]
        target[last] = guess(value)  # type: ignore[index]
    response = world.post(f"/decisions/{did}/evaluate", world.actor or world.admin, {"inputs": inputs}, True)
    world.evaluation = {"decision_id": did, **response.get_json()}


@词('决策 "{决策}" 命中规则 "{规则}"')
def decision_matched(world: World, decision: str, rule: str) -> None:
    matched = list(_evaluation(world, decision).get("matched_rules") or [])
    _, descriptions = dmn_catalog()
    ok = any(rule == m or m.endswith("_" + rule) or (rule in descriptions.get(m, "")) for m in matched)
    shown = "、".join(f"{m}（{descriptions.get(m, '')}）" for m in matched) or "无"
    assert ok, f"决策“{decision}”命中的规则是 {shown}，不是“{rule}”"


@词('决策 "{决策}" 的结果中 {变量} 为 {值}')
def decision_result(world: World, decision: str, name: str, value: str) -> None:
    result = _evaluation(world, decision).get("result")
    _expect(lookup(result, name) if name not in ("结果", "result") else result, value, f"决策“{decision}”的 {name}")


# --- reports ----------------------------------------------------------------------------------------


def _report(world: World, period: str, report: str, expect_success: bool) -> None:
    actor = world.current_actor()
    listed = world.get("/reports", actor)["items"]
    names = [r["name"] for r in listed if report in (r["name"], r.get("title"))]
    assert names, f"没有报表“{report}”。可用：{'、'.join(r.get('title', r['name']) for r in listed)}"
    params = {"month": period} if re.fullmatch(r"\d{4}-\d{2}", period) else {"year": period}
    world.response = world.client.get(f"/api/v1/reports/{names[0]}", headers=world.headers(actor), query_string=params)
    if world.response.status_code >= 300:
        assert not expect_success, f"报表打不开（{world.response.status_code}）：{problem_text(world.response)}"
        return
    data = world.response.get_json()["data"]
    world.report = data if isinstance(data, list) else [data]


@词('查看 {期间} 的报表 "{报表}"')
def open_report(world: World, period: str, report: str) -> None:
    _report(world, period, report, True)


@词('尝试查看 {期间} 的报表 "{报表}"')
def try_open_report(world: World, period: str, report: str) -> None:
    _report(world, period, report, False)


def _row(world: World, row: str) -> dict[str, object]:
    assert world.report is not None, "还没有查看报表：先写“查看 <期间> 的报表 \"<报表>\"”"
    candidates = {row, world.glossary.short_names.get(row, row)}
    found = [r for r in world.report if any(str(v) in candidates for v in r.values())]
    assert found, f"报表中没有“{row}”这一行"
    return found[0]


@词("报表中 {行} 的 {指标} 为 {值}")
def report_figure(world: World, row: str, metric: str, value: str) -> None:
    record = _row(world, row)
    key = world.glossary.metric(metric)
    assert key in record, f"报表没有指标“{metric}”；有：{'、'.join(map(str, record))}"
    _expect(record[key], value, f"报表中 {row} 的 {metric}")


@词("报表中 {行} 的数据为：")
def report_figures(world: World, row: str, datatable: list[list[str]]) -> None:
    record = _row(world, row)
    problems = []
    for metric, value in rows(datatable).items():
        key = world.glossary.metric(metric)
        if key not in record:
            problems.append(f"没有指标“{metric}”")
        elif not same(record[key], guess(value)):
            problems.append(f"{metric} 是 {show(record[key])}，不是 {value}")
    assert not problems, f"报表中 {row}：" + "；".join(problems)


@词("报表中没有 {行}")
def report_lacks(world: World, row: str) -> None:
    assert world.report is not None, "还没有查看报表"
    assert not [r for r in world.report if row in (str(v) for v in r.values())], f"报表中有“{row}”"


# --- refusals -----------------------------------------------------------------------------------------


@词("操作被拒绝，状态码为 {数量}")
def refused(world: World, number: str) -> None:
    assert world.response is not None, "还没有尝试任何操作"
    status = world.response.status_code
    assert status == int(number), f"状态码是 {status}，不是 {number}（{problem_text(world.response)}）"


@词('拒绝原因包含 "{文字}"')
def refusal_reason(world: World, text: str) -> None:
    assert world.response is not None and world.response.status_code >= 400, "上一个操作没有被拒绝"
    reason = problem_text(world.response)
    assert text in reason, f"拒绝原因是：{reason}"


@词("操作成功")
def succeeded(world: World) -> None:
    assert world.response is not None, "还没有尝试任何操作"
    assert world.response.status_code < 300, f"操作失败（{world.response.status_code}）：{problem_text(world.response)}"


@词("消息已暂存，等待案件到达接收环节")
def message_buffered(world: World) -> None:
    assert world.response is not None, "还没有发送消息"
    body = world.response.get_json(silent=True) or {}
    assert world.response.status_code == 202 and body.get("status") == "buffered", (
        f"消息没有暂存（{world.response.status_code}）：{body}")


# --- notices --------------------------------------------------------------------------------------------


@词('已向 {部门} 发出 "{种类}" 通知')
def notice_sent(world: World, department: str, kind: str) -> None:
    groups = world.glossary.groups_of([department])  # a department, or a role such as 街道工作人员
    sent = [(n["kind"], n["to_name"]) for n in world.outbox.items]
    assert any(n["kind"] == kind and n["to"] in groups for n in world.outbox.items), \
        f"没有向 {department} 发出“{kind}”通知；已发出：{sent or '无'}"


@词('没有发出 "{种类}" 通知')
def no_notice(world: World, kind: str) -> None:
    sent = [n for n in world.outbox.items if n["kind"] == kind]
    assert not sent, f"已发出“{kind}”通知 {len(sent)} 条"
