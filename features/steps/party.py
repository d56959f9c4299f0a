"""Steps of the party-building flows: claiming a published micro-wish (认领), through the HTTP API."""

from __future__ import annotations

from .vocabulary import 词
from .world import World


def _claim(world: World, role: str, task: str, expect_success: bool) -> None:
    actor = world.login(role)
    found = world.pick_task(task, actor)
    world.post(f"/tasks/{found['id']}/claim", actor, {}, expect_success)


@词('{角色} 认领 "{任务}"')
def claim(world: World, role: str, task: str) -> None:
    """The role takes a task from its group's list (first claimant wins); it is then theirs alone."""
    _claim(world, role, task, True)


@词('{角色} 尝试认领 "{任务}"')
def try_claim(world: World, role: str, task: str) -> None:
    _claim(world, role, task, False)
