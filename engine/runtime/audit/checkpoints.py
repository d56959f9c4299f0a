"""Signed checkpoints of the chain heads, written outside the database.

A checkpoint lists the head ``[chain, seq, hash]`` of every chain that gained
events since the previous checkpoint (the first one lists every chain), a
Merkle root over that list, the previous checkpoint's signature, and is signed
with the current audit key. Together the checkpoints record the head of every
chain as of the latest one; ``verify --checkpoints`` then finds a chain that is
missing, shorter, or no longer hashes to a recorded head.

New events are found by their row id: a checkpoint covers the ids up to
``through_id``. On PostgreSQL a transaction may commit a lower id after a
higher one, so ids missing below ``through_id`` are kept as ``gaps`` and read
again by the next checkpoint, until ``AUDIT_CHECKPOINT_SETTLE_SECONDS`` have
passed (by then they were rolled back). Nothing here takes a lock a command
waits for: the heads are read in a read transaction, the file is written, and
one row is inserted.

The first checkpoint also records the events written before the upgrade
(``legacy``: how many, up to which id): they keep their unkeyed ``sha256`` links
and this signed record is what seals them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable, Iterator

import orjson
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...clock import utc
from ...errors import AuditChainBroken, ConfigurationError
from ...security.macs import digest
from ...store.models import AuditCheckpoint, AuditEvent
from .chain import GENESIS
from .keys import ALGORITHMS, KeyRing, ring_of
from .personal import canonical
from .sinks import sink_for

__all__ = ["take_checkpoint", "seal_legacy", "CheckpointSchedule",
           "merkle_root", "Expected", "expected_heads", "FORMAT", "body_of"]

logger = logging.getLogger("gongzhi.audit")

FORMAT = "gongzhi-audit-checkpoint/1"
BODY_FIELDS = ("format", "seq", "taken_at", "key_id", "algorithm", "prev", "through_id", "gaps", "legacy", "chains",
               "root")
DEFAULT_INTERVAL = 3600.0
DEFAULT_SETTLE = 600.0
SCAN_BATCH = 5000


def _seconds(extra: dict[str, Any], name: str, default: float) -> float:
    try:
        value = float(extra.get(name, default))
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"GONGZHI_{name.upper()} 必须是秒数 (a number of seconds)", field=name) from exc
    if value < 0:
        raise ConfigurationError(f"GONGZHI_{name.upper()} 不能为负数 (must not be negative)", field=name)
    return value


# --- the Merkle root -------------------------------------------------------------------


def merkle_root(heads: list[list[Any]], algorithm: str) -> str:
    """Root over the sorted ``[chain, seq, hash]`` leaves (RFC 6962-style prefixes; an odd node moves up)."""
    hash_name = ALGORITHMS[algorithm]
    level = [digest(b"\x00" + canonical(leaf), hash_name) for leaf in heads]
    if not level:
        return digest(b"", hash_name).hex()
    while len(level) > 1:
        paired = [digest(b"\x01" + level[i] + level[i + 1], hash_name) for i in range(0, len(level) - 1, 2)]
        level = paired + level[len(paired) * 2:]
    return level[0].hex()


# --- taking a checkpoint -----------------------------------------------------------------


@dataclass
class _Scan:
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)
    through_id: int = 0
    gaps: list[list[Any]] = field(default_factory=list)  # [first id, last id, first seen (ISO)]
    unkeyed: int = 0
    unkeyed_max: int = 0
    keyed_min: int | None = None

    def add(self, chain: str, seq: int, event_hash: str) -> None:
        known = self.heads.get(chain)
        if known is None or seq > known[0]:
            self.heads[chain] = (seq, event_hash)


def body_of(row: AuditCheckpoint, ring: KeyRing) -> dict[str, Any]:
    """The signed body of a checkpoint row; AuditChainBroken if it was altered."""
    body = orjson.loads(row.body)
    if ring.check(body.get("key_id"), body.get("algorithm"), row.body.encode(), row.mac) is not True:
        raise AuditChainBroken(f"数据库中的审计检查点 #{row.seq} 被改动或其密钥未配置 (checkpoint row altered)",
                               checkpoint=row.seq)
    return body


def _scan(session: Any, since: int, gaps: list[list[Any]], now: datetime, settle: float) -> _Scan:
    """Heads of the chains with events above ``since`` or inside an old gap; the ids still missing."""
    scan = _Scan(through_id=since)
    low = min([since + 1, *(g[0] for g in gaps)])
    found_in_gaps: list[int] = []
    expected = since + 1
    rows = session.execute(select(AuditEvent.id, AuditEvent.chain, AuditEvent.seq, AuditEvent.hash, AuditEvent.key_id)
                           .where(AuditEvent.id >= low).order_by(AuditEvent.id)
                           .execution_options(yield_per=SCAN_BATCH))
    for event_id, chain, seq, event_hash, key_id in rows:
        if event_id <= since:
            if any(g[0] <= event_id <= g[1] for g in gaps):
                found_in_gaps.append(event_id)
                scan.add(chain, seq, event_hash)
            continue
        if event_id > expected:
            scan.gaps.append([expected, event_id - 1, now.isoformat()])
        expected = event_id + 1
        scan.through_id = event_id
        scan.add(chain, seq, event_hash)
        if since == 0:  # the first checkpoint: count what was written without a key
            if key_id is None:
                scan.unkeyed, scan.unkeyed_max = scan.unkeyed + 1, event_id
            elif scan.keyed_min is None:
                scan.keyed_min = event_id
    old = [hole for gap in gaps for hole in _holes(gap, found_in_gaps)
           if datetime.fromisoformat(gap[2]) > now - timedelta(seconds=settle)]
    scan.gaps = old + scan.gaps
    return scan


def _holes(gap: list[Any], found: list[int]) -> Iterator[list[Any]]:
    start, end, seen = gap
    for event_id in sorted(i for i in found if start <= i <= end):
        if event_id > start:
            yield [start, event_id - 1, seen]
        start = event_id + 1
    if start <= end:
        yield [start, end, seen]


def _legacy(scan: _Scan) -> dict[str, int]:
    if scan.unkeyed and scan.keyed_min is not None and scan.unkeyed_max > scan.keyed_min:
        raise AuditChainBroken(
            f"有未加密钥的审计事件写在加密钥的事件之后（事件编号 {scan.unkeyed_max}），拒绝封存："
            "它们是伪造的，或由仍在运行的 0.1 版进程写入 (unkeyed events after keyed ones; not sealing)",
            event_id=scan.unkeyed_max)
    return {"through_id": scan.unkeyed_max, "events": scan.unkeyed}


def take_checkpoint(engine: Any) -> dict[str, Any] | None:
    """Sign the heads of the chains that changed since the last checkpoint and write them to the sink.

    Returns the checkpoint, or None when nothing changed (or another process
    took the same checkpoint at the same moment; its file is a true record too).
    """
    ring, sink = ring_of(engine.db), sink_for(engine)
    now = utc(engine.clock.now())
    settle = _seconds(engine.config.extra, "audit_checkpoint_settle_seconds", DEFAULT_SETTLE)
    with engine.db.read() as session:
        latest_row = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1)).first()
        latest = body_of(latest_row, ring) if latest_row is not None else None
        if latest is None and next(iter(sink.read()), None) is not None:
            raise AuditChainBroken(f"检查点去处 '{sink.name}' 中已有审计检查点，数据库中却一个也没有："
                                   "检查点记录被删除了，或数据库不是这一个 (checkpoint rows missing)")
        since = latest["through_id"] if latest else 0
        scan = _scan(session, since, latest["gaps"] if latest else [], now, settle)
    if not scan.heads:
        return None
    heads = sorted([chain, seq, event_hash] for chain, (seq, event_hash) in scan.heads.items())
    body = {
        "format": FORMAT, "seq": (latest["seq"] if latest else 0) + 1, "taken_at": now.isoformat(),
        "key_id": ring.current.id, "algorithm": ring.algorithm, "prev": latest_row.mac if latest_row else GENESIS,
        "through_id": scan.through_id, "gaps": scan.gaps, "legacy": _legacy(scan) if latest is None else None,
        "chains": len(heads), "root": merkle_root(heads, ring.algorithm),
    }
    text = canonical(body).decode()
    mac = ring.current.seal(text.encode(), ring.algorithm)
    checkpoint = {**body, "heads": heads, "mac": mac}
    sink.write(checkpoint)
    try:
        with engine.db.write() as session:
            session.add(AuditCheckpoint(seq=body["seq"], body=text, mac=mac))
    except IntegrityError:
        logger.info("audit checkpoint #%s was taken by another process at the same time", body["seq"])
        return None
    return checkpoint


def seal_legacy(engine: Any) -> dict[str, Any] | None:
    """After an upgrade from 0.1: take the first checkpoint, which seals the unkeyed events, if none exists."""
    with engine.db.read() as session:
        if session.scalar(select(AuditCheckpoint.seq).limit(1)) is not None:
            return None
        first = session.execute(select(AuditEvent.key_id).order_by(AuditEvent.id).limit(1)).first()
    if first is None or first.key_id is not None:
        return None  # a database this version created: its first checkpoint comes from the worker
    return take_checkpoint(engine)


class CheckpointSchedule:
    """When the worker takes the next checkpoint: ``AUDIT_CHECKPOINT_SECONDS`` after the last one (0: never)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.interval = _seconds(engine.config.extra, "audit_checkpoint_seconds", DEFAULT_INTERVAL)
        self.due = self._next_due(self._later()) if self.interval else None

    def _later(self) -> datetime:
        return utc(self.engine.clock.now()) + timedelta(seconds=self.interval)

    def _next_due(self, otherwise: datetime) -> datetime:
        """One interval after the latest checkpoint; ``otherwise`` if there is none yet."""
        with self.engine.db.read() as session:
            body = session.scalar(select(AuditCheckpoint.body).order_by(AuditCheckpoint.seq.desc()).limit(1))
        if body is None:
            return otherwise
        return datetime.fromisoformat(orjson.loads(body)["taken_at"]) + timedelta(seconds=self.interval)

    def seconds_left(self) -> float:
        """Until the next checkpoint is due (infinite when periodic checkpoints are off)."""
        if self.due is None:
            return float("inf")
        return max(0.0, (self.due - utc(self.engine.clock.now())).total_seconds())

    def run_if_due(self) -> dict[str, Any] | None:
        """Take a checkpoint if one is due; a failure is logged and tried again an interval later."""
        if self.due is None or utc(self.engine.clock.now()) < self.due:
            return None
        taken = None
        try:
            self.due = self._next_due(self.due)  # another worker may have taken it already
            if utc(self.engine.clock.now()) >= self.due:
                taken = take_checkpoint(self.engine)
                self.due = self._later()
        except Exception:  # noqa: BLE001 - the worker's other work must go on; the log says why
            logger.exception("审计检查点未能写入 (audit checkpoint failed); retrying in %ss", self.interval)
            self.due = self._later()
        return taken


