"""Grid whistles (网格吹哨) and 四员联动 on the bundled 青禾区: the DMN proposes a level, the community confirms or
changes it, the grid's 四员 sign in, arrive and feed back on working-time deadlines, the community accepts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable

import pytest

from gongzhi import Actor, Engine, FormValidationError, InvalidInput, MovableClock, Outbox, ServiceTaskError, bpmn_package_path
from gongzhi.calendar import CST
from gongzhi.plugins.grid import GridPlugin
from gongzhi.plugins.grid.whistle import LEVELS

GRID = "990101/001/001/01"  # 翠苑一网格: 周建国 专职网格员, 卫东 网格警务, 蒋文静 网格法律, 沈玉梅 网格卫生
COMMUNITY = Actor.of("c-1", "翠苑社区工作人员", ["community"], "990101/001/001")
STREET = Actor.of("s-1", "东湖街道", ["street"], "990101/001")
OTHER_STREET = Actor.of("s-2", "西山街道", ["street"], "990101/002")
ADMIN = Actor.of("admin", "管理员", ["admin"])
START = datetime(2026, 11, 2, 9, 0, tzinfo=CST)  # a Monday
QUARREL = {"grid": GRID, "member": "G0002", "subject": "楼上楼下噪音纠纷", "description": "3 栋两户因夜间噪音多次争吵，险些动手",
           "category": "邻里纠纷", "urgency": "一般", "address": "翠苑路12号3栋", "reporter_name": "李秀英",
           "reporter_mobile": "13800138001", "lon": 120.125, "lat": 30.22}


def person(member: str, region: str = GRID) -> Actor:
    return Actor.of(member, f"网格人员{member}", [f"grid_member_{member}", "grid"], region)


MEMBER = person("G0002")
TEAM = ("G0002", "G0008", "G0009", "G0010")


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
def grid(make_engine: Callable[..., Engine], clock: MovableClock, outbox: Outbox) -> Engine:
    clock.set(START)
    engine = make_engine(plugins=[GridPlugin(notifier=outbox)], disable_plugins=["grid"])
    engine.deploy([bpmn_package_path() / "grid", bpmn_package_path() / "whistle"])
    return engine


def whistle(engine: Engine, actor: Actor = MEMBER, **changes: Any) -> Any:
    return engine.start("grid_whistle", actor, {**QUARREL, **changes}, region=GRID)


def task(engine: Engine, actor: Actor, element: str) -> Any:
    [found] = [t for t in engine.tasks(actor).items if t.element_id == element]
    return found


def confirm(engine: Engine, level: str | None = None, reason: str = "同意建议的层级") -> None:
    data = {"level": level or whistle_proposal(engine), "reason": reason}
    engine.complete(task(engine, COMMUNITY, "confirm_level").id, COMMUNITY, data)
    engine.run_due_jobs()


def whistle_proposal(engine: Engine) -> str:
    [case] = engine.instances(COMMUNITY, process_key="grid_whistle").items
    return engine.instance(case.id, COMMUNITY).variables["proposal"]["level"]


def variables(engine: Engine, case: Any, actor: Actor = COMMUNITY) -> dict[str, Any]:
    return engine.instance(case.id, actor).variables


def report(engine: Engine, actor: Actor = STREET, **params: Any) -> list[dict[str, Any]]:
    found = next(r for rs in engine.pm.hook.gongzhi_register_reports() for r in rs if r.name == "grid-whistles")
    return found.run(engine, actor, **params)


def street_ends(engine: Engine, case: Any, clock: MovableClock) -> None:
    """The street's whistle_dispatch case is withdrawn; the grid whistle sees it at its next daily look."""
    street = variables(engine, case)["street_case"]["case_id"]
    engine.cancel(street, ADMIN, "居民撤回")
    clock.advance(timedelta(days=1))
    engine.fire_due_timers()


def work(engine: Engine, member: str, minutes: int = 5) -> None:
    """One teammate signs in, arrives and feeds back, ``minutes`` apart."""
    clock = engine.clock
    for element, data in (("sign", {}), ("arrive", {"onsite_situation": "到场调解，双方情绪平稳"}),
                          ("feedback", {"measures": "约定晚十点后不再装修", "outcome": "已解决"})):
        clock.advance(timedelta(minutes=minutes))
        engine.fire_due_timers()
        engine.complete(task(engine, person(member), element).id, person(member), data)


