"""Escalation targets (issue 20 item 4): a figure below its ``whistle_targets`` target alerts once per
breach; recovery ends the breach and a later drop is a new one; a street's own table decides for it;
the reports show the breach; the admin action refuses bad input and changes nothing then.

Cases are real whistle cases driven through the deployed BPMN (the ``world`` fixture); the figures
are the reports' own. 生态环境分局 (huanjing) gets five dispatches: the default minimum sample.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from gongzhi import Actor, InvalidInput, NotAllowed, NotFound, SYSTEM, bpmn_package_path
from gongzhi.definitions.sources import SourceFile
from gongzhi.plugins.whistle import Directory
from gongzhi.plugins.whistle.targets import ALERT_PROCESS, check_targets, names_of_directory, open_breaches

NAMES = names_of_directory(Directory.load())
DEPT_KEY = "target:2025-03:dept:huanjing:closure_rate"
STREET_KEY = "target:2025-03:street:990101/001:case_closure_rate"


def check(world, **options):  # type: ignore[no-untyped-def]
    return check_targets(world.engine, names=NAMES, region_of_district="990101", **options)


def dispatch(world, handled: bool) -> str:  # type: ignore[no-untyped-def]
    """One case whistled to 生态环境分局: signed and, if ``handled``, finished (办结反馈)."""
    iid = world.start().id
    world.whistle(iid, "huanjing", [])
    if handled:
        world.handle(iid, "huanjing")
    else:
        world.do(iid, "sign_in", {"sign_decision": "签收"}, "huanjing")
    return iid


def alerts(world) -> list[dict]:  # type: ignore[no-untyped-def]
    return [n for n in world.outbox.items if n["kind"] == "考核预警"]


def alert_cases(world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Every alert instance: business key -> status."""
    return {c.business_key: c.status for batch in world.engine.read.iter_cases(SYSTEM, ALERT_PROCESS)
            for c in batch.items}


def test_a_breach_alerts_once_and_a_drop_after_recovery_alerts_again(world):
    ids = [dispatch(world, handled=i < 4) for i in range(5)]  # 4 of 5 finished: 办结率 80%

    first = check(world, level="部门")
    [notice] = alerts(world)
    assert notice["to"] == "district" and notice["to_name"] == "区政府督查室"
    assert notice["text"] == "3月份 生态环境分局 办结率 80%，低于目标 98%"  # names and percentages, no codes
    assert [o["business_key"] for o in first.opened] == [f"{DEPT_KEY}:1"]

    again = check(world, level="部门")  # still below: the same breach, no second notice
    assert again.opened == [] and len(alerts(world)) == 1
    assert [b["business_key"] for b in again.still_open] == [f"{DEPT_KEY}:1"]

    world.do(ids[4], "onsite_report", {"arrived_at": "2025-03-03T15:00:00+08:00", "onsite_staff": "执法队员两名",
                                       "onsite_situation": "现场核实属实"}, "huanjing")
    world.feedback(ids[4], "huanjing")  # the fifth finished too: 100%
    recovered = check(world, level="部门")
    assert [(c["business_key"], c["outcome"]) for c in recovered.closed] == [(f"{DEPT_KEY}:1", "恢复达标")]
    assert alert_cases(world) == {f"{DEPT_KEY}:1": "completed"} and len(alerts(world)) == 1

    dispatch(world, handled=False)  # a new dispatch not yet finished: 5 of 6, 83.3%
    dropped = check(world, level="部门")
    assert [o["business_key"] for o in dropped.opened] == [f"{DEPT_KEY}:2"]  # a new breach
    assert [n["text"] for n in alerts(world)][-1] == "3月份 生态环境分局 办结率 83.3%，低于目标 98%"
    assert len(alerts(world)) == 2


def test_too_few_cases_are_not_judged(world):
    for handled in (True, False, False, False):  # 25%, but only four dispatches: below the minimum of five
        dispatch(world, handled)
    result = check(world)
    assert result.opened == [] and alerts(world) == [] and alert_cases(world) == {}


