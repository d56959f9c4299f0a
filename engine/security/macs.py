"""Keyed digests (HMAC) over SHA-256 or SM3, for webhook signatures and the audit trail.

SM3 (GB/T 32905) comes from OpenSSL when it has it; otherwise from ``gmssl``
(the optional extra ``sm3``), wrapped as a hashlib-style object so the standard
``hmac`` module can use it.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from typing import Any

__all__ = ["HASHES", "SM3", "sm3_digestmod", "mac", "digest"]

HASHES = ("sha256", "sm3")


class SM3:
    """A hashlib-style SM3 object over gmssl, for OpenSSL builds without SM3."""

    digest_size = 32
    block_size = 64
    name = "sm3"

    def __init__(self, data: bytes = b"") -> None:
        self._buf = bytearray(data)

    def update(self, data: bytes) -> None:
        self._buf.extend(data)

    def copy(self) -> SM3:
        return SM3(bytes(self._buf))

    def digest(self) -> bytes:
        from gmssl import sm3  # imported lazily: only needed without OpenSSL's SM3

        return bytes.fromhex(sm3.sm3_hash(list(self._buf)))

    def hexdigest(self) -> str:
        return self.digest().hex()


@lru_cache(maxsize=1)
def sm3_digestmod() -> Any:
    """``"sm3"`` when OpenSSL provides it, else the gmssl-backed ``SM3`` class."""
    try:
        hashlib.new("sm3")
        return "sm3"
    except ValueError:
        return SM3


def _digestmod(hash_name: str) -> Any:
    if hash_name == "sha256":
        return "sha256"
    if hash_name == "sm3":
        return sm3_digestmod()
    raise ValueError(f"unknown signature algorithm '{hash_name}' (use one of {', '.join(HASHES)})")


def mac(key: bytes, message: bytes, hash_name: str) -> bytes:
    """HMAC of ``message`` under ``key`` with ``hash_name`` (``sha256`` or ``sm3``)."""
    digestmod = _digestmod(hash_name)
    if isinstance(digestmod, str):
        return hmac.digest(key, message, digestmod)  # OpenSSL's one-shot path: no Python objects per call
    return hmac.new(key, message, digestmod).digest()


def digest(data: bytes, hash_name: str) -> bytes:
    """The plain (unkeyed) hash of ``data``."""
    digestmod = _digestmod(hash_name)
    if isinstance(digestmod, str):
        return hashlib.new(digestmod, data).digest()
    return digestmod(data).digest()