def test_the_dmn_levels_are_the_levels_the_community_may_choose(grid: Engine) -> None:
    [routing] = [d for d in grid.decisions() if d["id"] == "grid_whistle_routing"]
    assert {r["then"][0].strip('"') for r in routing["rules"]} == set(LEVELS)

    def level(category: str, urgency: str = "一般") -> str:
        return grid.evaluate_decision("grid_whistle_routing", {"category": category, "urgency": urgency})["result"]["level"]

    assert (level("邻里纠纷"), level("违法建设"), level("公共设施", "紧急"), level("公共设施")) == \
        ("四员联动", "社区吹哨", "社区吹哨", "网格自办")


def test_a_joint_handling_runs_sign_in_arrival_and_feedback_for_each_of_the_four(grid: Engine, clock: MovableClock,
                                                                                 make_engine: Callable[..., Engine],
                                                                                 outbox: Outbox) -> None:
    case = whistle(grid)
    v = variables(grid, case)
    assert v["proposal"]["level"] == "四员联动" and v["place"]["grid_name"] == "翠苑一网格"
    assert v["limits"]["sign_hours"] == 1
    confirm(grid)
    for member in TEAM:
        sign = task(grid, person(member), "sign")
        assert sign.due_at.astimezone(CST) == START + timedelta(hours=1)  # one working hour from 09:00
    role_of = {t: grid.task(task(grid, person(t), "sign").id, person(t)).instructions for t in TEAM}
    assert "网格警务" in role_of["G0008"] and "网格卫生" in role_of["G0010"]
    # Half the team works; then a fresh engine on the same database (a restart mid-flow) carries on.
    work(grid, "G0002")
    work(grid, "G0008")
    again = make_engine(plugins=[GridPlugin(notifier=outbox)], disable_plugins=["grid"])
    work(again, "G0009")
    work(again, "G0010")
    accept = task(again, COMMUNITY, "accept")
    assert "处置结果 已解决" in again.task(accept.id, COMMUNITY).instructions
    again.complete(accept.id, COMMUNITY, {"accepted": True, "opinion": "纠纷已化解"})
    done = variables(again, case)
    assert again.instance(case.id, COMMUNITY).status == "completed"
    assert [r["role"] for r in done["joint_results"]] == ["网格员", "网格警务", "网格法律", "网格卫生"]
    assert all(r["sign_on_time"] and r["arrive_on_time"] for r in done["joint_results"])
    [row] = report(again)
    assert (row["grid_name"], row["whistles"], row["joint"], row["joint_members"], row["sign_rate"], row["closed"]) == \
        ("翠苑一网格", 1, 1, 4, 1.0, 1)


def test_a_late_member_is_reminded_then_marked_overdue(grid: Engine, clock: MovableClock, outbox: Outbox) -> None:
    case = whistle(grid)
    confirm(grid)
    for member in ("G0002", "G0009", "G0010"):
        work(grid, member, minutes=3)
    clock.set(START + timedelta(minutes=30))
    grid.fire_due_timers()
    reminders = [n for n in outbox.items if n["kind"] == "催办" and n["to"] == "grid_member_G0008"]
    assert len(reminders) == 1 and "签收还有 30 分钟到期" in reminders[0]["text"]
    clock.set(START + timedelta(hours=1))
    grid.fire_due_timers()
    [late] = [n for n in outbox.items if n["kind"] == "逾期"]
    assert late["to"] == "community" and "网格警务未在时限内签收" in late["text"]
    clock.set(START + timedelta(hours=2))
    work(grid, "G0008")  # still his task: he signs late, arrives and feeds back
    grid.complete(task(grid, COMMUNITY, "accept").id, COMMUNITY, {"accepted": True, "opinion": "已化解，警务签收迟了"})
    results = {r["role"]: r for r in variables(grid, case)["joint_results"]}
    assert results["网格警务"]["sign_on_time"] is False and results["网格法律"]["sign_on_time"] is True
    [row] = report(grid)
    assert (row["signed_on_time"], row["sign_rate"]) == (3, 0.75)


