"""Incremental state is exact: at every step of real cases, the workflow restored from the stored base
and deltas serializes to exactly what the live workflow does (SpiffWorkflow's own format)."""

from __future__ import annotations

from typing import Any, Callable

import orjson
import pytest

from gongzhi import Engine, bpmn_package_path
from gongzhi.spiff.codec import COMPACT_EVERY
from gongzhi.store.models import StateDelta


def _same(engine: Engine, instance_id: str) -> tuple[int, int]:
    """(deltas stored, tasks) after checking that the stored state restores to the live workflow."""
    live = engine.runner.cache._cases[instance_id]
    with engine.db.read() as session:
        stored = engine.runner.case(session, instance_id)  # not taken: read from the database
        deltas = session.query(StateDelta).filter_by(instance_id=instance_id).count()
    codec = engine.runner.codec(live.bundle)
    dump = lambda wf: orjson.dumps(codec.full(wf), option=orjson.OPT_SORT_KEYS, default=str)  # noqa: E731
    assert dump(stored.workflow) == dump(live.workflow)
    assert stored.variables == live.variables
    assert set(stored.tasks) == set(live.tasks)
    return deltas, len(live.workflow.tasks)


def test_the_whistle_case_restores_exactly_at_every_step(make_engine: Callable[..., Engine]) -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    try:
        import run as bench
    finally:
        sys.path.pop(0)
    engine = make_engine(cache_size=16)
    engine.deploy([bpmn_package_path() / "whistle"])
    people, boss = bench.actors(), bench.admin()
    view = engine.start("whistle_dispatch", boss, bench.INTAKE, region=bench.GRID)
    seen_deltas = []
    while view.open_tasks:
        task = view.open_tasks[0]
        view = engine.complete(task.id, people[task.candidate_groups[0]], bench.STEP_DATA[task.element_id])
        if view.status == "running":
            seen_deltas.append(_same(engine, view.id)[0])
    assert view.status == "completed"
    assert max(seen_deltas) > 0  # deltas were written, not only bases
    assert max(seen_deltas) <= COMPACT_EVERY
    with engine.db.read() as session:  # a finished case keeps its variables, no state
        assert session.query(StateDelta).filter_by(instance_id=view.id).count() == 0


@pytest.mark.parametrize("process", ["micro_wish"])
def test_a_case_restored_from_deltas_runs_on_in_another_engine(make_engine: Callable[..., Engine],
                                                               process: str) -> None:
    from gongzhi import Actor

    first = make_engine(cache_size=16)
    first.deploy([bpmn_package_path() / "micro_wish"])
    resident = Actor.of("r1", "王大妈", ["resident"], "110105/001/03", ["pii"])
    party = Actor.of("p1", "书记", ["party_org"], "110105/001", ["pii"])
    unit = Actor.of("u1", "志愿者", ["volunteers_a"], "110105/001", ["pii"])
    case = first.start(process, resident, {"wish": "帮忙预约体检", "category": "就医", "requester": "王大妈",
                                          "phone": "13812341234"})
    taken = first.complete(case.open_tasks[0].id, party, {"accepted": True, "unit_group": "volunteers_a"})
    _same(first, case.id)
    second = make_engine(cache_size=0)  # another process: restores from the base and deltas
    done = second.complete(taken.open_tasks[0].id, unit, {"result": "已预约"})
    assert done.variables["result"] == "已预约" and len(done.open_tasks) == 1  # the next step of the loop is open
    assert first.instance(case.id, party).variables["result"] == "已预约"  # the first engine's cache is stale: not used
