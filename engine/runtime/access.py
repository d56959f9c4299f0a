"""Who may read a case, act on its tasks or send it a message — and what of it they see.

Reading a case needs a reason, and the region alone is not one:

- an **admin** reads every case in their regions;
- the **owner** (the resident who reported it, recorded at start) reads their own cases;
- a member of the process's **viewer groups** (property ``viewerGroups`` on the
  process; default: the groups of its lanes) reads its cases in their regions;
- whoever **holds a task** of the case — offered to one of their groups in their
  regions, or claimed or completed by them — reads that case.

Members of the **resident groups** (``RESIDENT_GROUPS``, default ``resident``) are
never viewers by group: a resident sees only the cases they own, and a task
offered to a resident group is offered to the owner of its case alone.

A message may be sent by an admin, or by a member of the catch event's sender
groups (property ``senderGroups``; default: the group of its lane; ``*``: anyone
who can see the case) who can see the case's region.
"""

from __future__ import annotations

import threading
from typing import Any, Iterable, Mapping

from sqlalchemy import and_, exists, false, func, or_, select, true
from sqlalchemy.orm import Session

from ..definitions.model import ANYONE, ProcessBundle
from ..security.identity import SYSTEM, Actor
from ..security.masking import PII_PERMISSION, Masker, MaskingRule
from ..store.models import DefinitionVersion, Instance, TaskCandidate, TaskRow
from .queries import in_region

__all__ = ["Access"]


class _Undeclared:
    def kind_at(self, path: tuple[str, ...]) -> None:
        return None


_NONE = _Undeclared()


class Access:
    def __init__(self, resident_groups: Iterable[str], rule: MaskingRule) -> None:
        self.resident_groups = frozenset(resident_groups)
        self.rule = rule
        self._viewers: dict[int, frozenset[str]] = {}
        self._predicates: dict[int | None, Any] = {}
        self._lock = threading.Lock()

    # --- groups ---------------------------------------------------------------------

    def staff_groups(self, actor: Actor) -> frozenset[str]:
        """The actor's groups that count for reading and acting by group (not resident groups)."""
        return actor.groups - self.resident_groups

    def viewers(self, bundle: ProcessBundle) -> frozenset[str]:
        return bundle.viewer_groups - self.resident_groups

    def _version_viewers(self, session: Session, repository: Any) -> dict[int, frozenset[str]]:
        """Viewer groups of every deployed process version (stored at deploy; older versions are
        read from their bundle once and stored)."""
        count = session.scalar(select(func.count()).select_from(DefinitionVersion)
                               .where(DefinitionVersion.kind == "process")) or 0
        if len(self._viewers) == count:
            return self._viewers
        rows = session.execute(select(DefinitionVersion.id, DefinitionVersion.viewer_groups)
                               .where(DefinitionVersion.kind == "process")).all()
        found = {}
        for version_id, groups in rows:
            if groups is None:
                groups = sorted(repository.bundle(session, version_id).viewer_groups)
            found[version_id] = frozenset(groups) - self.resident_groups
        with self._lock:
            self._viewers = found
        return found

    # --- reading --------------------------------------------------------------------

    def may_read(self, session: Session, row: Instance, bundle: ProcessBundle, actor: Actor) -> bool:
        if actor is SYSTEM or (actor.is_admin and actor.can_see(row.region)):
            return True
        if row.owner is not None and row.owner == actor.id:
            return True
        if actor.is_admin or not actor.can_see(row.region):
            return False
        if self.staff_groups(actor) & self.viewers(bundle):
            return True
        query = select(Instance.id).where(Instance.id == row.id, self._holds_task(actor))
        return session.scalar(query) is not None

    def readable(self, session: Session, actor: Actor, repository: Any) -> Any:
        """A filter on ``Instance`` for the cases the actor may read."""
        if actor is SYSTEM or actor.whole_tree:
            return true()
        if actor.is_admin:
            return in_region(Instance.region, actor)
        owned = Instance.owner == actor.id
        if not actor.scoped_regions:
            return owned
        staff = self.staff_groups(actor)
        versions = sorted(v for v, groups in self._version_viewers(session, repository).items() if groups & staff)
        by_group = Instance.version_id.in_(versions) if versions else false()
        return or_(owned, and_(in_region(Instance.region, actor), or_(by_group, self._holds_task(actor))))

    def _holds_task(self, actor: Actor) -> Any:
        """Correlated to ``Instance``: a task of the case claimed or completed by the actor, or open
        and offered to one of the actor's staff groups in their regions."""
        held = exists().where(TaskRow.instance_id == Instance.id,
                              or_(TaskRow.assignee == actor.id, TaskRow.completed_by == actor.id))
        staff = sorted(self.staff_groups(actor))
        if not staff:
            return held
        offered = exists().where(TaskCandidate.task_id == TaskRow.id, TaskRow.instance_id == Instance.id,
                                 TaskCandidate.group_name.in_(staff), in_region(TaskCandidate.region, actor))
        return or_(held, offered)

    # --- acting ---------------------------------------------------------------------

    def may_act(self, actor: Actor, task: TaskRow, owner: str | None) -> bool:
        """The actor may work on this open task (claim or complete it)."""
        if actor.is_admin:
            return actor.can_see(task.region)
        if task.assignee == actor.id:
            return True
        if not actor.can_see(task.region):
            return False
        groups = set(task.candidate_groups)
        if self.staff_groups(actor) & groups:
            return True
        return bool(actor.groups & groups & self.resident_groups) and owner is not None and owner == actor.id

    def may_send(self, actor: Actor, row: Instance, bundle: ProcessBundle, element_id: str) -> bool:
        if actor is SYSTEM or (actor.is_admin and actor.can_see(row.region)):
            return True
        if not actor.can_see(row.region):
            return False
        allowed = bundle.senders(element_id)
        return ANYONE in allowed or bool(actor.groups & set(allowed))

    # --- seeing ---------------------------------------------------------------------

    @staticmethod
    def needs_masking(actor: Actor) -> bool:
        return actor is not SYSTEM and PII_PERMISSION not in actor.permissions

    def personal(self, bundle: ProcessBundle) -> Any:
        """The audit trail's predicate for this process version: what of an event is personal."""
        predicate = self._predicates.get(bundle.version_id)
        if predicate is None:
            predicate = self._predicates.setdefault(bundle.version_id, Masker(bundle.personal or _NONE, self.rule).is_personal)
        return predicate

    def masker(self, actor: Actor, bundle: ProcessBundle | None, variables: Mapping[str, Any] | None,
               reveal: Iterable[str] = ()) -> Masker | None:
        """How this actor sees this case's data (None: unmasked)."""
        if not self.needs_masking(actor):
            return None
        declaration = bundle.personal if bundle is not None else None
        return Masker.for_case(declaration, self.rule, variables, reveal)