def test_the_community_changes_the_level_with_a_reason_and_whistles_to_the_street(grid: Engine, clock: MovableClock) -> None:
    case = whistle(grid)
    with pytest.raises(FormValidationError) as missing:
        grid.complete(task(grid, COMMUNITY, "confirm_level").id, COMMUNITY, {"level": "社区吹哨"})
    assert missing.value.errors[0]["field"] == "reason"
    with pytest.raises(ServiceTaskError, match="须说明理由") as exc:
        grid.complete(task(grid, COMMUNITY, "confirm_level").id, COMMUNITY, {"level": "社区吹哨", "reason": "  "})
    assert isinstance(exc.value.__cause__, InvalidInput)
    assert task(grid, COMMUNITY, "confirm_level")  # nothing was written: the task is still open
    confirm(grid, "社区吹哨", "涉及违章搭建，须执法部门处理")
    v = variables(grid, case)
    assert v["level_decision"] == {"proposed": "四员联动", "level": "社区吹哨", "changed": True,
                                   "reason": "涉及违章搭建，须执法部门处理"}
    street_case = grid.instance(v["street_case"]["case_id"], STREET)
    assert street_case.process_key == "whistle_dispatch"
    intake = street_case.variables
    assert intake["channel"] == "网格员上报" and intake["category_l2"] == "网格吹哨" and intake["grid"] == GRID
    assert "须执法部门处理" in intake["description"]
    trail = [e for e in grid.history(case.id, COMMUNITY) if e["action"] == "complete"]
    assert trail[0]["data"]["reason"] == "涉及违章搭建，须执法部门处理"  # the audit trail keeps the reason
    # While the street handles it, the grid whistle waits and looks again each working day.
    clock.advance(timedelta(days=1))
    assert grid.fire_due_timers() == 1
    assert [t for t in grid.tasks(COMMUNITY).items if t.instance_id == case.id] == []
    assert variables(grid, case)["street_progress"] == {"closed": False, "outcome": "街道办理中"}
    street_ends(grid, case, clock)
    accept = task(grid, COMMUNITY, "accept")
    assert "处置结果 街道案件已撤销" in grid.task(accept.id, COMMUNITY).instructions
    grid.complete(accept.id, COMMUNITY, {"accepted": True, "opinion": "居民已撤回"})
    [row] = report(grid)
    assert (row["street"], row["joint"], row["closed"]) == (1, 0, 1)


def test_the_street_outcome_is_told_in_words() -> None:
    from gongzhi.plugins.grid.whistle import street_outcome

    assert street_outcome("completed", {"resolved": "已解决"}) == {"closed": True, "outcome": "街道已办结（已解决）"}
    assert street_outcome("completed", None)["outcome"] == "街道已办结"
    assert street_outcome("running", None) == {"closed": False, "outcome": "街道办理中"}


def test_grid_self_handling_and_a_rejected_result_reopens_the_level(grid: Engine, clock: MovableClock) -> None:
    case = whistle(grid, category="公共设施", subject="路灯不亮", description="翠苑路口两盏路灯不亮")
    confirm(grid)
    handle = task(grid, MEMBER, "self_handle")
    assert handle.due_at.astimezone(CST).date() == datetime(2026, 11, 5).date()  # three working days
    grid.complete(handle.id, MEMBER, {"measures": "报修", "outcome": "未解决"})
    grid.complete(task(grid, COMMUNITY, "accept").id, COMMUNITY, {"accepted": False, "opinion": "仍未修好"})
    confirm(grid, "社区吹哨", "网格无法修复，报街道")
    street_ends(grid, case, clock)
    grid.complete(task(grid, COMMUNITY, "accept").id, COMMUNITY, {"accepted": True, "opinion": "已转街道"})
    v = variables(grid, case)
    assert [d["level"] for d in v["level_history"]] == ["网格自办", "社区吹哨"] and v["whistle_round"] == 2
    [row] = report(grid)
    assert (row["whistles"], row["self_handled"], row["street"]) == (1, 0, 1)  # counted by its final level


def test_an_unknown_grid_or_a_member_of_another_grid_is_refused_and_nothing_is_written(grid: Engine) -> None:
    with pytest.raises(FormValidationError, match="网格编码“990101/001/001/09”不在网格目录中"):
        whistle(grid, grid="990101/001/001/09")
    with pytest.raises(ServiceTaskError, match="G0011 不在“翠苑一网格”任职") as exc:
        grid.start("grid_whistle", person("G0011"), {**QUARREL, "member": "G0011"}, region=GRID)
    assert exc.value.__cause__.errors[0]["field"] == "member"
    # One member cannot whistle in a teammate's name: the engine records who started it (startedByVariable).
    with pytest.raises(ServiceTaskError, match="只能由网格员本人吹哨"):
        whistle(grid, member="G0008")
    with pytest.raises(ServiceTaskError, match="坐标不在“翠苑一网格”内"):
        whistle(grid, lon=120.135, lat=30.22)  # 翠苑二网格
    assert grid.instances(COMMUNITY, process_key="grid_whistle").items == []


