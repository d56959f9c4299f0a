"""Standard Webhooks signatures (https://www.standardwebhooks.com/), with HMAC-SM3 as an option.

Every outbound delivery carries three headers::

    webhook-id:        the event id, the same on every retry (receivers de-duplicate on it)
    webhook-timestamp: seconds since the epoch when this attempt was signed
    webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">

With ``algorithm="sm3"`` the signature is ``v1-sm3,<base64 HMAC-SM3 ...>`` (GB/T 32905,
for receivers held to the national algorithms). Several signatures are separated by
spaces: during a secret rotation the sender signs with the new and the old secret, and
a receiver that knows either accepts the message.

Secrets are ``whsec_<base64>`` as in the standard, or any other string (used as UTF-8).

Receivers use ``Verifier``: it checks the signature against each of its secrets, refuses
timestamps outside the tolerance (default five minutes) and refuses a message id it has
already accepted (replay protection, remembered for twice the tolerance).
"""

from __future__ import annotations

import base64
import hmac
import secrets as _secrets
import threading
import time
from collections import OrderedDict
from typing import Callable, Iterable, Mapping, Sequence

from ..security.macs import SM3 as _SM3  # noqa: F401 - kept importable here for receivers' tests
from ..security.macs import mac

__all__ = ["sign", "signature_headers", "Verifier", "WebhookVerificationError", "SeenIds", "new_secret",
           "ALGORITHMS"]

ALGORITHMS = {"sha256": "v1", "sm3": "v1-sm3"}
DEFAULT_TOLERANCE = 300


class WebhookVerificationError(Exception):
    """The message is not authentic, too old or too new, or a replay."""


def new_secret() -> str:
    """A fresh ``whsec_`` secret (24 random bytes)."""
    return "whsec_" + base64.b64encode(_secrets.token_bytes(24)).decode()


def secret_bytes(secret: str | bytes) -> bytes:
    if isinstance(secret, bytes):
        return secret
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_"):])
    return secret.encode("utf-8")


def _mac(key: bytes, message: bytes, algorithm: str) -> bytes:
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown signature algorithm '{algorithm}' (use one of {', '.join(ALGORITHMS)})")
    return mac(key, message, algorithm)


def sign(secret: str | bytes, msg_id: str, timestamp: int, body: bytes, algorithm: str = "sha256") -> str:
    """One signature, ``"<version>,<base64>"``."""
    mac = _mac(secret_bytes(secret), f"{msg_id}.{timestamp}.".encode() + body, algorithm)
    return f"{ALGORITHMS[algorithm]},{base64.b64encode(mac).decode()}"


def signature_headers(secrets: Sequence[str | bytes], msg_id: str, body: bytes, *, algorithm: str = "sha256",
                      timestamp: int | None = None) -> dict[str, str]:
    """The three headers, signed with every secret in ``secrets`` (current first, then the ones being retired)."""
    if not secrets:
        raise ValueError("at least one secret is needed to sign a webhook")
    ts = int(time.time()) if timestamp is None else int(timestamp)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": " ".join(sign(s, msg_id, ts, body, algorithm) for s in secrets),
    }


class SeenIds:
    """Message ids accepted recently, each forgotten ``ttl`` seconds after it was seen (thread-safe, bounded)."""

    def __init__(self, ttl: float, max_size: int = 100_000, clock: Callable[[], float] = time.time) -> None:
        self.ttl, self.max_size, self.clock = ttl, max_size, clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def add_if_new(self, msg_id: str) -> bool:
        now = self.clock()
        with self._lock:
            while self._seen and (next(iter(self._seen.values())) < now - self.ttl or len(self._seen) > self.max_size):
                self._seen.popitem(last=False)
            if msg_id in self._seen:
                return False
            self._seen[msg_id] = now
            return True

    def forget(self, msg_id: str) -> None:
        with self._lock:
            self._seen.pop(msg_id, None)


class Verifier:
    """Verify Standard Webhooks headers for a receiver.

    ``secrets``: every secret currently valid (two during a rotation). ``algorithm``:
    ``sha256`` or ``sm3``. ``tolerance``: seconds a timestamp may differ from now.
    Call ``forget(msg_id)`` if processing an accepted message failed, so the sender's
    retry is not taken for a replay.
    """

    def __init__(self, secrets: str | Iterable[str | bytes], *, algorithm: str = "sha256",
                 tolerance: int = DEFAULT_TOLERANCE, seen: SeenIds | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.secrets = [secrets] if isinstance(secrets, (str, bytes)) else list(secrets)
        if not self.secrets:
            raise ValueError("a verifier needs at least one secret")
        if algorithm not in ALGORITHMS:
            raise ValueError(f"unknown signature algorithm '{algorithm}'")
        self.algorithm, self.tolerance, self.clock = algorithm, tolerance, clock
        self.seen = seen if seen is not None else SeenIds(2 * tolerance, clock=clock)

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise ``WebhookVerificationError`` unless the message is authentic, fresh and new."""
        lower = {k.lower(): v for k, v in headers.items()}
        msg_id, stamp, signatures = (lower.get("webhook-id"), lower.get("webhook-timestamp"),
                                     lower.get("webhook-signature"))
        if not msg_id or not stamp or not signatures:
            raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature header")
        try:
            ts = int(stamp)
        except ValueError as exc:
            raise WebhookVerificationError("invalid webhook-timestamp") from exc
        now = self.clock()
        if ts < now - self.tolerance:
            raise WebhookVerificationError("message timestamp too old")
        if ts > now + self.tolerance:
            raise WebhookVerificationError("message timestamp too new")
        version = ALGORITHMS[self.algorithm]
        offered = [part.split(",", 1)[1] for part in signatures.split() if part.startswith(version + ",")]
        expected = [sign(s, msg_id, ts, body, self.algorithm).split(",", 1)[1] for s in self.secrets]
        if not any(hmac.compare_digest(o, e) for o in offered for e in expected):
            raise WebhookVerificationError("no matching signature")
        if not self.seen.add_if_new(msg_id):
            raise WebhookVerificationError(f"message {msg_id} was already received (replay)")

    def forget(self, msg_id: str) -> None:
        self.seen.forget(msg_id)
