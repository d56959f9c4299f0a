"""Who acts, and when: logging in by role and region, moving the clock, the background worker."""

from __future__ import annotations

from .vocabulary import 词
from .world import World


@词("以 {角色} 身份登录 {地区}")
def login_in_region(world: World, role: str, region: str) -> None:
    world.login(role, region)


@词("以 {角色} 身份登录")
def login(world: World, role: str) -> None:
    world.login(role)


@词("现在是 {时间}")
def now_is(world: World, when: str) -> None:
    world.move_to(World.parse_time(when))


@词("过去了 {数量} 个工作日")
def working_days_pass(world: World, number: str) -> None:
    world.later(working_days=int(number))


@词("过去了 {数量} 天")
def days_pass(world: World, number: str) -> None:
    world.later(days=float(number))


@词("过去了 {数量} 小时")
def hours_pass(world: World, number: str) -> None:
    world.later(hours=float(number))


@词("过去了 {数量} 分钟")
def minutes_pass(world: World, number: str) -> None:
    world.later(minutes=float(number))


@词("后台作业运行完毕")
def run_jobs(world: World) -> None:
    world.worker()
