"""Idempotent intake: one case per (source, external id), however often and however concurrently it arrives.

Every inbound adapter hands its reports to ``Intake.submit``. Two records keep it exact:

- the case itself: business key ``"<source>:<external id>"`` and, in the variable
  ``intake_ref``, the SHA-256 of the normalised report — the durable record;
- a claim on ``engine.claims`` (owner ``intake:<source>``, the engine's one claim
  primitive, the same the API's ``Idempotency-Key`` uses), taken *before* the case
  starts. It lets exactly one of several concurrent deliveries (threads or processes,
  SQLite or PostgreSQL) start the case; the others wait for it and answer with the same case.

The same id with a different report is an ``IntakeConflict``. Forgetting old claims
(the worker does, after ``GONGZHI_IDEMPOTENCY_TTL_SECONDS``) is safe because the case
keeps its key and hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping

import orjson
from gongzhi import Actor, InstanceView

from .cases import CaseProfile

if TYPE_CHECKING:  # pragma: no cover
    from gongzhi import Engine

__all__ = ["Intake", "IntakeResult", "IntakeConflict", "IntakeBusy", "content_hash"]

OPERATION = "adapter-intake"
CREATED = 201  # the claim's stored status: the case was made, its id is the stored body
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


def content_hash(payload: Mapping[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


class Intake:
    """De-duplicating case creation for one inbound source (``open311``, ``hotline12345``, ``wechat``...).

    ``process_key``: the process its cases belong to (default: the bundled profile's, ``process.yaml``).
    """

    def __init__(self, engine: Engine, source: str, actor: Actor, *, process_key: str | None = None,
                 wait_seconds: float = 15.0) -> None:
        self.engine, self.source, self.actor = engine, source, actor
        self.process_key = process_key or CaseProfile.bundled().process_key
        self.wait_seconds = wait_seconds
        self.owner = f"intake:{source}"

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
        claims = self.engine.claims
        try:
            existing = self._replay(external_id, digest)  # a case made before its claim was forgotten
            if existing is not None:
                claims.finish(self.owner, external_id, CREATED, existing.instance_id)
                return existing
            view = start(key, {"source": self.source, "external_id": external_id, "content_hash": digest})
        except BaseException:
            claims.release(self.owner, external_id)
            raise
        claims.finish(self.owner, external_id, CREATED, view.id)
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
        """Claim the id (None: this call owns it); otherwise the owner's answer, after waiting for it."""
        claim = self.engine.claims.claim(self.owner, external_id, OPERATION, digest, wait_seconds=self.wait_seconds)
        if claim.owned:
            return None
        if claim.state == "conflict":
            raise IntakeConflict(self.source, external_id, claim.body or None)
        if claim.state == "done" and claim.body:
            return IntakeResult(claim.body, self.business_key(external_id), False)
        raise IntakeBusy(f"{self.source} 编号 {external_id} 正在受理中，请稍后重试")
