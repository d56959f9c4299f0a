"""``Idempotency-Key``: a retried POST returns the first answer instead of acting twice.

Insert-first: the key row (actor, key) is written and committed *before* the
command runs. Its primary key serialises concurrent duplicates: the second
insert fails, and that request is answered from the row (the stored response
once the first finished, 409 while it still runs) — the command runs once.

Only successful responses are remembered. When the command fails, the row is
removed so the client can correct the request and retry with the same key.
A ``pending`` row older than ``STALE_AFTER`` (its process died mid-request) may
be taken over by a retry.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Callable

from flask import Response, request
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from ..errors import IdempotencyConflict
from ..security.identity import Actor
from .context import state
from ..store.models import IdempotencyRecord
from .problems import ApiError

if TYPE_CHECKING:  # pragma: no cover
    from .operations import Body, Operation

__all__ = ["guarded", "purge", "HEADER", "STALE_AFTER"]

HEADER = "Idempotency-Key"
STALE_AFTER = timedelta(minutes=5)
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")  # printable ASCII, no spaces


def _key() -> str | None:
    header = request.headers.get(HEADER)
    if header is not None:
        if not _VALID_KEY.match(header):
            raise ApiError(400, f"{HEADER} 须为 1–200 个可见 ASCII 字符", "invalid-idempotency-key")
        return header
    return None


def _claim(actor: Actor, key: str, operation: str, fingerprint: str) -> Response | None:
    """Insert the pending row; None when this request may run, else the answer to give."""
    engine = state().engine
    for _attempt in range(3):
        now = engine.clock.now()
        try:
            with engine.db.write() as session:
                session.add(IdempotencyRecord(actor_id=actor.id, key=key, operation=operation, request_hash=fingerprint,
                                              status="pending", created_at=now, updated_at=now))
            return None
        except IntegrityError:
            pass
        with engine.db.write() as session:
            record = session.get(IdempotencyRecord, (actor.id, key))
            if record is None:
                continue  # the first attempt failed and released the key meanwhile: try again
            if record.operation != operation or record.request_hash != fingerprint:
                raise IdempotencyConflict(
                    f"{HEADER} '{key}' 已用于另一个不同的请求；请为新请求使用新的键",
                    errors=[{"field": HEADER, "message": "同一个键对应了不同的请求内容"}],
                )
            if record.status == "done":
                replay = Response(record.response_body or "", status=record.response_status or 200,
                                  mimetype="application/json")
                replay.headers["Idempotent-Replayed"] = "true"
                return replay
            # Take over a request whose process died, atomically, so only one retry wins.
            taken = session.execute(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.actor_id == actor.id, IdempotencyRecord.key == key,
                       IdempotencyRecord.status == "pending", IdempotencyRecord.updated_at < now - STALE_AFTER)
                .values(updated_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if taken:
                return None
        raise ApiError(409, f"使用同一 {HEADER} 的请求正在处理中，请稍后重试", "idempotency-in-progress")
    raise ApiError(409, f"{HEADER} 正被并发请求使用，请稍后重试", "idempotency-in-progress")


def _release(actor: Actor, key: str) -> None:
    with state().engine.db.write() as session:
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.actor_id == actor.id,
                                                        IdempotencyRecord.key == key))


def _remember(actor: Actor, key: str, response: Response) -> None:
    engine = state().engine
    with engine.db.write() as session:
        session.execute(
            update(IdempotencyRecord).where(IdempotencyRecord.actor_id == actor.id, IdempotencyRecord.key == key)
            .values(status="done", response_status=response.status_code, response_body=response.get_data(as_text=True),
                    updated_at=engine.clock.now())
            .execution_options(synchronize_session=False)
        )


def guarded(actor: Actor, op: "Operation", body: "Body", call: Callable[[], Response]) -> Response:
    """Run ``call`` at most once per (actor, key); without a key, just run it."""
    key = _key()
    if key is None:
        return call()
    answer = _claim(actor, key, op.name, body.fingerprint)
    if answer is not None:
        return answer
    try:
        response = call()
    except BaseException:
        _release(actor, key)
        raise
    if 200 <= response.status_code < 300:
        _remember(actor, key, response)
    else:
        _release(actor, key)
    return response


def purge(engine: "object", older_than: timedelta = timedelta(days=1)) -> int:
    """Forget keys older than ``older_than``; a worker or cron calls this."""
    cutoff = engine.clock.now() - older_than  # type: ignore[attr-defined]
    with engine.db.write() as session:  # type: ignore[attr-defined]
        return session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)).rowcount
