"""The audit trail: append-only events, each chained to the previous one by hash.

Each instance has its own chain (deployments share the chain ``system``).
An event's ``payload`` is the exact JSON text that was hashed, and its hash is
``sha256(prev_hash + payload)``; the chain's head — on the instance row, or in
``gz_audit_head`` for ``system`` — holds the last link, so editing, deleting,
reordering or truncating events is detected by ``verify``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clock import utc
from ..identity import Actor
from ..store.models import AuditEvent, AuditHead, Instance

__all__ = ["append", "verify", "VerifyReport", "GENESIS"]

GENESIS = "0" * 64


def _hash(prev: str, payload: str) -> str:
    return hashlib.sha256((prev + payload).encode("utf-8")).hexdigest()


def append(session: Session, chain: str, actor: Actor, action: str, at: datetime, *,
           instance: Instance | None = None, **details: Any) -> AuditEvent:
    """Add one event to ``chain`` (the instance's own chain when ``instance`` is given)."""
    head: Any = instance
    if head is None:
        head = session.get(AuditHead, chain, with_for_update=True)
        if head is None:
            head = AuditHead(chain=chain, seq=0, hash=GENESIS)
            session.add(head)
            session.flush()  # later appends in this transaction must find it
    seq, prev = (head.audit_seq, head.audit_hash) if instance is not None else (head.seq, head.hash)
    seq += 1
    instance_id = instance.id if instance is not None else None
    body = {
        "chain": chain,
        "seq": seq,
        "at": utc(at).isoformat(),
        "action": action,
        "actor": {"id": actor.id, "name": actor.name},
        "instance_id": instance_id,
        **{k: v for k, v in details.items() if v is not None},
    }
    payload = orjson.dumps(body, option=orjson.OPT_SORT_KEYS, default=str).decode()
    digest = _hash(prev, payload)
    event = AuditEvent(chain=chain, seq=seq, instance_id=instance_id, action=action, actor_id=actor.id,
                       at=at, payload=payload, prev_hash=prev, hash=digest)
    session.add(event)
    if instance is not None:
        instance.audit_seq, instance.audit_hash = seq, digest
    else:
        head.seq, head.hash = seq, digest
    return event


@dataclass
class VerifyReport:
    chains: int = 0
    events: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session, batch: int = 5000) -> VerifyReport:
    """Recompute every chain; report each break in plain words."""
    report = VerifyReport()
    heads = {h.chain: (h.seq, h.hash) for h in session.scalars(select(AuditHead))}
    heads.update({i: (seq, digest) for i, seq, digest in session.execute(
        select(Instance.id, Instance.audit_seq, Instance.audit_hash))})
    last: dict[str, tuple[int, str]] = {}
    query = select(AuditEvent).order_by(AuditEvent.chain, AuditEvent.seq).execution_options(yield_per=batch)
    for event in session.scalars(query):
        report.events += 1
        seq, prev = last.get(event.chain, (0, GENESIS))
        where = f"chain {event.chain} event #{event.seq}"
        if event.seq != seq + 1:
            report.problems.append(f"{where}: expected #{seq + 1} — events are missing")
        if event.prev_hash != prev:
            report.problems.append(f"{where}: does not link to the previous event")
        if _hash(event.prev_hash, event.payload) != event.hash:
            report.problems.append(f"{where}: content was changed after it was written (hash mismatch)")
        else:
            body = orjson.loads(event.payload)
            if (body.get("seq"), body.get("action"), body.get("actor", {}).get("id"), body.get("instance_id")) != (
                event.seq, event.action, event.actor_id, event.instance_id
            ):
                report.problems.append(f"{where}: indexed columns differ from the hashed content")
        last[event.chain] = (event.seq, event.hash)
    for chain, (head_seq, head_hash) in heads.items():
        seq, digest = last.get(chain, (0, GENESIS))
        if (seq, digest) != (head_seq, head_hash):
            report.problems.append(f"chain {chain}: ends at #{seq} but its head says #{head_seq} — events were removed")
    for chain in set(last) - set(heads):
        report.problems.append(f"chain {chain}: has events but no head row")
    report.chains = len(set(last) | set(heads))
    return report