def test_a_streets_own_target_changes_its_outcome(world, tmp_path: Path):
    for _ in range(5):
        dispatch(world, handled=True)  # the departments are fine; none of the five cases is closed yet
    check(world, level="街道")
    [notice] = alerts(world)
    assert notice["to"] == "street_leader" and notice["text"] == "3月份 东湖街道 办结率 0%，低于目标 98%"

    # 东湖街道 deploys its own table: cases still being handled count only from 20 on.
    text = (bpmn_package_path() / "whistle" / "whistle_targets.dmn").read_text(encoding="utf-8")
    own = text.replace('<outputEntry id="targets_street_closure_min_sample"><text>5</text>',
                       '<outputEntry id="targets_street_closure_min_sample"><text>20</text>')
    assert own != text
    world.engine.deploy(sources=[SourceFile("whistle_targets.dmn", own.encode())], actor=world.admin,
                        region="990101/001")
    assert check(world, level="街道").closed == []  # not judged under the street's own table: the breach stays
    assert set(open_breaches(world.engine)) == {STREET_KEY}
    # ... and a target the street sets at 0% is met: the breach ends.
    zero = text.replace('<outputEntry id="targets_street_closure_target"><text>0.98</text>',
                        '<outputEntry id="targets_street_closure_target"><text>0</text>')
    world.engine.deploy(sources=[SourceFile("whistle_targets.dmn", zero.encode())], actor=world.admin,
                        region="990101/001")
    closed = check(world, level="街道").closed
    assert [(c["business_key"], c["outcome"]) for c in closed] == [(f"{STREET_KEY}:1", "恢复达标")]
    assert len(alerts(world)) == 1


def test_the_reports_show_the_breach(world):
    for i in range(5):
        dispatch(world, handled=i < 4)
    reports = {r.name: r for hook in world.engine.pm.hook.gongzhi_register_reports() for r in hook}
    [row] = reports["whistle-departments"].run(world.engine, SYSTEM, month="2025-03")
    assert row["target_status"] == "未达标" and row["target_breaches"] == "办结率 80%（目标 98%）"
    header, line = reports["whistle-departments"].to_csv([row]).splitlines()
    columns = header.split(",")
    assert columns[-2:] == ["是否达标", "未达标指标（目标）"]
    assert line.split(",")[-2:] == ["未达标", "办结率 80%（目标 98%）"]
    [street] = reports["whistle-streets"].run(world.engine, SYSTEM, month="2025-03")
    assert street["target_status"] == "未达标" and street["target_breaches"] == "办结率 0%（目标 98%）"
    # February had no cases: nothing to judge, and the figures of a month without cases are empty.
    assert reports["whistle-departments"].run(world.engine, SYSTEM, month="2025-02") == []


def test_the_report_judges_a_month_with_few_cases_as_not_enough(world):
    dispatch(world, handled=False)
    reports = {r.name: r for hook in world.engine.pm.hook.gongzhi_register_reports() for r in hook}
    [row] = reports["whistle-departments"].run(world.engine, SYSTEM, month="2025-03")
    assert row["target_status"] == "样本不足" and row["target_breaches"] == ""


def test_a_new_month_ends_the_last_months_breaches(world):
    for i in range(5):
        dispatch(world, handled=i < 4)
    check(world, level="部门")
    world.clock.set(world.clock.now() + timedelta(days=31))  # April: no cases yet
    result = check(world, level="部门")
    assert result.month == "2025-04"
    assert [(c["business_key"], c["outcome"]) for c in result.closed] == [(f"{DEPT_KEY}:1", "月份结束")]
    assert open_breaches(world.engine) == {}


def test_bad_parameters_are_refused_before_anything_is_written(world):
    for i in range(5):
        dispatch(world, handled=i < 4)
    for params in ({"month": "2025-3"}, {"month": "2025-13"}, {"month": "2025-04"}, {"level": "社区"}):
        with pytest.raises(InvalidInput) as refused:
            check(world, **params)
        assert refused.value.context["errors"][0]["field"] in params
    with pytest.raises(NotAllowed):
        check(world, actor=world.actors["district"])  # admins only: the figures are the whole district's
    assert alert_cases(world) == {} and alerts(world) == []


