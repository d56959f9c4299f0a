"""Claims on keys: however many deliveries of one request race, exactly one of them acts.

One primitive for every "do this once per key" in Gongzhi: the API's ``Idempotency-Key``
(owner: the actor) and the adapters' intake of external reports (owner:
``intake:<source>``). Both keep their rows in the idempotency table
(``gz_idempotency_key``).

Insert-first: ``claim`` writes and commits a ``pending`` row *before* the work runs.
Its primary key (owner, key) serialises concurrent duplicates on SQLite and
PostgreSQL alike: the insert of every other delivery fails, and that delivery is
answered from the row — the stored answer once the first finished (``done``), a
``conflict`` if the same key came with another request, or ``pending`` while the
first still runs. The owner then ``finish``es (stores its answer) or ``release``s
(deletes the row, so a corrected request may use the key again).

A ``pending`` row not touched for ``GONGZHI_IDEMPOTENCY_STALE_SECONDS`` (default five
minutes) belongs to a process that died mid-way: the next delivery takes it over,
atomically, so only one of several retries wins. Rows older than
``GONGZHI_IDEMPOTENCY_TTL_SECONDS`` are forgotten by the worker's clean-up.

Flask-free: the engine builds one ``Claims`` and offers it as ``engine.claims``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from ..clock import Clock
from ..errors import ConfigurationError
from ..store.db import Database
from ..store.models import IdempotencyRecord

__all__ = ["Claims", "Claim", "ClaimState"]

PENDING, DONE = "pending", "done"  # the row's status column
_VANISHED_RETRIES = 3  # a row deleted between our failed insert and our read: its owner released it


class ClaimState(str, Enum):
    OWNED = "owned"  # this caller owns the key: do the work, then finish() or release()
    DONE = "done"  # an earlier delivery finished: answer with its stored status and body
    PENDING = "pending"  # an earlier delivery still runs (after waiting, if asked to)
    CONFLICT = "conflict"  # the key was used for another operation or another request


@dataclass(frozen=True)
class Claim:
    state: ClaimState
    status: int | None = None  # the stored answer, when DONE (and the earlier one's, on CONFLICT)
    body: str | None = None
    taken_over: bool = False  # OWNED from an owner that died mid-way: its work may have been done in part

    @property
    def owned(self) -> bool:
        return self.state is ClaimState.OWNED


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


class Claims:
    """Claims in one database; ``stale_after``: when a pending claim's owner is taken for dead."""

    def __init__(self, db: Database, clock: Clock, stale_after: timedelta) -> None:
        if stale_after <= timedelta(0):
            raise ConfigurationError("IDEMPOTENCY_STALE_SECONDS must be a positive number of seconds")
        self.db, self.clock, self.stale_after = db, clock, stale_after

    def claim(self, owner: str, key: str, operation: str, fingerprint: str, *,
              wait_seconds: float = 0.0) -> Claim:
        """Own ``key`` for ``owner``, or learn who does. ``fingerprint`` identifies the request
        (a hash of its content); ``wait_seconds`` > 0 waits that long for a pending owner's answer."""
        deadline = time.monotonic() + wait_seconds
        delay, vanished = 0.01, 0
        while True:
            now = self.clock.now()
            if self._insert(owner, key, operation, fingerprint, now):
                return Claim(ClaimState.OWNED)
            with self.db.read() as session:
                record = session.get(IdempotencyRecord, (owner, key))
                answer = None if record is None else self._answer(record, operation, fingerprint)
                stale = record is not None and _aware(record.updated_at) < now - self.stale_after
            if record is None:
                vanished += 1  # the owner failed and released the key: try to claim it ourselves
                if vanished < _VANISHED_RETRIES:
                    continue
            elif answer is not None:
                return answer
            elif stale and self._take_over(owner, key, now):
                return Claim(ClaimState.OWNED, taken_over=True)  # its owner died mid-way: this caller takes over
            if time.monotonic() >= deadline:
                return Claim(ClaimState.PENDING)
            time.sleep(delay)
            delay = min(delay * 2, 0.2)

    def finish(self, owner: str, key: str, status: int, body: str) -> None:
        """Keep the answer of the owned claim: later deliveries get it (``DONE``)."""
        with self.db.write() as session:
            session.execute(
                update(IdempotencyRecord).where(IdempotencyRecord.actor_id == owner, IdempotencyRecord.key == key)
                .values(status=DONE, response_status=status, response_body=body, updated_at=self.clock.now())
                .execution_options(synchronize_session=False))

    def release(self, owner: str, key: str) -> None:
        """Give the key up (the work failed): the next delivery may claim it afresh."""
        with self.db.write() as session:
            session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.actor_id == owner,
                                                            IdempotencyRecord.key == key))

    # --- internals -------------------------------------------------------------------

    def _insert(self, owner: str, key: str, operation: str, fingerprint: str, now: datetime) -> bool:
        try:
            with self.db.write() as session:
                session.add(IdempotencyRecord(actor_id=owner, key=key, operation=operation, request_hash=fingerprint,
                                              status=PENDING, created_at=now, updated_at=now))
            return True
        except IntegrityError:
            return False

    @staticmethod
    def _answer(record: IdempotencyRecord, operation: str, fingerprint: str) -> Claim | None:
        """What another's row answers at once: a conflict, or its stored answer; None while it is pending."""
        if record.operation != operation or record.request_hash != fingerprint:
            return Claim(ClaimState.CONFLICT, record.response_status, record.response_body)
        if record.status == DONE:
            return Claim(ClaimState.DONE, record.response_status, record.response_body)
        return None

    def _take_over(self, owner: str, key: str, now: datetime) -> bool:
        """Touch a stale pending row, atomically: of several retries only one updates it."""
        with self.db.write() as session:
            taken = session.execute(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.actor_id == owner, IdempotencyRecord.key == key,
                       IdempotencyRecord.status == PENDING, IdempotencyRecord.updated_at < now - self.stale_after)
                .values(updated_at=now).execution_options(synchronize_session=False)
            ).rowcount
        return bool(taken)
