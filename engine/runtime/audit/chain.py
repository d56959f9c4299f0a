"""Writing the chains: append an event, read one back, erase its personal values."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...clock import utc
from ...errors import UnknownInstance
from ...security.identity import SYSTEM, Actor
from ...store.models import AuditEvent, AuditHead, Instance
from . import personal as pii
from .keys import AuditKey, KeyRing, ring_for

__all__ = ["GENESIS", "FIXED_KEYS", "REDACTED", "append", "seal", "event_body", "erase_personal", "legacy_hash",
           "chain_message", "personal_digest", "redaction_message"]

GENESIS = "0" * 64
# The keys ``append`` itself writes; details are everything else.
FIXED_KEYS = frozenset({"chain", "seq", "at", "action", "actor", "instance_id"})
REDACTED = "$redacted"  # in ``personal`` of a pre-upgrade event whose personal values were erased
ERASE_ACTION = "erase_personal"
PERSONAL_DIGEST_HEX = 32  # 128 bits: the digest only binds a value to its place, it is not a key


def legacy_hash(prev: str, payload: str) -> str:
    """The unkeyed link of events written before the upgrade: ``sha256(prev + payload)``."""
    return hashlib.sha256((prev + payload).encode("utf-8")).hexdigest()


def chain_message(prev: str, payload: str) -> bytes:
    return (prev + payload).encode("utf-8")


def personal_digest(key: AuditKey, algorithm: str, chain: str, seq: int, path: tuple[str, ...], value: Any) -> str:
    """The keyed digest that stands for a personal value in the hashed payload, bound to its place."""
    message = b"\x00".join((b"personal", chain.encode(), str(seq).encode(), pii.canonical(list(path)),
                            pii.canonical(value)))
    return key.seal(message, algorithm)[:PERSONAL_DIGEST_HEX]


def redaction_message(chain: str, seq: int, event_hash: str, payload: str) -> bytes:
    return b"\x00".join((b"redacted", chain.encode(), str(seq).encode(), event_hash.encode(), payload.encode()))


def seal(ring: KeyRing, chain: str, seq: int, prev: str, actor: Actor, action: str, at: datetime,
         instance_id: str | None, personal: pii.Predicate | None, details: dict[str, Any]) -> dict[str, Any]:
    """The row of event ``seq`` of ``chain`` after ``prev``: payload, keyed hash, personal values apart.
    Pure: the caller writes it (the command path writes all of a command's events in one statement)."""
    key, algorithm = ring.current, ring.algorithm
    hashed, values = pii.split(
        {k: v for k, v in details.items() if v is not None}, personal or pii.default_personal,
        lambda path, value: personal_digest(key, algorithm, chain, seq, path, value))
    body = {
        "chain": chain,
        "seq": seq,
        "at": utc(at).isoformat(),
        "action": action,
        "actor": {"id": actor.id, "name": actor.name},
        "instance_id": instance_id,
        **hashed,
    }
    payload = orjson.dumps(body, option=orjson.OPT_SORT_KEYS, default=str).decode()
    return {"chain": chain, "seq": seq, "instance_id": instance_id, "action": action, "actor_id": actor.id, "at": at,
            "payload": payload, "prev_hash": prev, "hash": key.seal(chain_message(prev, payload), algorithm),
            "key_id": key.id, "algorithm": algorithm, "personal": values or None}


def append(session: Session, chain: str, actor: Actor, action: str, at: datetime, *,
           instance: Instance | None = None, personal: pii.Predicate | None = None, **details: Any) -> AuditEvent:
    """Add one event to ``chain`` (the instance's own chain when ``instance`` is given).

    ``personal`` decides which subtrees of ``details`` are personal (default:
    ``personal.default_personal``); those are stored beside the hashed payload.
    """
    ring = ring_for(session)
    head: Any = instance
    if head is None:
        head = session.get(AuditHead, chain, with_for_update=True)
        if head is None:
            head = AuditHead(chain=chain, seq=0, hash=GENESIS)
            session.add(head)
            session.flush()  # later appends in this transaction must find it
    seq, prev = (head.audit_seq, head.audit_hash) if instance is not None else (head.seq, head.hash)
    row = seal(ring, chain, seq + 1, prev, actor, action, at, instance.id if instance is not None else None,
               personal, details)
    event = AuditEvent(**row)
    digest = row["hash"]
    seq += 1
    session.add(event)
    if instance is not None:
        instance.audit_seq, instance.audit_hash = seq, digest
    else:
        head.seq, head.hash = seq, digest
    return event


def event_body(event: AuditEvent, erased: Any = pii.ERASED) -> dict[str, Any]:
    """The event as it was written: personal values back in place (``erased`` where erased)."""
    body = orjson.loads(event.payload)
    values = event.personal
    if not values:
        return body
    if REDACTED in values:
        return pii.restore(body, {}, erased)
    return pii.restore(body, values, erased)


def erase_personal(session: Session, instance_id: str, *, personal: pii.Predicate | None = None,
                   actor: Actor = SYSTEM, at: datetime | None = None) -> int:
    """Erase the personal values in an instance's audit trail; returns how many were erased.

    Values of keyed events are replaced by ``null`` beside the payload; events
    written before the upgrade hold them inside the hashed text, so their payload
    is redacted (``personal`` picks the subtrees, default as for ``append``) and
    sealed with the current key. The chain still verifies; an ``erase_personal``
    event records the erasure. Calling it again erases nothing more.
    """
    row = session.get(Instance, instance_id)
    if row is None:
        raise UnknownInstance(instance_id)
    ring = ring_for(session)
    count = 0
    for event in session.scalars(select(AuditEvent).where(AuditEvent.chain == instance_id).order_by(AuditEvent.seq)):
        if event.key_id is not None:
            count += _erase_values(event)
        else:
            count += _redact_legacy(event, ring, personal or pii.default_personal)
    if count:
        append(session, instance_id, actor, ERASE_ACTION, at or datetime.now(timezone.utc), instance=row,
               erased=count)
    return count


def _erase_values(event: AuditEvent) -> int:
    values = event.personal or {}
    live = sum(value is not None for value in values.values())
    if live:
        event.personal = dict.fromkeys(values)  # a new object, so the ORM sees the change
    return live


def _redact_legacy(event: AuditEvent, ring: KeyRing, predicate: pii.Predicate) -> int:
    if event.personal and REDACTED in event.personal:
        return 0
    body, count = pii.redact(orjson.loads(event.payload), FIXED_KEYS, predicate)
    if count:
        event.payload = orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode()
        message = redaction_message(event.chain, event.seq, event.hash, event.payload)
        event.personal = {REDACTED: {"key_id": ring.current.id, "algorithm": ring.algorithm,
                                     "mac": ring.current.seal(message, ring.algorithm)}}
    return count
