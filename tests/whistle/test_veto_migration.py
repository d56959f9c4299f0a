"""Running cases and the veto flow: a case not yet dispatched moves to the version with refusal
detection and gets it; a department already working on the previous version is refused by the
dry run (its sign-in and ratings changed) and finishes there, with no tick counted as a veto.

``fixtures/whistle_before_veto`` holds the department flow and the street's rating form as they
were before (the 一票否决 tick, no 街道确认拒不报到)."""

from __future__ import annotations

import shutil
from pathlib import Path

from gongzhi import SYSTEM, Engine, MovableClock, bpmn_package_path
from gongzhi.plugins.whistle import Outbox, WhistlePlugin, annual_ratings

BEFORE = Path(__file__).resolve().parents[1] / "fixtures" / "whistle_before_veto"
OLD_RATING = {"street_signed_on_time": True, "street_arrived_on_time": True, "street_resolved": True,
              "street_cooperation": 5, "street_score": 5, "street_refused": True}


def test_cases_move_to_the_veto_flow_where_they_can(tmp_path, whistle_world_factory) -> None:
    world = whistle_world_factory(tmp_path)  # the current flow, replaced below by a fresh engine on the old one
    world.engine.close()
    old = tmp_path / "old"
    shutil.copytree(bpmn_package_path() / "whistle", old)
    shutil.copy(BEFORE / "whistle_department.bpmn", old / "whistle_department.bpmn")
    shutil.copy(BEFORE / "forms" / "street_rating.json", old / "forms" / "street_rating.json")
    for name in ("whistle_annual_review.bpmn", "whistle_annual_rating.bpmn", "forms/confirm_refusal.json"):
        (old / name).unlink()
    clock = MovableClock(world.clock.now())
    engine = Engine({"database_url": f"sqlite:///{tmp_path}/old.sqlite3", "cache_size": 0, "disable_plugins": ["whistle"]},
                    clock=clock, plugins=[WhistlePlugin(notifier=Outbox())])
    engine.upgrade_db()
    engine.deploy([old])
    world.engine, world.clock = engine, clock

    waiting = world.start().id  # at 街道吹哨: nothing of the department has run yet
    working = world.start().id
    world.whistle(working, "huanjing", [])

    new = engine.deploy([bpmn_package_path() / "whistle"])
    [created] = [c for c in new.created if c.get("key") == "whistle_dispatch"]
    plan = {i["instance_id"]: i for i in engine.migrate("whistle_dispatch", created["version"], SYSTEM).as_dict()["instances"]}
    assert plan[waiting]["ok"] and not plan[working]["ok"]
    assert "签收或退单" in plan[working]["refusals"][0]
    engine.migrate("whistle_dispatch", created["version"], SYSTEM, dry_run=False)
    assert engine.instance(waiting, SYSTEM).version == created["version"]

    # the case that stayed finishes on its version; its old tick is no veto
    world.handle(working, "huanjing")
    world.do(working, "street_rate", OLD_RATING)
    world.do(working, "community_rate", {"community_score": 5})
    assert world.follow_up(working).status == "completed"
    [row] = [r for r in annual_ratings(engine, year=2025) if r["department"] == "huanjing"]
    assert (row["vetoes"], row["grade"]) == (0, "优秀")

    # the moved case detects a department that never signs
    world.whistle(waiting, "chengguan", [])
    world.advance(days=2)
    for _ in range(10):
        if any(t.element_id == "confirm_refusal" for t in world.open_tasks(waiting)):
            break
        world.advance(days=1)
    assert world.find(waiting, "confirm_refusal").candidate_groups == ["street"]
