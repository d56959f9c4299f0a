"""Retention (存储期限): the personal data of long-closed cases is pseudonymised or erased.

PIPL asks for the minimum necessary (最小必要) and a storage limit: once a case
has been closed for ``RETENTION_DAYS`` (default three years), the worker replaces
every declared personal value of it — in its final variables, the messages it
received, the replies it sent, and the audit trail — and records when
(``gz_instance.erased_at``). Free text is cleaned with the same detector that masks it.

- ``pseudonymise`` (the default) puts a keyed pseudonym in place of each value
  (``匿名-3fa2c19b``): the same person gets the same pseudonym in every case, so
  figures such as "repeat callers" still add up, but nobody can go back;
- ``erase`` puts ``已删除`` in place of each value.

Statistics do not change (ratings, times, departments and outcomes are not
personal), and the audit chain still verifies: its hashes cover keyed digests of
personal values, never the values themselves.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..status import InstanceStatus
from ..security.masking import Masker, MaskingRule, find_personal
from ..store.models import Instance, Job, Message
from . import audit
from ..spiff.codec import FINISHED, decode_blob

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine

__all__ = ["apply_retention", "RetentionResult", "Scrubber", "ERASED"]

ERASED = audit.ERASED
BATCH = 200


@dataclass(frozen=True)
class RetentionResult:
    instances: int
    messages: int

    def as_dict(self) -> dict[str, int]:
        return {"instances": self.instances, "messages": self.messages}


class Scrubber:
    """Replaces one case's personal values, by its declarations and the free-text detector."""

    def __init__(self, declaration: Any, rule: MaskingRule, mode: str, key: bytes, variables: Mapping[str, Any]) -> None:
        self.mode, self.key = mode, key
        self.masker = Masker.for_case(declaration, rule, variables)
        self.known = [value for value, _ in self.masker.known]

    def replacement(self, value: Any) -> Any:
        if value is None or value == "" or isinstance(value, bool):
            return value
        if self.mode == "erase":
            return ERASED
        digest = hmac.new(self.key, str(value).strip().encode("utf-8"), hashlib.sha256).hexdigest()[:8]
        return f"匿名-{digest}"

    def value(self, value: Any, path: tuple[str, ...] = (), kind: str | None = None) -> Any:
        if path:
            kind = self.masker.declaration.kind_at(path) or self.masker.rule.kind_of(path[-1]) or kind
        if isinstance(value, Mapping):
            return {k: self.value(v, (*path, str(k)), kind) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(item, path, kind) for item in value]
        if kind is not None:
            return self.replacement(value)
        return self.text(value) if isinstance(value, str) else value

    def text(self, text: str) -> str:
        for known in self.known:
            if known in text:
                text = text.replace(known, str(self.replacement(known)))
        for start, end, _ in reversed(find_personal(text)):
            text = text[:start] + str(self.replacement(text[start:end])) + text[end:]
        return text


def _key(engine: "Engine") -> bytes:
    return hmac.new(engine.config.secret_key.encode("utf-8"), b"gongzhi-pseudonym", hashlib.sha256).digest()


def apply_retention(engine: "Engine", now: datetime | None = None, limit: int = BATCH) -> RetentionResult:
    """Pseudonymise or erase the personal data of cases closed before the retention period; one
    transaction per case, so a crash leaves each case either done or untouched."""
    days = engine.config.retention_days
    if days <= 0:
        return RetentionResult(0, 0)
    now = now or engine.clock.now()
    cutoff = now - timedelta(days=days)
    with engine.db.read() as session:
        due = session.scalars(select(Instance.id).where(Instance.status != InstanceStatus.RUNNING, Instance.erased_at.is_(None),
                                                        Instance.updated_at < cutoff)
                              .order_by(Instance.updated_at).limit(limit)).all()
    instances = messages = 0
    for instance_id in due:
        with engine.db.write() as session:
            messages += _scrub_case(engine, session, instance_id, now)
            instances += 1
    return RetentionResult(instances, messages)


def _scrub_case(engine: "Engine", session: Session, instance_id: str, now: datetime) -> int:
    row = session.get(Instance, instance_id, with_for_update=True)
    if row is None or row.erased_at is not None or row.status == InstanceStatus.RUNNING:
        return 0
    bundle = engine.repository.bundle(session, row.version_id)
    # A 0.1 row kept its final variables in the state; since 0.2 they are in the variables column.
    final = row.variables if row.variables is not None else (decode_blob(row.state).get(FINISHED, {}) if row.state else {})
    scrub = Scrubber(bundle.personal, engine.access.rule, engine.config.retention_mode, _key(engine), final)
    row.variables, row.state, row.erased_at = scrub.value(final), b"", now
    received = session.scalars(select(Message).where(Message.instance_id == instance_id)).all()
    for message in received:
        message.variables = scrub.value(message.variables)
        if message.sender:
            message.sender = {**message.sender, "name": ""}  # staff names stay in the audit trail, not here
    for job in session.scalars(select(Job).where(Job.instance_id == instance_id, Job.kind == "message")).all():
        job.payload = scrub.value(job.payload)
    audit.erase_personal(session, instance_id, personal=engine.access.personal(bundle), at=now)
    return len(received)
