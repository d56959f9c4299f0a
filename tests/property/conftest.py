"""Fixtures for the red/black-list tests: an engine with the whistle and property plugins and a movable clock."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from gongzhi import Actor, Engine, MovableClock, bpmn_package_path
from gongzhi.plugins.property import PropertyPlugin
from gongzhi.plugins.whistle import Outbox, WhistlePlugin

# Monday 2026-01-05 09:00 China time: the first working day of 2026Q1.
START = datetime(2026, 1, 5, 1, 0, tzinfo=timezone.utc)
DISTRICT = "990101"
GROUPS = ["housing_bureau", "street", "community", "survey_agency", "owners_committee", "grid"]


class Office:
    """The engine, its clock and one actor per group (district-wide), with shortcuts for tasks."""

    def __init__(self, engine: Engine, clock: MovableClock, outbox: Outbox) -> None:
        self.engine, self.clock, self.outbox = engine, clock, outbox
        self.admin = Actor.of("admin", "管理员", ["admin"])
        self.actors = {g: Actor.of(f"{g}-1", g, [g], DISTRICT) for g in GROUPS}

    def actor_for(self, task) -> Actor:
        group = task.candidate_groups[0]
        return self.actors.get(group) or Actor.of(f"{group}-1", group, [group], DISTRICT)

    def open_tasks(self, instance_id: str | None = None, process_key: str | None = None):
        return self.engine.tasks(self.admin, instance_id=instance_id, process_key=process_key, per_page=200).items

    def find(self, instance_id: str, element_id: str):
        found = [t for t in self.open_tasks(instance_id) if t.element_id == element_id]
        assert len(found) == 1, (element_id, [t.element_id for t in self.open_tasks(instance_id)])
        return found[0]

    def do(self, instance_id: str, element_id: str, data: dict):
        task = self.find(instance_id, element_id)
        return self.engine.complete(task.id, self.actor_for(task), data)

    def variables(self, instance_id: str) -> dict:
        return self.engine.instance(instance_id, self.admin).variables


def make_office(tmp_path, cache_size: int = 0) -> Office:
    clock = MovableClock(START)
    outbox = Outbox()
    engine = Engine({"database_url": f"sqlite:///{tmp_path}/db.sqlite3", "cache_size": cache_size,
                     "disable_plugins": ["whistle", "property"]},
                    clock=clock, plugins=[WhistlePlugin(notifier=Outbox()), PropertyPlugin(notifier=outbox)])
    engine.upgrade_db()
    engine.deploy([bpmn_package_path() / "whistle", bpmn_package_path() / "property"])
    return Office(engine, clock, outbox)


@pytest.fixture(scope="session")
def office_factory():
    """``make_office`` for module-scoped fixtures (test modules cannot import conftest in importlib mode)."""
    return make_office
