"""A case as commands see it: its row, its version, its workflow, its open tasks — and the cache of cases.

A ``Case`` carries everything a command needs to check who may act and to run,
so a command on a case this process has just worked on reads one number from
the database (the case's lock version) and nothing else. The cache hands a case
to one command at a time and takes it back only after that command committed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from ..status import InstanceStatus, TaskStatus
from ..clock import utc
from ..definitions.model import ProcessBundle
from ..store.models import Instance, TaskRow
from ..spiff.codec import Prints
from ..spiff.snapshot import WaitState
from .views import TaskView

__all__ = ["CaseRow", "OpenTask", "Case", "CaseCache", "INSTANCES", "TASKS"]

INSTANCES, TASKS = Instance.__table__, TaskRow.__table__


@dataclass
class CaseRow:
    """The columns of ``gz_instance`` a command reads and writes (not the state)."""

    id: str
    process_key: str
    version_id: int
    status: str
    business_key: str | None
    region: str
    started_by: str
    owner: str | None
    created_at: datetime
    updated_at: datetime
    parent_id: str | None
    reply_message: str | None
    audit_seq: int
    audit_hash: str
    lock_version: int
    erased_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Any) -> "CaseRow":
        m = row._mapping
        values = {f.name: m[f.name] for f in fields(cls)}
        for name in ("created_at", "updated_at", "erased_at"):  # SQLite hands back naive UTC datetimes
            values[name] = utc(values[name]) if values[name] is not None else None
        return cls(**values)

    def values(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class OpenTask:
    """An open user task's work-list row, as the case knows it."""

    id: str
    element_id: str
    name: str
    region: str
    candidate_groups: list[str]
    assignee: str | None
    created_at: datetime
    due_at: datetime | None
    form: str | None

    @classmethod
    def from_row(cls, row: Any) -> "OpenTask":
        m = row._mapping
        return cls(m["id"], m["element_id"], m["name"], m["region"], list(m["candidate_groups"]), m["assignee"],
                   utc(m["created_at"]), utc(m["due_at"]) if m["due_at"] else None, m["form"])

    def view(self, instance_id: str, process_key: str) -> TaskView:
        return TaskView(id=self.id, instance_id=instance_id, process_key=process_key, element_id=self.element_id,
                        name=self.name, status=TaskStatus.OPEN, region=self.region, candidate_groups=list(self.candidate_groups),
                        assignee=self.assignee, created_at=utc(self.created_at),
                        due_at=utc(self.due_at) if self.due_at else None)


@dataclass
class Case:
    """One instance, loaded: row, bundle, workflow and what the stored state says of it."""

    row: CaseRow
    bundle: ProcessBundle
    workflow: Any
    variables: dict[str, Any]
    tasks: dict[str, OpenTask] = field(default_factory=dict)  # open user tasks by id
    prints: Prints | None = None  # None: a new case, or a 0.1 state: the next write is a base
    waits: WaitState | None = None  # what it waits for (None: compute it from the workflow)
    fresh: bool = False  # started by this command: nothing stored yet

    @property
    def id(self) -> str:
        return self.row.id

    def with_row(self, **changes: Any) -> "Case":
        return replace(self, row=replace(self.row, **changes))


class CaseCache:
    """Cases of recently used instances, keyed by instance id, with an index of their open tasks.

    ``take`` removes the case, so two threads never share one; ``put`` returns it after
    a commit. A case is only used if its lock version is the one the database has.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._cases: OrderedDict[str, Case] = OrderedDict()
        self._by_task: dict[str, str] = {}
        self._lock = threading.Lock()

    def instance_of(self, task_id: str) -> str | None:
        with self._lock:
            return self._by_task.get(task_id)

    def take(self, instance_id: str, lock_version: int) -> Case | None:
        with self._lock:
            case = self._cases.pop(instance_id, None)
            if case is not None:
                for task_id in case.tasks:
                    self._by_task.pop(task_id, None)
        return case if case is not None and case.row.lock_version == lock_version else None

    def put(self, case: Case) -> None:
        if self.size <= 0 or case.row.status != InstanceStatus.RUNNING:
            return  # a finished case never moves again: nothing to keep warm
        with self._lock:
            self._cases[case.id] = case
            for task_id in case.tasks:
                self._by_task[task_id] = case.id
            while len(self._cases) > self.size:
                _, old = self._cases.popitem(last=False)
                for task_id in old.tasks:
                    self._by_task.pop(task_id, None)

    def drop(self, instance_id: str) -> None:
        with self._lock:
            case = self._cases.pop(instance_id, None)
            for task_id in (case.tasks if case else ()):
                self._by_task.pop(task_id, None)
