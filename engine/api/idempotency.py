"""``Idempotency-Key``: a retried POST returns the first answer instead of acting twice.

The key is claimed through ``engine.claims`` (``gongzhi.runtime.claims``, insert-first,
scoped by actor) *before* the command runs, so concurrent duplicates run it once: the
others are answered from the claim — the stored response once the first finished,
409 while it still runs, 422 when the key came with a different request.

Only successful responses are remembered. When the command fails, the claim is
released so the client can correct the request and retry with the same key. A claim
whose process died mid-request is taken over after ``GONGZHI_IDEMPOTENCY_STALE_SECONDS``;
the worker forgets answers after ``GONGZHI_IDEMPOTENCY_TTL_SECONDS``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable

from flask import Response, request

from ..errors import IdempotencyConflict
from ..runtime.claims import ClaimState
from ..security.identity import Actor
from .context import state
from .problems import ApiError

if TYPE_CHECKING:  # pragma: no cover
    from .operations import Body, Operation

__all__ = ["guarded", "HEADER"]

HEADER = "Idempotency-Key"
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")  # printable ASCII, no spaces


def _key() -> str | None:
    header = request.headers.get(HEADER)
    if header is not None:
        if not _VALID_KEY.match(header):
            raise ApiError(400, f"{HEADER} 须为 1–200 个可见 ASCII 字符", "invalid-idempotency-key")
        return header
    return None


def _answer(actor: Actor, key: str, operation: str, fingerprint: str) -> Response | None:
    """Claim the key; None when this request may run, else the answer to give."""
    claim = state().engine.claims.claim(actor.id, key, operation, fingerprint)
    if claim.state is ClaimState.OWNED:
        return None
    if claim.state is ClaimState.CONFLICT:
        raise IdempotencyConflict(
            f"{HEADER} '{key}' 已用于另一个不同的请求；请为新请求使用新的键",
            errors=[{"field": HEADER, "message": "同一个键对应了不同的请求内容"}],
        )
    if claim.state is ClaimState.DONE:
        replay = Response(claim.body or "", status=claim.status or 200, mimetype="application/json")
        replay.headers["Idempotent-Replayed"] = "true"
        return replay
    raise ApiError(409, f"使用同一 {HEADER} 的请求正在处理中，请稍后重试", "idempotency-in-progress")


def guarded(actor: Actor, op: "Operation", body: "Body", call: Callable[[], Response]) -> Response:
    """Run ``call`` at most once per (actor, key); without a key, just run it."""
    key = _key()
    if key is None:
        return call()
    answer = _answer(actor, key, op.name, body.fingerprint)
    if answer is not None:
        return answer
    claims = state().engine.claims
    try:
        response = call()
    except BaseException:
        claims.release(actor.id, key)
        raise
    if 200 <= response.status_code < 300:
        claims.finish(actor.id, key, response.status_code, response.get_data(as_text=True))
    else:
        claims.release(actor.id, key)
    return response
