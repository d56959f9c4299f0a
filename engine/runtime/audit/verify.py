"""Verifying the chains: every link, every keyed hash, the seal of the pre-upgrade part, and the checkpoints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...errors import AuditChainBroken
from ...store.models import AuditCheckpoint, AuditEvent, AuditHead, Instance
from . import personal as pii
from .chain import ERASE_ACTION, GENESIS, REDACTED, chain_message, legacy_hash, personal_digest, redaction_message
from .checkpoints import Expected, body_of, expected_heads
from .keys import KeyRing, ring_for

__all__ = ["VerifyReport", "verify", "verify_chain"]


@dataclass
class VerifyReport:
    chains: int = 0
    events: int = 0
    checkpoints: int = 0  # valid checkpoints compared with the database (``checkpoints=`` only)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Seal:
    """What the first checkpoint recorded of the events written without a key."""

    through_id: int
    events: int


def verify(session: Session, *, checkpoints: Iterable[dict[str, Any]] | None = None,
           batch: int = 5000) -> VerifyReport:
    """Recompute every chain and every keyed hash; with ``checkpoints`` (from the sink), compare them too.

    Each problem is one sentence in plain words (Chinese, with an English hint).
    """
    ring = ring_for(session)
    report = VerifyReport()
    bodies = _checkpoint_rows(session, ring, report)
    expected: dict[str, Expected] = {}
    if checkpoints is not None:
        expected, valid = expected_heads(checkpoints, ring, report.problems)
        report.checkpoints = len(valid)
        _rows_kept_in_sink(bodies, valid, report)
        bodies = bodies + [body for body, _ in valid]
    seal = next((_Seal(**b["legacy"]) for b in sorted(bodies, key=lambda b: b["seq"]) if b.get("legacy")), None)
    checker = _Checker(ring, seal, expected, report)
    query = select(AuditEvent).order_by(AuditEvent.chain, AuditEvent.seq).execution_options(yield_per=batch)
    for event in session.scalars(query):
        checker.check(event)
    checker.finish(_heads(session))
    return report


def verify_chain(session: Session, chain: str) -> VerifyReport:
    """Recompute one chain (an instance's): every link and keyed hash, and that it ends at its head.

    The checks that only make sense over the whole log (how many pre-upgrade events the first
    checkpoint sealed, the checkpoints in the sink) are left to ``verify``.
    """
    ring = ring_for(session)
    report = VerifyReport()
    bodies = _checkpoint_rows(session, ring, report)
    seal = next((_Seal(**b["legacy"]) for b in sorted(bodies, key=lambda b: b["seq"]) if b.get("legacy")), None)
    checker = _Checker(ring, seal, {}, report)
    for event in session.scalars(select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)):
        checker.check(event)
    checker.finish(_heads(session, chain), whole=False)
    return report


def _heads(session: Session, chain: str | None = None) -> dict[str, tuple[int, str]]:
    head_rows, instances = select(AuditHead), select(Instance.id, Instance.audit_seq, Instance.audit_hash)
    if chain is not None:
        head_rows, instances = head_rows.where(AuditHead.chain == chain), instances.where(Instance.id == chain)
    heads = {h.chain: (h.seq, h.hash) for h in session.scalars(head_rows)}
    heads.update({i: (seq, digest) for i, seq, digest in session.execute(instances)})
    return heads


def _checkpoint_rows(session: Session, ring: KeyRing, report: VerifyReport) -> list[dict[str, Any]]:
    bodies = []
    for row in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq)):
        try:
            bodies.append({**body_of(row, ring), "mac": row.mac})
        except AuditChainBroken as exc:
            report.problems.append(str(exc))
    return bodies


def _rows_kept_in_sink(rows: list[dict[str, Any]], valid: list[tuple[dict[str, Any], str]],
                       report: VerifyReport) -> None:
    kept = {(body["seq"], mac) for body, mac in valid}
    for row in rows:
        if (row["seq"], row["mac"]) not in kept:
            report.problems.append(f"审计检查点 #{row['seq']} 记录在数据库中，检查点去处却没有 (missing from the sink)")


class _Checker:
    """Walks the events chain by chain, in order, collecting problems."""

    def __init__(self, ring: KeyRing, seal: _Seal | None, expected: dict[str, Expected], report: VerifyReport) -> None:
        self.ring, self.seal, self.expected, self.report = ring, seal, expected, report
        self.last: dict[str, tuple[int, str]] = {}
        self.erased: dict[str, int] = {}  # chain -> last event whose personal values are erased
        self.erasures: dict[str, int] = {}  # chain -> last erase_personal event
        self.unkeyed = 0
        self.unsealed = 0
        self.unkeyed_max = 0  # with no seal: an unkeyed event after a keyed one cannot be from before the upgrade
        self.keyed_min: int | None = None

    def problem(self, event: AuditEvent, text: str) -> None:
        self.report.problems.append(f"链 {event.chain} 事件 #{event.seq}：{text}")

    def check(self, event: AuditEvent) -> None:
        self.report.events += 1
        seq, prev = self.last.get(event.chain, (0, GENESIS))
        if event.seq != seq + 1:
            self.problem(event, f"应为第 {seq + 1} 个，中间的事件不见了 (expected #{seq + 1} — events are missing)")
        if event.prev_hash != prev:
            self.problem(event, "与前一个事件接不上 (does not link to the previous event)")
        intact = self._intact(event)
        if intact:
            body = orjson.loads(event.payload)
            if (body.get("seq"), body.get("action"), body.get("actor", {}).get("id"), body.get("instance_id")) != (
                event.seq, event.action, event.actor_id, event.instance_id
            ):
                self.problem(event, "索引列与哈希内容不一致 (indexed columns differ from the hashed content)")
            if event.key_id is not None:
                self._personal(event, body)
            if event.action == ERASE_ACTION:
                self.erasures[event.chain] = event.seq
        known = self.expected.get(event.chain)
        if known is not None and known.seq == event.seq and known.hash != event.hash:
            self.problem(event, f"与检查点 #{known.checkpoint} 记录的链头不符，事件被改写 (differs from the checkpoint)")
        self.last[event.chain] = (event.seq, event.hash)

    def _intact(self, event: AuditEvent) -> bool:
        """Whether the event's own hash holds: keyed, or unkeyed and sealed by the first checkpoint."""
        if event.key_id is None:
            return self._legacy(event)
        self.keyed_min = event.id if self.keyed_min is None else min(self.keyed_min, event.id)
        valid = self.ring.check(event.key_id, event.algorithm, chain_message(event.prev_hash, event.payload), event.hash)
        if valid is None:
            self.problem(event, f"由未配置的密钥 '{event.key_id}'（{event.algorithm}）封存，无法核验 "
                                "(key not configured: add it to GONGZHI_AUDIT_OLD_KEYS)")
        elif not valid:
            self.problem(event, "写入后内容被改动 (content was changed after it was written — hash mismatch)")
        return bool(valid)

    def _legacy(self, event: AuditEvent) -> bool:
        if self.seal is None:
            self.unsealed += 1
            self.unkeyed_max = max(self.unkeyed_max, event.id)
        elif event.id > self.seal.through_id:
            self.problem(event, "升级后写入却没有密钥：伪造，或由旧版进程写入 (unkeyed event after the upgrade)")
        else:
            self.unkeyed += 1
        redacted = (event.personal or {}).get(REDACTED)
        if isinstance(redacted, dict):
            valid = self.ring.check(redacted.get("key_id"), redacted.get("algorithm"),
                                    redaction_message(event.chain, event.seq, event.hash, event.payload),
                                    str(redacted.get("mac")))
            if not valid:
                self.problem(event, "个人信息删除记录不符，内容被改动 (redacted content changed — hash mismatch)")
            return bool(valid)
        if legacy_hash(event.prev_hash, event.payload) != event.hash:
            self.problem(event, "写入后内容被改动 (content was changed after it was written — hash mismatch)")
            return False
        return True

    def _personal(self, event: AuditEvent, body: dict[str, Any]) -> None:
        """Each personal value beside the payload is the one its digest was made of, or erased."""
        values = event.personal or {}
        if not values and pii.MARKER not in event.payload:
            return
        key = self.ring.get(event.key_id)
        seen = set()
        for path, digest in pii.markers(body):
            seen.add(digest)
            where = ".".join(path)
            if digest not in values:
                self.problem(event, f"个人信息 {where} 不见了 (personal value removed)")
            elif values[digest] is None:
                self.erased[event.chain] = event.seq
            elif personal_digest(key, event.algorithm, event.chain, event.seq, path, values[digest]) != digest:
                self.problem(event, f"个人信息 {where} 被改动 (personal value changed)")
        if set(values) - seen:
            self.problem(event, "有哈希内容中没有的个人信息 (personal values not in the hashed content)")

    def finish(self, heads: dict[str, tuple[int, str]], whole: bool = True) -> None:
        problems = self.report.problems
        for chain, (head_seq, head_hash) in heads.items():
            seq, digest = self.last.get(chain, (0, GENESIS))
            if (seq, digest) != (head_seq, head_hash):
                problems.append(f"链 {chain}：止于第 {seq} 个事件，链头却记为第 {head_seq} 个，事件被删除 "
                                f"(ends at #{seq} but its head says #{head_seq} — events were removed)")
        for chain in set(self.last) - set(heads):
            problems.append(f"链 {chain}：有事件却没有链头记录 (has events but no head row)")
        for chain, known in self.expected.items():
            seq = self.last.get(chain, (0, GENESIS))[0]
            if seq == 0:
                problems.append(f"链 {chain}：检查点 #{known.checkpoint} 记录到第 {known.seq} 个事件，现在一个也没有，"
                                "流程实例连同事件被删除 (chain deleted)")
            elif seq < known.seq:
                problems.append(f"链 {chain}：止于第 {seq} 个事件，检查点 #{known.checkpoint} 记录到第 {known.seq} 个，"
                                "链被截短 (chain truncated)")
        for chain, seq in self.erased.items():
            if self.erasures.get(chain, 0) <= seq:
                problems.append(f"链 {chain} 事件 #{seq}：个人信息被清空，却没有删除记录 "
                                "(personal values erased without an erase_personal event)")
        if whole:
            self._sealed()
        self.report.chains = len(set(self.last) | set(heads))

    def _sealed(self) -> None:
        problems = self.report.problems
        if self.unsealed and self.keyed_min is not None and self.unkeyed_max > self.keyed_min:
            problems.append(f"有未加密钥的事件写在加密钥的事件之后（事件编号 {self.unkeyed_max}）：伪造，或由旧版进程写入 "
                            "(unkeyed events after keyed ones)")
        elif self.unsealed:
            problems.append(f"{self.unsealed} 个升级前的事件尚未封存：请运行 gongzhi db upgrade 或 gongzhi audit checkpoint "
                            "(unkeyed events not sealed by a checkpoint yet)")
        if self.seal is not None and self.unkeyed != self.seal.events:
            problems.append(f"首个检查点封存了 {self.seal.events} 个升级前的事件，现有 {self.unkeyed} 个，"
                            "事件被删除或添加 (sealed pre-upgrade events removed or added)")
