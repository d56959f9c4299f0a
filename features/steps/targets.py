"""考核目标 steps: check the escalation targets on demand (the admin action) and look at the alerts."""

from __future__ import annotations

from .vocabulary import 词
from .world import World

CHECK = "/admin-actions/whistle-targets-check"


@词("检查 {期间} 的考核目标")
def check_targets(world: World, period: str) -> None:
    world.post(CHECK, world.current_actor(), {"params": {"month": period}}, True)


@词("尝试检查 {期间} 的考核目标")
def try_check_targets(world: World, period: str) -> None:
    world.post(CHECK, world.current_actor(), {"params": {"month": period}}, False)


def _sent_to(world: World, department: str, kind: str) -> list[dict[str, str]]:
    groups = world.glossary.groups_of([department])
    return [n for n in world.outbox.items if n["kind"] == kind and n["to"] in groups]


@词('已向 {部门} 发出 {数量} 条 "{种类}" 通知')
def notices_counted(world: World, department: str, number: str, kind: str) -> None:
    sent = _sent_to(world, department, kind)
    assert len(sent) == int(number), f"向 {department} 发出“{kind}”通知 {len(sent)} 条，不是 {number} 条"


@词('向 {部门} 发出的最近一条 "{种类}" 通知为 "{文字}"')
def last_notice(world: World, department: str, kind: str, text: str) -> None:
    sent = _sent_to(world, department, kind)
    assert sent, f"没有向 {department} 发出“{kind}”通知"
    assert sent[-1]["text"] == text, f"最近一条是：{sent[-1]['text']}"