# --- reading checkpoints back ---------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """The furthest head of one chain that a checkpoint recorded."""

    seq: int
    hash: str
    checkpoint: int


def expected_heads(docs: Iterable[dict[str, Any]], ring: KeyRing, problems: list[str]
                   ) -> tuple[dict[str, Expected], list[tuple[dict[str, Any], str]]]:
    """Check each checkpoint's signature, root and link to the one before; merge their heads.

    Returns (furthest head per chain, (body, signature) of each valid checkpoint); every fault
    goes to ``problems``.
    """
    valid: list[tuple[dict[str, Any], list[list[Any]], str]] = []
    for doc in docs:
        checked = _check_doc(doc, ring, problems)
        if checked is not None:
            valid.append(checked)
    valid.sort(key=lambda item: item[0]["seq"])
    macs: dict[int, set[str]] = {}
    for body, _, mac in valid:
        macs.setdefault(body["seq"], set()).add(mac)
    for seq in range(1, max(macs, default=0) + 1):
        if seq not in macs:
            problems.append(f"审计检查点 #{seq} 不见了 (checkpoint missing from the sink)")
    for body, _, _ in valid:
        before = {GENESIS} if body["seq"] == 1 else macs.get(body["seq"] - 1, set())
        if before and body["prev"] not in before:
            problems.append(f"审计检查点 #{body['seq']} 与前一个检查点接不上 (does not link to the previous checkpoint)")
    expected: dict[str, Expected] = {}
    for body, heads, _ in valid:
        for chain, seq, event_hash in heads:
            known = expected.get(chain)
            if known is None or seq > known.seq:
                expected[chain] = Expected(seq, event_hash, body["seq"])
            elif seq == known.seq and event_hash != known.hash:
                problems.append(f"链 {chain}：检查点 #{known.checkpoint} 与 #{body['seq']} 记录的第 {seq} 个事件不同"
                                " (checkpoints disagree)")
    return expected, [(body, mac) for body, _, mac in valid]


