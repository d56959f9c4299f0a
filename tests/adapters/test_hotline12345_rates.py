"""12345 both ways (issue 20, item 1): the 三率 of the platform's orders by Gongzhi's definition and by the
platform's, side by side (report ``hotline-rates``), and a month where the two differ."""

from __future__ import annotations

from typing import Any

import pytest
from gongzhi import SYSTEM, Actor, NotAllowed

from .test_hotline12345 import ORDER, send
from .test_hotline12345_actions import act, elements, platform_world  # noqa: F401  (the fixture)

STREET = "990101/001"


def rates_report(engine: Any) -> Any:
    found = [r for group in engine.pm.hook.gongzhi_register_reports() for r in group or () if r.name == "hotline-rates"]
    assert len(found) == 1
    return found[0]


def handled_and_rated(d: Any, case_id: str) -> None:
    for step in (d.onsite, d.feedback, d.rate):
        step(case_id)


def test_the_two_definitions_differ_per_order_per_dispatch_and_in_what_counts(platform_world, driver, clock):
    engine, client, _ = platform_world()
    d = driver(engine)
    # Order A: one department, signed at once, the platform revisits 基本满意 / 已解决: closed.
    a = send(client, ORDER).get_json()["data"]["case_id"]
    d.whistle(a)
    d.sign(a)
    handled_and_rated(d, a)
    assert act(client, ORDER["order_no"], "HF-A", "revisit", {"satisfaction": "基本满意", "resolved": "已解决"}).status_code == 200
    assert engine.instance(a, SYSTEM).status == "completed"
    # Order B: its 时限 is 17:00 today; the department signs at 18:00 (itself, but after the platform's 时限),
    # the platform revisits 不满意 / 未解决, the case reopens and a second round is dispatched and signed.
    late = {**ORDER, "order_no": "GD-LATE-1", "deadline": "2026-11-02T17:00:00+08:00"}
    b = send(client, late).get_json()["data"]["case_id"]
    d.whistle(b)
    clock.advance(hours=9)
    d.sign(b)
    handled_and_rated(d, b)
    assert act(client, late["order_no"], "HF-B", "revisit", {"satisfaction": "不满意", "resolved": "未解决"}).status_code == 200
    d.whistle(b)
    d.sign(b)
    assert engine.instance(b, SYSTEM).status == "running"
    # A case that did not come from the platform is no 12345 order.
    engine.start("whistle_dispatch", SYSTEM, {"channel": "网格员上报", "category_l1": "生态环境", "category_l2": "餐饮油烟",
                                              "category_l3": "油烟直排", "case_type": "投诉", "description": "巡查发现油烟直排",
                                              "address": "翠苑路 3 号", "grid": "990101/001/001/01", "reporter_name": "网格员小李",
                                              "reporter_mobile": "13900139000", "urgency": "一般", "emergency": "无"},
                 region="990101/001/001/01")

    [row] = rates_report(engine).run(engine, SYSTEM, month="2026-11")
    assert row["street"] == STREET and row["orders"] == 2
    # 响应率: Gongzhi counts dispatches a department completed itself (A, B round 1, B round 2: 3 of 3); the
    # platform counts orders signed before its 时限 (A yes, B no: 1 of 2).
    assert (row["dispatched"], row["gongzhi_response_rate"]) == (3, 1.0)
    assert (row["platform_reached"], row["platform_responded"], row["platform_response_rate"]) == (2, 1, 0.5)
    # 解决率 / 满意率: Gongzhi reads closed cases only (A), 基本满意 weighing 0.9 (whistle_weights); the platform
    # reads its last revisit of each order, open or closed (A and B), 基本满意 counting as satisfied (hotline_rates).
    assert (row["followed_up"], row["gongzhi_resolution_rate"], row["gongzhi_satisfaction_rate"]) == (1, 1.0, 0.9)
    assert (row["platform_revisited"], row["platform_resolution_rate"], row["platform_satisfaction_rate"]) == (2, 0.5, 0.5)


def test_the_report_is_scoped_to_the_readers_street_and_headed_in_chinese(platform_world, driver):
    engine, client, _ = platform_world()
    send(client, ORDER)
    report = rates_report(engine)
    own = Actor.of("street-1", "东湖街道工作人员", ["street"], STREET)
    assert [r["street"] for r in report.run(engine, own, month="2026-11")] == [STREET]
    other = Actor.of("street-2", "西湖街道工作人员", ["street"], "990101/002")
    assert report.run(engine, other, month="2026-11") == []  # its own street has no orders: it sees none of ours
    with pytest.raises(NotAllowed):
        report.run(engine, other, month="2026-11", street=STREET)
    with pytest.raises(NotAllowed):
        report.run(engine, Actor.of("nobody", "无辖区", ["street"]), month="2026-11")
    assert report.headings["platform_satisfaction_rate"] == "满意率（12345 口径）"
    assert all(report.headings[c] for c in report.columns)
    assert report.run(engine, SYSTEM, month="2026-10") == []


def test_the_export_reads_as_people_write(platform_world, driver):
    engine, client, _ = platform_world()
    d = driver(engine)
    case_id = send(client, ORDER).get_json()["data"]["case_id"]
    d.whistle(case_id)
    d.sign(case_id)
    handled_and_rated(d, case_id)
    act(client, ORDER["order_no"], "HF-A", "revisit", {"satisfaction": "基本满意", "resolved": "已解决"})
    report = rates_report(engine)
    text = report.to_csv(report.run(engine, SYSTEM, month="2026-11"))
    header, line = text.splitlines()[:2]
    assert header.split(",")[:3] == ["街道", "12345 工单（件）", "派单（共治口径）（件）"]
    assert line.startswith("东湖街道,1,1,100%") and "90%" in line and "990101" not in text
