"""The audit keys: a secret the database does not hold, one current key and any retired ones.

Configuration (``Config.extra``; environment variables with the ``GONGZHI_`` prefix):

- ``AUDIT_KEY``: the current key, ``<id>:<secret>`` (a bare secret gets the id ``default``).
  New events and checkpoints are sealed with it. At least 16 bytes of secret.
- ``AUDIT_OLD_KEYS``: retired keys, comma-separated ``<id>:<secret>``, kept for verifying
  what they sealed. The entry ``derived`` stands for the development key below.
- ``AUDIT_ALGORITHM``: ``hmac-sha256`` (default) or ``hmac-sm3``, for what is sealed from now
  on; each event records its algorithm, so changing it never breaks older events.

Without ``AUDIT_KEY`` the key is derived from ``SECRET_KEY`` (development):
``secret = hex(HMAC-SHA256(SECRET_KEY, "gongzhi-audit-key-v1"))`` with the id
``derived-`` + the first 8 hex digits of ``SHA-256(secret)``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import weakref
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from sqlalchemy.orm import Session

from ...errors import ConfigurationError
from ...security.macs import mac

__all__ = ["AuditKey", "KeyRing", "ALGORITHMS", "derived_key", "bind", "ring_for", "ring_of"]

logger = logging.getLogger("gongzhi.audit")

ALGORITHMS = {"hmac-sha256": "sha256", "hmac-sm3": "sm3"}
DEFAULT_ALGORITHM = "hmac-sha256"
DERIVATION_LABEL = b"gongzhi-audit-key-v1"
MIN_SECRET_BYTES = 16  # below this a key can be guessed; token_hex(32) gives 64
_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True)
class AuditKey:
    """One key: its id (recorded with what it seals) and its secret bytes."""

    id: str
    secret: bytes

    def seal(self, message: bytes, algorithm: str) -> str:
        """The hex HMAC of ``message`` with this key and ``algorithm`` (``hmac-sha256``/``hmac-sm3``)."""
        return mac(self.secret, message, ALGORITHMS[algorithm]).hex()

    def __repr__(self) -> str:  # never print the secret
        return f"AuditKey({self.id!r})"


@dataclass(frozen=True)
class KeyRing:
    """The current key (seals new things) and every key that may verify old ones, by id."""

    current: AuditKey
    algorithm: str
    keys: Mapping[str, AuditKey]

    def get(self, key_id: str | None) -> AuditKey | None:
        return self.keys.get(key_id) if key_id else None

    def check(self, key_id: str | None, algorithm: str | None, message: bytes, expected: str) -> bool | None:
        """True/False whether ``expected`` is the seal of ``message``; None if the key or algorithm is unknown."""
        key = self.get(key_id)
        if key is None or algorithm not in ALGORITHMS:
            return None
        return hmac.compare_digest(key.seal(message, algorithm), expected)

    @classmethod
    def from_config(cls, extra: Mapping[str, Any], secret_key: str) -> "KeyRing":
        algorithm = str(extra.get("audit_algorithm") or DEFAULT_ALGORITHM).strip().lower()
        if algorithm not in ALGORITHMS:
            raise ConfigurationError(
                f"GONGZHI_AUDIT_ALGORITHM 的值 '{algorithm}' 无效，可选 {', '.join(ALGORITHMS)} (unknown algorithm)",
                field="audit_algorithm")
        configured = extra.get("audit_key")
        if configured:
            current = _parse(str(configured), "audit_key", bare_id="default")
        else:
            current = derived_key(secret_key)
            logger.info("GONGZHI_AUDIT_KEY is not set: audit events are sealed with %s, derived from "
                        "GONGZHI_SECRET_KEY (development only)", current.id)
        keys = {current.id: current}
        for entry in _entries(extra.get("audit_old_keys")):
            old = derived_key(secret_key) if entry == "derived" else _parse(entry, "audit_old_keys")
            if old.id in keys and keys[old.id].secret != old.secret:
                raise ConfigurationError(f"审计密钥编号 '{old.id}' 重复且密钥不同 (duplicate audit key id)",
                                         field="audit_old_keys", key_id=old.id)
            keys[old.id] = old
        return cls(current, algorithm, keys)


def derived_key(secret_key: str) -> AuditKey:
    """The development key derived from ``SECRET_KEY`` (see the module docstring)."""
    secret = hmac.new(secret_key.encode("utf-8"), DERIVATION_LABEL, hashlib.sha256).hexdigest()
    fingerprint = hashlib.sha256(secret.encode("ascii")).hexdigest()[:8]
    return AuditKey(f"derived-{fingerprint}", secret.encode("ascii"))


def _entries(value: Any) -> Iterable[str]:
    if not value:
        return ()
    parts = value.split(",") if isinstance(value, str) else [str(v) for v in value]
    return [p.strip() for p in parts if p.strip()]


def _parse(entry: str, field: str, bare_id: str | None = None) -> AuditKey:
    key_id, sep, secret = entry.partition(":")
    if not sep:
        if bare_id is None:
            raise ConfigurationError(f"审计密钥须写成 <编号>:<密钥> (GONGZHI_{field.upper()}: expected id:secret)",
                                     field=field)
        key_id, secret = bare_id, entry
    key_id, secret = key_id.strip(), secret.strip()
    if not _KEY_ID.match(key_id):
        raise ConfigurationError(f"审计密钥编号 '{key_id}' 无效：1–64 个字母、数字、. _ - (invalid key id)",
                                 field=field, key_id=key_id)
    if len(secret.encode("utf-8")) < MIN_SECRET_BYTES:
        raise ConfigurationError(
            f"审计密钥 '{key_id}' 太短：至少 {MIN_SECRET_BYTES} 字节，建议 secrets.token_hex(32) (key too short)",
            field=field, key_id=key_id, limit="min_secret_bytes", maximum=MIN_SECRET_BYTES)
    return AuditKey(key_id, secret.encode("utf-8"))


# --- which key ring a session's database uses -----------------------------------
# ``audit.append`` is called with a session only; the engine binds its key ring to its
# database's SQLAlchemy engines once, and the append finds it from the session's bind.

_BOUND: "weakref.WeakKeyDictionary[Any, KeyRing]" = weakref.WeakKeyDictionary()


def bind(database: Any, ring: KeyRing) -> KeyRing:
    """Use ``ring`` for every session of ``database`` (a ``gongzhi.store.db.Database``)."""
    _BOUND[database.writer] = ring
    _BOUND[database.reader] = ring
    return ring


def ring_for(session: Session) -> KeyRing:
    """The key ring of the database ``session`` works on."""
    return _lookup(session.get_bind())


def ring_of(database: Any) -> KeyRing:
    """The key ring bound to ``database`` (a ``gongzhi.store.db.Database``)."""
    return _lookup(database.writer)


def _lookup(bind_: Any) -> KeyRing:
    ring = _BOUND.get(bind_)
    if ring is None:
        raise ConfigurationError("这个数据库没有绑定审计密钥：请通过 gongzhi.Engine 使用它 (no audit key ring bound)")
    return ring
