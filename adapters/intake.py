"""Idempotent intake: one case per (source, external id), however often and however concurrently it arrives.

Every inbound adapter hands its reports to ``Intake.submit``. Two records keep it exact:

- the case itself: business key ``"<source>:<external id>"`` and, in the variable
  ``intake_ref``, the SHA-256 of the normalised report — the durable record;
- a claim row in the idempotency table (``gz_idempotency_key``, actor
  ``intake:<source>``), inserted *before* the case starts. Its primary key lets
  exactly one of several concurrent deliveries (threads or processes, SQLite or
  PostgreSQL) start the case; the others wait for it and answer with the same case.

The same id with a different report is an ``IntakeConflict``. No migration is
needed; purging old idempotency rows is safe because the case keeps its key and hash.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable, Mapping

import orjson
from gongzhi import Actor, InstanceView
from gongzhi.store.models import IdempotencyRecord
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

if TYPE_CHECKING:  # pragma: no cover
    from gongzhi import Engine

__all__ = ["Intake", "IntakeResult", "IntakeConflict", "IntakeBusy", "content_hash"]

OPERATION = "adapter-intake"
STALE_AFTER = timedelta(minutes=5)
MAX_EXTERNAL_ID = 100


class IntakeConflict(Exception):
    """The external id was used before for a different report."""

    def __init__(self, source: str, external_id: str, instance_id: str | None = None) -> None:
        super().__init__(f"{source} 编号 {external_id} 已用于内容不同的另一份报告")
        self.source, self.external_id, self.instance_id = source, external_id, instance_id


class IntakeBusy(Exception):
    """Another delivery of the same report is still being processed; try again shortly."""


@dataclass(frozen=True)
class IntakeResult:
    instance_id: str
    business_key: str
    created: bool  # False: an earlier delivery of the same report made the case


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def content_hash(payload: Mapping[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


class Intake:
    """De-duplicating case creation for one inbound source (``open311``, ``hotline12345``, ``wechat``...)."""

    def __init__(self, engine: Engine, source: str, actor: Actor, *, process_key: str = "whistle_dispatch",
                 wait_seconds: float = 15.0) -> None:
        self.engine, self.source, self.actor, self.process_key = engine, source, actor, process_key
        self.wait_seconds = wait_seconds

    def business_key(self, external_id: str) -> str:
        return f"{self.source}:{external_id}"

    def find(self, external_id: str) -> InstanceView | None:
        """The case made for ``external_id``, if any (with its variables)."""
        page = self.engine.instances(self.actor, process_key=self.process_key,
                                     business_key=self.business_key(external_id), per_page=5)
        if not page.items:
            return None
        first = min(page.items, key=lambda v: (v.created_at, v.id))
        return self.engine.instance(first.id, self.actor)

    def submit(self, external_id: str, report: Mapping[str, Any],
               start: Callable[[str, dict[str, Any]], InstanceView]) -> IntakeResult:
        """Start the case for ``report`` once: ``start(business_key, intake_ref)`` is called at most once
        per external id; ``intake_ref`` must be stored in the case variables under ``intake_ref``."""
        if not isinstance(external_id, str) or not external_id.strip() or len(external_id) > MAX_EXTERNAL_ID:
            raise ValueError(f"external id must be 1–{MAX_EXTERNAL_ID} characters")
        digest = content_hash(report)
        key = self.business_key(external_id)
        existing = self._replay(external_id, digest)
        if existing is not None:
            return existing
        answered = self._claim(external_id, digest)  # None once this call owns the id
        if answered is not None:
            return answered
        try:
            existing = self._replay(external_id, digest)  # a case made before the claim row was purged
            if existing is not None:
                self._finish(external_id, existing.instance_id)
                return existing
            ref = {"source": self.source, "external_id": external_id, "content_hash": digest}
            view = start(key, ref)
        except BaseException:
            self._release(external_id)
            raise
        self._finish(external_id, view.id)
        return IntakeResult(view.id, key, True)

    # --- internals -------------------------------------------------------------------

    def _replay(self, external_id: str, digest: str) -> IntakeResult | None:
        view = self.find(external_id)
        if view is None:
            return None
        stored = (view.variables.get("intake_ref") or {}).get("content_hash")
        if stored is not None and stored != digest:
            raise IntakeConflict(self.source, external_id, view.id)
        return IntakeResult(view.id, view.business_key or self.business_key(external_id), False)

    def _claim(self, external_id: str, digest: str) -> IntakeResult | None:
        """Insert the claim row (None: this call owns the id); on a duplicate, wait for the owner's answer."""
        actor_id = f"intake:{self.source}"
        deadline = time.monotonic() + self.wait_seconds
        delay = 0.01
        while True:
            now = self.engine.clock.now()
            try:
                with self.engine.db.write() as session:
                    session.add(IdempotencyRecord(actor_id=actor_id, key=external_id, operation=OPERATION,
                                                  request_hash=digest, status="pending", created_at=now, updated_at=now))
                return None
            except IntegrityError:
                pass
            with self.engine.db.read() as session:
                record = session.get(IdempotencyRecord, (actor_id, external_id))
                if record is not None:
                    record_hash, status, answer = record.request_hash, record.status, record.response_body
                    stale = record.status == "pending" and _aware(record.updated_at) < now - STALE_AFTER
            if record is None:
                continue  # the owner failed and released the id: try to claim it ourselves
            if record_hash != digest:
                raise IntakeConflict(self.source, external_id, answer or None)
            if status == "done" and answer:
                return IntakeResult(answer, self.business_key(external_id), False)
            if stale:
                with self.engine.db.write() as session:
                    taken = session.execute(
                        update(IdempotencyRecord)
                        .where(IdempotencyRecord.actor_id == actor_id, IdempotencyRecord.key == external_id,
                               IdempotencyRecord.status == "pending",
                               IdempotencyRecord.updated_at < now - STALE_AFTER)
                        .values(updated_at=now).execution_options(synchronize_session=False)
                    ).rowcount
                if taken:
                    return None  # its owner died mid-way: this call takes over
            if time.monotonic() > deadline:
                raise IntakeBusy(f"{self.source} 编号 {external_id} 正在受理中，请稍后重试")
            time.sleep(delay)
            delay = min(delay * 2, 0.2)

    def _finish(self, external_id: str, instance_id: str) -> None:
        with self.engine.db.write() as session:
            session.execute(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.actor_id == f"intake:{self.source}", IdempotencyRecord.key == external_id)
                .values(status="done", response_status=201, response_body=instance_id, updated_at=self.engine.clock.now())
                .execution_options(synchronize_session=False))

    def _release(self, external_id: str) -> None:
        with self.engine.db.write() as session:
            session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.actor_id == f"intake:{self.source}",
                                                            IdempotencyRecord.key == external_id))
