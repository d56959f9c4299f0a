"""Consultation reports, checked against figures computed independently while driving the topics."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from gongzhi import Actor, InvalidInput
from gongzhi.plugins.consultation import reports

COUNCIL = {"scope": "社区", "households": 300, "cost_estimate": 20000, "difficulty": "中", "authority": "社区"}
HEARING = {"scope": "社区", "households": 800, "cost_estimate": 500000, "difficulty": "中", "authority": "社区"}


class Ledger:
    """What the test itself knows about each topic, kept apart from the engine."""

    def __init__(self) -> None:
        self.days: list[float] = []
        self.tasks: list[bool] = []
        self.ratings: list[int] = []


def resolve(c: Any, inst: str, ledger: Ledger, intake: datetime, host: Actor, invited: int = 5,
            review_after: timedelta = timedelta(0)) -> None:
    c.clock.set(c.clock.now() + review_after)
    c.review(inst)
    c.at(c.notice(inst, invited=invited) + timedelta(hours=2))
    c.hold_meeting(inst, host, present=invited, votes=(invited, 0, 0))
    ledger.days.append((c.clock.now() - intake).total_seconds() / 86400)


def close(c: Any, inst: str, ledger: Ledger, late: list[bool], rating: int) -> None:
    c.at(c.working_days_from(c.clock.now(), c.variables(inst)["publicity_days"]))
    c.plan(inst, [{"title": f"任务{i}", "owner": "物业", "owner_group": "property_co", "deadline_days": 2}
                  for i in range(len(late))])
    for is_late in late:
        c.clock.set(c.working_days_from(c.clock.now(), 3 if is_late else 1))
        c.do(inst, "carry_out", c.property, {"impl_result": "已完成"})
        ledger.tasks.append(not is_late)
    c.supervise_and_rate(inst, rating)
    ledger.ratings.append(rating)


@pytest.fixture
def topics(consult) -> tuple[Any, Ledger, dict[str, str]]:
    c, ledger, ids = consult, Ledger(), {}
    ids["a"] = c.start("consultation_courtyard")
    resolve(c, ids["a"], ledger, c.clock.now(), c.grid)
    close(c, ids["a"], ledger, [False], 5)

    c.clock.set(c.clock.now() + timedelta(days=1, hours=3))
    intake = c.clock.now()
    ids["b"] = c.start("consultation_community", **COUNCIL)
    resolve(c, ids["b"], ledger, intake, c.party, invited=6, review_after=timedelta(days=1))
    close(c, ids["b"], ledger, [False, True], 3)

    ids["c"] = c.start("consultation_community")
    c.review(ids["c"], "不予受理", review_reason="不属于协商范围")

    c.clock.set(c.clock.now() + timedelta(hours=5))
    intake = c.clock.now()
    ids["e"] = c.start("consultation_courtyard")  # resolved, still in publicity
    resolve(c, ids["e"], ledger, intake, c.grid, review_after=timedelta(days=5))

    ids["d"] = c.start("consultation_enterprise", **HEARING)  # in notice
    c.review(ids["d"])
    return c, ledger, ids


def by_name(name: str) -> Any:
    [report] = [r for r in reports() if r.name == name]
    return report


def test_reports_are_registered_through_the_hook(consult) -> None:
    registered = [r for batch in consult.engine.pm.hook.gongzhi_register_reports() for r in batch]
    assert {r.name for r in registered} >= {"consultation_topics", "consultation_resolution",
                                            "consultation_implementation", "consultation_satisfaction"}
    assert all(r.title for r in registered)


def test_topics_by_variant_tier_and_status(topics) -> None:
    c, _, _ = topics
    out = by_name("consultation_topics").run(c.engine, c.admin)
    expected = [
        {"variant": "consultation_community", "tier": "council", "status": "已办结", "count": 1},
        {"variant": "consultation_community", "tier": "small_talk", "status": "不予受理", "count": 1},
        {"variant": "consultation_courtyard", "tier": "small_talk", "status": "公示中", "count": 1},
        {"variant": "consultation_courtyard", "tier": "small_talk", "status": "已办结", "count": 1},
        {"variant": "consultation_enterprise", "tier": "hearing", "status": "通知邀请中", "count": 1},
    ]
    assert out["total"] == 5 and out["rows"] == expected and out["tier_changes"] == 0
    assert out["by_variant"] == {"consultation_community": 2, "consultation_courtyard": 2, "consultation_enterprise": 1}
    assert out["by_tier"] == {"council": 1, "hearing": 1, "small_talk": 3}
    filtered = by_name("consultation_topics").run(c.engine, c.admin, variant="consultation_courtyard")
    assert filtered["total"] == 2


def test_median_days_from_intake_to_resolution(topics) -> None:
    c, ledger, _ = topics
    out = by_name("consultation_resolution").run(c.engine, c.admin)
    days = sorted(ledger.days)
    assert len(days) == 3
    assert out == {"resolved": 3, "median_days": round(days[1], 2)}
    assert days[0] < days[1] < days[2]  # the median is a real choice here


def test_implementation_on_time_rate(topics) -> None:
    c, ledger, _ = topics
    out = by_name("consultation_implementation").run(c.engine, c.admin)
    assert ledger.tasks == [True, True, False]
    assert out == {"tasks": 3, "on_time": 2, "on_time_rate": round(2 / 3, 4), "department_tasks": 0,
                   "department_on_time_rate": None}


def test_satisfaction(topics) -> None:
    c, ledger, _ = topics
    out = by_name("consultation_satisfaction").run(c.engine, c.admin)
    assert out == {"responses": 2, "average": sum(ledger.ratings) / 2, "satisfied_rate": 0.5,
                   "distribution": {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1}}


def test_reports_respect_region_and_period(topics) -> None:
    c, _, ids = topics
    elsewhere = Actor.of("party-2", "别的社区书记", ["party_org"], "110105/002")
    assert by_name("consultation_topics").run(c.engine, elsewhere)["total"] == 0
    intake_a = c.engine.instance(ids["a"], c.admin).created_at.astimezone(c.local(2026, 1, 1).tzinfo).date()
    only_a = by_name("consultation_topics").run(c.engine, c.admin, **{"from": intake_a.isoformat(), "to": intake_a.isoformat()})
    assert only_a["total"] == 1
    with pytest.raises(InvalidInput):
        by_name("consultation_topics").run(c.engine, c.admin, **{"from": "上周"})
    with pytest.raises(InvalidInput):
        by_name("consultation_topics").run(c.engine, c.admin, variant="whistle_dispatch")


def test_reports_run_through_the_http_layer_contract(topics) -> None:
    run_report = pytest.importorskip("gongzhi.api.reports").run_report  # the HTTP layer is being written concurrently
    c, ledger, _ = topics
    out = run_report(by_name("consultation_satisfaction"), c.engine, c.party, {"variant": "consultation_courtyard",
                                                                              "unknown": "ignored"})
    assert out["responses"] == 1 and out["average"] == ledger.ratings[0]


def test_topics_count_the_confirmed_tier_and_the_changes(consult) -> None:
    c = consult
    kept, changed = c.start("consultation_courtyard"), c.start("consultation_courtyard")
    c.review(kept)
    c.do(changed, "review_topic", c.party, {"review_decision": "受理"})
    c.confirm_tier(changed, change_to="社区党群议事会", reason="楼道改造涉及全小区消防通道")
    out = by_name("consultation_topics").run(c.engine, c.admin)
    assert out["tier_changes"] == 1
    assert {(r["tier"], r["count"]) for r in out["rows"]} == {("small_talk", 1), ("council", 1)}
