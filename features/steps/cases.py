"""Doing things: starting cases, completing tasks, named actions, messages."""

from __future__ import annotations

from .vocabulary import 词
from .world import Case, World

HEADERS = {("字段", "值"), ("变量", "值"), ("指标", "值"), ("输入", "值"), ("名称", "值")}


def rows(datatable: list[list[str]] | None) -> dict[str, str]:
    """A two-column table (name | value) as a mapping; an optional header row 字段 | 值 is skipped."""
    table = [list(r) for r in datatable or []]
    if table and tuple(c.strip() for c in table[0][:2]) in HEADERS:
        table = table[1:]
    out: dict[str, str] = {}
    for row in table:
        assert len(row) == 2, f"这张表每行应有两列（名称 | 值），这一行是：{' | '.join(row)}"
        out[row[0].strip()] = row[1].strip()
    return out


def _sample(world: World, name: str) -> dict[str, str]:
    values = world.glossary.samples.get(name)
    assert values is not None, f"没有样例“{name}”。可用：{'、'.join(world.glossary.samples)}（见 features/samples.yaml）"
    from .values import show

    return {k: v if isinstance(v, str) else show(v) for k, v in values.items()}


# --- starting ------------------------------------------------------------------------------

@词('发起 "{流程}"：')
def start_with_table(world: World, process: str, datatable: list[list[str]]) -> None:
    world.start(process, rows(datatable))


@词('按样例 "{样例}" 发起 "{流程}"')
def start_from_sample(world: World, sample: str, process: str) -> None:
    world.start(process, {}, sample=_sample(world, sample))


@词('按样例 "{样例}" 发起 "{流程}"，并填写：')
def start_from_sample_with_table(world: World, sample: str, process: str, datatable: list[list[str]]) -> None:
    world.start(process, rows(datatable), sample=_sample(world, sample))


@词('尝试发起 "{流程}"：')
def try_start(world: World, process: str, datatable: list[list[str]]) -> None:
    world.start(process, rows(datatable), expect_success=False)


@词('尝试按样例 "{样例}" 发起 "{流程}"，并填写：')
def try_start_from_sample(world: World, sample: str, process: str, datatable: list[list[str]]) -> None:
    world.start(process, rows(datatable), expect_success=False, sample=_sample(world, sample))


@词('把当前案件记为 "{编号}"')
def name_case(world: World, key: str) -> None:
    world.named[key] = world.current_case()


@词('切换到案件 "{编号}"')
def switch_case(world: World, key: str) -> None:
    assert key in world.named, f"没有记下案件“{key}”；已记下：{'、'.join(world.named) or '无'}"
    world.case = world.named[key]


@词('切换到由当前案件发起的 "{流程}" 案件')
def switch_to_child(world: World, process: str) -> None:
    key = world.process_key(process)
    parent = world.current_case()
    items = world.get("/process-instances", process_key=key, per_page=200)["items"]
    children = [i for i in items if str(i.get("business_key") or "").startswith(f"{parent.id}:")]
    assert children, f"当前案件没有发起“{process}”案件"
    child = children[-1]
    world.case = Case(child["id"], key, child.get("business_key"))


@词('切换到 {地区} 的 "{流程}" 案件')
def switch_to_case_in(world: World, region: str, process: str) -> None:
    key, path = world.process_key(process), world.glossary.region(region)
    items = world.get("/process-instances", process_key=key, per_page=200)["items"]
    found = [i for i in items if i.get("region") == path]
    assert found, f"{region}没有“{process}”案件"
    world.case = Case(found[-1]["id"], key, found[-1].get("business_key"))


# --- tasks ---------------------------------------------------------------------------------

@词('填写 "{任务}"：')
def draft(world: World, task: str, datatable: list[list[str]]) -> None:
    found = world.tasks_named(task)[0]
    form = world.task_detail(found["id"]).get("form") or {}
    world.drafts.setdefault(found["name"], {}).update(world.form_values(form, rows(datatable), f"“{task}”"))


@词('填写 "{任务}" 的 {变量} 为下表：')
def draft_list(world: World, task: str, name: str, datatable: list[list[str]]) -> None:
    found = world.tasks_named(task)[0]
    form = world.task_detail(found["id"]).get("form") or {}
    key, objects = world.object_rows(form, name, [list(r) for r in datatable], f"“{task}”")
    world.drafts.setdefault(found["name"], {})[key] = objects


def _complete_with_list(world: World, task: str, name: str, table: list[list[str]], actor: object) -> None:
    found = world.pick_task(task, actor)  # type: ignore[arg-type]
    form = world.task_detail(found["id"]).get("form") or {}
    key, objects = world.object_rows(form, name, [list(r) for r in table], f"“{task}”")
    world.drafts.setdefault(found["name"], {})[key] = objects
    world.complete(task, {}, actor)  # type: ignore[arg-type]


