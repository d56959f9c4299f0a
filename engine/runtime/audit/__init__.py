"""The audit trail: append-only events in keyed hash chains, sealed by signed checkpoints.

Each instance has its own chain (deployments share the chain ``system``). An
event's ``payload`` is the exact JSON text that was sealed, and its hash is
``HMAC(key, prev_hash + payload)`` with the current audit key (HMAC-SHA256, or
HMAC-SM3); the event records the key's id and the algorithm. The chain's head —
on the instance row, or in ``gz_audit_head`` for ``system`` — holds the last link.

- ``keys``: the key ring from configuration (``AUDIT_KEY``, ``AUDIT_OLD_KEYS``, ``AUDIT_ALGORITHM``).
- ``personal``: personal values stored beside the payload, so erasing them keeps the chain whole.
- ``chain``: ``append``, ``event_body``, ``erase_personal``.
- ``checkpoints``: signed checkpoints of the heads, written outside the database (``take_checkpoint``).
- ``sinks``: where checkpoints are kept: a folder (``FileSink``) or a plugin's sink.
- ``verify``: recompute everything; with checkpoints, find deleted or truncated chains too.

Events written by 0.1 (before migration 0007) keep their unkeyed ``sha256(prev + payload)``
links; the first checkpoint after the upgrade (taken by ``Engine.upgrade_db``) seals them.
See ``docs/audit.md`` for what this guarantees against an insider.
"""

from __future__ import annotations

from typing import Any

from .chain import GENESIS, append, erase_personal, event_body, seal
from .checkpoints import CheckpointSchedule, seal_legacy, take_checkpoint
from .keys import AuditKey, KeyRing, bind, derived_key, ring_of
from .personal import ERASED, Predicate, default_personal
from .sinks import CheckpointSink, FileSink, sink_for
from .verify import VerifyReport, verify, verify_chain

__all__ = [
    "GENESIS",
    "append",
    "seal",
    "ring_of",
    "event_body",
    "erase_personal",
    "verify",
    "verify_chain",
    "VerifyReport",
    "take_checkpoint",
    "seal_legacy",
    "CheckpointSchedule",
    "CheckpointSink",
    "FileSink",
    "sink_for",
    "AuditKey",
    "KeyRing",
    "bind",
    "bind_engine",
    "derived_key",
    "ERASED",
    "Predicate",
    "default_personal",
]


def bind_engine(engine: Any) -> KeyRing:
    """Build the engine's key ring from its configuration and use it for its database."""
    return bind(engine.db, KeyRing.from_config(engine.config.extra, engine.config.secret_key))
