"""Running whistle cases survive what happens to a service: a migration to a new version of the
flow (issue 17 item 15, carried onto the flow with the 12345 lane) and another process of the
service picking up where the first left off — both with departments working in a multi-instance
call activity, whose completion SpiffWorkflow wires up only when it creates the instances."""

from __future__ import annotations

import shutil
from pathlib import Path

from gongzhi import SYSTEM, Engine, bpmn_package_path
from gongzhi.plugins.whistle import WhistlePlugin

from .conftest import ADAPTER_NAMES

BEFORE = Path(__file__).resolve().parents[1] / "fixtures" / "whistle_before_hotline" / "whistle_dispatch.bpmn"
CASE = {"channel": "12345热线", "category_l1": "生态环境", "category_l2": "餐饮油烟", "category_l3": "油烟直排",
        "case_type": "投诉", "description": "楼下餐馆油烟直排", "address": "翠苑路 1 号", "grid": "990101/001/001/01",
        "reporter_name": "张三", "reporter_mobile": "13800138000", "urgency": "一般", "emergency": "无"}


def test_running_cases_move_to_the_flow_with_the_platform_lane_and_finish(make_engine, tmp_path, driver) -> None:
    engine: Engine = make_engine(plugins=[WhistlePlugin()], disable_plugins=["whistle", *ADAPTER_NAMES])
    old = tmp_path / "whistle"
    shutil.copytree(bpmn_package_path() / "whistle", old)
    shutil.copy(BEFORE, old / "whistle_dispatch.bpmn")
    engine.deploy([old])
    d = driver(engine)
    waiting_sign = engine.start("whistle_dispatch", SYSTEM, CASE, region=CASE["grid"]).id
    d.whistle(waiting_sign)
    handled = engine.start("whistle_dispatch", SYSTEM, CASE, region=CASE["grid"]).id
    for step in (d.whistle, d.sign, d.onsite, d.feedback):
        step(handled)
    new = engine.deploy([bpmn_package_path() / "whistle"])
    [created] = [c for c in new.created if c.get("key") == "whistle_dispatch"]
    version = created["version"]

    plan = engine.migrate("whistle_dispatch", version, SYSTEM)
    assert plan.as_dict()["refused"] == 0, plan.as_dict()
    engine.migrate("whistle_dispatch", version, SYSTEM, dry_run=False)
    for case in (waiting_sign, handled):
        assert engine.instance(case, SYSTEM).version == version
    d.sign(waiting_sign)
    for step in (d.onsite, d.feedback, d.rate):
        step(waiting_sign)
    d.rate(handled)
    for case in (waiting_sign, handled):  # no platform order: the street's own revisit, as before
        assert [t.element_id for t in d.open_tasks(case)] == ["resident_followup"]
        done = d.follow_up(case)
        assert done.status == "completed" and done.variables["case_record"]["satisfaction"] == "满意"


def test_a_department_finishes_in_another_process_than_the_one_that_dispatched_it(make_engine, driver) -> None:
    first: Engine = make_engine(plugins=[WhistlePlugin()], disable_plugins=["whistle", *ADAPTER_NAMES])
    first.deploy([bpmn_package_path() / "whistle"])
    case = first.start("whistle_dispatch", SYSTEM, CASE, region=CASE["grid"]).id
    driver(first).whistle(case)  # the departments' instances are created here
    other: Engine = make_engine(plugins=[WhistlePlugin()], disable_plugins=["whistle", *ADAPTER_NAMES])
    d = driver(other)  # a second worker of the service (or the first after a restart): specs parsed afresh
    for step in (d.sign, d.onsite, d.feedback, d.rate):
        step(case)
    assert [t.element_id for t in d.open_tasks(case)] == ["resident_followup"]