@词('办理 "{任务}"，{变量} 为下表：')
def complete_with_list(world: World, task: str, name: str, datatable: list[list[str]]) -> None:
    _complete_with_list(world, task, name, datatable, world.current_actor())


@词('{角色} 办理 "{任务}"，{变量} 为下表：')
def role_completes_with_list(world: World, role: str, task: str, name: str, datatable: list[list[str]]) -> None:
    _complete_with_list(world, task, name, datatable, world.login(role))


@词('办理 "{任务}"')
def complete(world: World, task: str) -> None:
    world.complete(task, {})


@词('办理 "{任务}"：')
def complete_with_table(world: World, task: str, datatable: list[list[str]]) -> None:
    world.complete(task, rows(datatable))


@词('尝试办理 "{任务}"')
def try_complete(world: World, task: str) -> None:
    world.complete(task, {}, expect_success=False)


@词('尝试办理 "{任务}"：')
def try_complete_with_table(world: World, task: str, datatable: list[list[str]]) -> None:
    world.complete(task, rows(datatable), expect_success=False)


@词('{角色} 办理 "{任务}"')
def role_completes(world: World, role: str, task: str) -> None:
    world.complete(task, {}, world.login(role))


@词('{角色} 办理 "{任务}"：')
def role_completes_with_table(world: World, role: str, task: str, datatable: list[list[str]]) -> None:
    world.complete(task, rows(datatable), world.login(role))


@词('{角色} 尝试办理 "{任务}"：')
def role_tries(world: World, role: str, task: str, datatable: list[list[str]]) -> None:
    world.complete(task, rows(datatable), world.login(role), expect_success=False)


@词('逐一办理所有 "{任务}"：')
def complete_all(world: World, task: str, datatable: list[list[str]]) -> None:
    """Every open task of that name the current actor may do (e.g. one per compound), each with the same table."""
    actor = world.current_actor()
    values = rows(datatable)
    found = [t for t in world.tasks_named(task) if actor.is_admin or set(t["candidate_groups"]) & set(actor.groups)]
    assert found, f"“{task}”没有当前用户可办理的待办"
    drafted = world.drafts.pop(found[0]["name"], None)
    for _ in found:
        if drafted is not None:
            world.drafts[found[0]["name"]] = dict(drafted)
        world.complete(task, values, actor)


@词('切换到业务编号为 "{编号}" 的案件')
def switch_by_business_key(world: World, key: str) -> None:
    items = world.get("/process-instances", business_key=key)["items"]
    assert items, f"没有业务编号为“{key}”的案件"
    world.case = Case(items[0]["id"], items[0]["process_key"], key)


# --- named actions (features/actions.yaml) ---------------------------------------------------

@词('执行 "{动作}"')
def act(world: World, action: str) -> None:
    world.action(action, {}, world.current_actor())


@词('执行 "{动作}"：')
def act_with_table(world: World, action: str, datatable: list[list[str]]) -> None:
    world.action(action, rows(datatable), world.current_actor())


@词('{角色} 执行 "{动作}"')
def role_acts(world: World, role: str, action: str) -> None:
    world.action(action, {}, world.login(role))


@词('{角色} 执行 "{动作}"：')
def role_acts_with_table(world: World, role: str, action: str, datatable: list[list[str]]) -> None:
    world.action(action, rows(datatable), world.login(role))


@词('尝试执行 "{动作}"')
def try_act(world: World, action: str) -> None:
    world.action(action, {}, world.current_actor(), expect_success=False)


@词('尝试执行 "{动作}"：')
def try_act_with_table(world: World, action: str, datatable: list[list[str]]) -> None:
    world.action(action, rows(datatable), world.current_actor(), expect_success=False)


@词('{角色} 尝试执行 "{动作}"')
def role_tries_action(world: World, role: str, action: str) -> None:
    world.action(action, {}, world.login(role), expect_success=False)


@词('{角色} 尝试执行 "{动作}"：')
def role_tries_action_with_table(world: World, role: str, action: str, datatable: list[list[str]]) -> None:
    world.action(action, rows(datatable), world.login(role), expect_success=False)


# --- messages and meetings ----------------------------------------------------------------------

def _send(world: World, message: str, table: list[list[str]] | None, expect_success: bool) -> None:
    from .values import guess

    body = {"name": world.glossary.message(message), "instance_id": world.current_case().id,
            "variables": {k: guess(v) for k, v in rows(table).items()}}
    world.post("/messages", world.current_actor(), body, expect_success)


@词('发送消息 "{消息}"：')
def send_message(world: World, message: str, datatable: list[list[str]]) -> None:
    _send(world, message, datatable, True)


@词('尝试发送消息 "{消息}"：')
def try_send_message(world: World, message: str, datatable: list[list[str]]) -> None:
    _send(world, message, datatable, False)