def test_the_engine_records_who_whistled(grid: Engine) -> None:
    case = whistle(grid)
    assert variables(grid, case)["whistled_by"] == {"id": "G0002", "name": "网格人员G0002", "admin": False}
    assert variables(grid, whistle(grid, member="G0008", actor=ADMIN))["place"]["member"] == "G0008"  # an integration


def test_a_level_the_dmn_does_not_know_is_refused(grid: Engine) -> None:
    whistle(grid)
    with pytest.raises(FormValidationError) as exc:
        grid.complete(task(grid, COMMUNITY, "confirm_level").id, COMMUNITY, {"level": "区级吹哨", "reason": "想试试"})
    assert exc.value.errors[0]["field"] == "level"
    from gongzhi.plugins.grid.whistle import check_level

    with pytest.raises(InvalidInput, match="处置层级“区级吹哨”无效"):
        check_level("四员联动", "区级吹哨", "想试试")


def test_the_residents_data_is_masked_and_another_street_sees_nothing(grid: Engine) -> None:
    case = whistle(grid)
    seen = variables(grid, case, STREET)
    assert seen["reporter_name"] and seen["reporter_name"] != "李秀英"  # there, but masked
    shown = str(seen)
    assert "李秀英" not in shown and "13800138001" not in shown and "翠苑路12号3栋" not in shown
    assert "120.125" not in shown
    assert report(grid, OTHER_STREET) == []
    assert report(grid)[0]["pending"] == 1  # proposed, not yet confirmed
    level = grid.task(task(grid, COMMUNITY, "confirm_level").id, COMMUNITY)
    assert "李秀英" not in str(level.data) and "13800138001" not in str(level.data)
    confirm(grid)
    # The 四员 holding a sign-in task see whom to call; the community's confirmation never showed it.
    sign = grid.task(task(grid, person("G0008"), "sign").id, person("G0008"))
    assert sign.data["reporter_name"] == "李秀英" and sign.data["reporter_mobile"] == "13800138001"


def test_a_grid_lacking_some_of_the_four_joins_those_it_has_and_one_with_none_is_refused(grid: Engine) -> None:
    # 翠苑二网格 has 网格警务 (卫东) but no 网格法律 or 网格卫生.
    second = "990101/001/001/02"
    case = grid.start("grid_whistle", person("G0003", second),
                      {**QUARREL, "grid": second, "member": "G0003", "lon": 120.135, "lat": 30.22}, region=second)
    confirm(grid)
    team = variables(grid, case)["team"]
    assert [m["role_name"] for m in team["members"]] == ["网格员", "网格警务"] and team["missing"] == ["网格法律", "网格卫生"]
    # 湖畔一网格 has none of them: confirming 四员联动 is refused, the confirmation stays open.
    lakeside = Actor.of("c-2", "湖畔社区工作人员", ["community"], "990101/001/002")
    away = {k: v for k, v in QUARREL.items() if k not in ("lon", "lat")}
    other = grid.start("grid_whistle", person("G0012", "990101/001/002/01"),
                       {**away, "grid": "990101/001/002/01", "member": "G0012"}, region="990101/001/002/01")
    [open_task] = [t for t in grid.tasks(lakeside).items if t.instance_id == other.id]
    with pytest.raises(ServiceTaskError, match="没有网格警务、网格法律或网格卫生人员"):
        grid.complete(open_task.id, lakeside, {"level": "四员联动", "reason": "同意建议"})
    assert [t.id for t in grid.tasks(lakeside).items if t.instance_id == other.id] == [open_task.id]


def test_an_urgent_whistle_gets_the_shorter_limits_in_working_time(grid: Engine, clock: MovableClock) -> None:
    clock.set(datetime(2026, 11, 6, 17, 15, tzinfo=CST))  # a Friday, a quarter before the office closes
    whistle(grid, urgency="紧急")
    confirm(grid)
    sign = task(grid, MEMBER, "sign")
    # Half a working hour: 15 minutes on Friday, 15 on Monday morning (office hours 08:30–12:00, 13:30–17:30).
    assert sign.due_at.astimezone(CST) == datetime(2026, 11, 9, 8, 45, tzinfo=CST)