def _check_doc(doc: dict[str, Any], ring: KeyRing, problems: list[str]
               ) -> tuple[dict[str, Any], list[list[Any]], str] | None:
    where = f"审计检查点 {doc.get('source') or '#' + str(doc.get('seq', '?'))}"
    try:
        body = {name: doc[name] for name in BODY_FIELDS}
        heads, mac = doc["heads"], doc["mac"]
        if body["format"] != FORMAT or not isinstance(body["seq"], int) or not isinstance(heads, list):
            raise TypeError(body["format"])
    except (KeyError, TypeError):
        problems.append(f"{where}：无法读取 (unreadable checkpoint)")
        return None
    signed = ring.check(body["key_id"], body["algorithm"], canonical(body), str(mac))
    if signed is None:
        problems.append(f"{where}：由未配置的密钥 '{body['key_id']}' 签名，无法核验 (signing key not configured)")
        return None
    if not signed:
        problems.append(f"{where}：签名不符，内容被改动 (checkpoint signature mismatch)")
        return None
    try:
        root = merkle_root(heads, body["algorithm"])
    except (TypeError, ValueError):
        root = None
    if root != body["root"]:
        problems.append(f"{where}：链头列表与签名的默克尔根不符 (heads altered)")
        return None
    return body, heads, str(mac)