def test_the_admin_action_checks_on_demand_and_refuses_bad_input(world):
    from gongzhi.api import create_app
    from gongzhi.security.tokens import mint

    for i in range(5):
        dispatch(world, handled=i < 4)
    engine = world.engine
    client = create_app(engine=engine).test_client()

    def post(actor: Actor, body: object, name: str = "whistle-targets-check"):  # type: ignore[no-untyped-def]
        token = mint(engine.config.secret_key, actor.id, actor.name, actor.groups, actor.region)
        return client.post(f"/api/v1/admin-actions/{name}", json=body, headers={"Authorization": f"Bearer {token}"})

    for body, field in (({"params": {"month": "三月"}}, "month"), ({"params": {"month": "2025-04"}}, "month"),
                        ({"params": {"level": "社区"}}, "level"), ({"params": {"level": 1}}, "level"),
                        ({"params": {"street": "990101/001"}}, "params.street")):
        answer = post(world.admin, body)
        assert answer.status_code == 422 and answer.content_type == "application/problem+json", body
        assert answer.get_json()["errors"][0]["field"] == field
    assert post(world.admin, {"month": "2025-03"}).status_code == 422  # parameters go in params
    assert post(world.actors["district"], {"params": {}}).status_code == 403
    assert post(world.admin, {"params": {}}, "no-such-action").status_code == 404
    assert alert_cases(world) == {}  # nothing was written by the refused calls

    done = post(world.admin, {"params": {"month": "2025-03", "level": "部门"}})
    assert done.status_code == 200
    [opened] = done.get_json()["result"]["opened"]
    assert opened["business_key"] == f"{DEPT_KEY}:1" and opened["text"] == "3月份 生态环境分局 办结率 80%，低于目标 98%"
    assert post(world.admin, {"params": {"level": "部门"}}).get_json()["result"]["opened"] == []  # once per breach

    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/admin-actions/{name}"]["post"]
    assert "whistle-targets-check" in operation["description"] and "`month`" in operation["description"]
    [name] = [p for p in operation["parameters"] if p["name"] == "name"]
    assert name["schema"]["enum"] == ["whistle-targets-check"]
    token = mint(engine.config.secret_key, "admin", "管理员", ["admin"], "")
    listed = client.get("/api/v1/admin-actions", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [a["name"] for a in listed["items"]] == ["whistle-targets-check"]


def test_the_watch_checks_on_the_worker_every_hour(world):
    for i in range(5):
        dispatch(world, handled=i < 4)
    engine = world.engine
    watch = engine.start("whistle_target_watch", world.actors["district"], {"check_every": "每小时"},
                         region="990101")
    assert watch.open_tasks == []  # nothing to do: it runs until the district stops it
    world.advance(hours=1)
    engine.run_due_jobs()
    assert [n["text"] for n in alerts(world)] == ["3月份 生态环境分局 办结率 80%，低于目标 98%",
                                                  "3月份 东湖街道 办结率 0%，低于目标 98%"]
    world.advance(hours=1)
    engine.run_due_jobs()
    assert len(alerts(world)) == 2  # the next hour's check finds the same breaches open
    assert engine.incidents(SYSTEM) == []
    street = world.actors["street"]
    with pytest.raises(NotFound):  # the district's watch: a street neither sees nor stops it
        engine.correlate("whistle_target_watch_stop", street, {"stop_reason": "不想检查"}, instance_id=watch.id)
    stopped = engine.correlate("whistle_target_watch_stop", world.actors["district"], {"stop_reason": "改为人工检查"},
                               instance_id=watch.id)
    assert stopped.status == "completed" and stopped.variables["stop"] == {"stop_reason": "改为人工检查"}
    world.advance(hours=1)
    assert engine.fire_due_timers() == 0  # the cycle timer went with it


def test_a_breach_another_check_is_opening_is_not_opened_twice(world):
    """Two checks racing: the one that claimed the breach's key starts it; the other sends nothing."""
    from gongzhi.plugins.whistle.targets import CLAIM_OWNER

    for i in range(5):
        dispatch(world, handled=i < 4)
    key = f"{DEPT_KEY}:1"
    assert world.engine.claims.claim(CLAIM_OWNER, key, "target_breach", key).owned  # the other check, mid-way
    assert check(world, level="部门").opened == []
    assert alerts(world) == [] and alert_cases(world) == {}
