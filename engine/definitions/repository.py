"""Deployed versions: immutable, keyed by id + content hash, parsed once and cached.

Deploying unchanged files creates nothing; running instances keep the version
they started with, because an instance row references its version by id.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..checks import plain_id
from ..clock import utc
from ..errors import DefinitionInvalid, UnknownDecision, UnknownProcess
from ..store.models import DefinitionFile, DefinitionVersion
from .model import DefinitionSet, ProcessBundle
from .sources import SourceFile
from .validate import validate

__all__ = ["Repository", "DeployResult", "DeployedDecision", "PreparedDeployment"]


def _where(region: str) -> dict[str, str]:
    return {"region": region} if region else {}


@dataclass
class DeployResult:
    created: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "unchanged": self.unchanged}


@dataclass(frozen=True)
class PreparedDeployment:
    """Files parsed and validated, ready to store."""

    defs: DefinitionSet
    bundles: dict[str, ProcessBundle]


@dataclass(frozen=True)
class DeployedDecision:
    model: Any  # gongzhi.rules.DmnModel
    decision_id: str
    version_id: int
    version: int
    file: str
    region: str = ""  # where this version is in force ("" everywhere)
    sha256: str = ""

    @property
    def source(self) -> str:
        """``file@sha256`` (short), as the audit trail names what was evaluated."""
        return f"{self.file}@{self.sha256[:12]}"


def _in_force(region: str, candidate: str) -> bool:
    """Whether a version deployed for ``candidate`` applies to a case in ``region``."""
    return candidate == "" or region == candidate or region.startswith(candidate + "/")


class Repository:
    """Stores versions in the database and keeps parsed bundles in memory."""

    def __init__(self) -> None:
        self._bundles: dict[int, ProcessBundle] = {}
        self._decisions: dict[int, DeployedDecision] = {}
        self._lock = threading.Lock()

    # --- deploying ---------------------------------------------------------

    @staticmethod
    def prepare(sources: list[SourceFile], operators: set[str] | None = None) -> "PreparedDeployment":
        """Parse and validate files (no database: nothing is locked while user files are parsed)."""
        defs = DefinitionSet(sources)
        problems = validate(defs, operators)
        if problems:
            raise DefinitionInvalid(problems)
        return PreparedDeployment(defs, {pid: defs.bundle(pid) for pid in defs.executable_processes()})

    def deploy(self, session: Session, prepared: "PreparedDeployment", actor_id: str, now: datetime,
               region: str = "") -> DeployResult:
        """Store the prepared processes and decisions; unchanged ones create no new version.

        With a ``region``, the decisions are that region's own versions (processes are never
        regional: the caller refuses them).
        """
        defs, result = prepared.defs, DeployResult()
        for pid, bundle in prepared.bundles.items():
            self._store(session, "process", pid, bundle.name, bundle.content_hash, bundle.files,
                        bundle.start_form, actor_id, now, result, sorted(bundle.viewer_groups))
        for file, model in defs.dmn.items():
            source = defs.sources[file]
            for did, decision in model.decisions.items():
                self._store(session, "decision", did, getattr(decision, "name", "") or did, source.sha256, [source],
                            None, actor_id, now, result, region=region)
        return result

    def _store(self, session: Session, kind: str, key: str, name: str, content_hash: str, files: list[SourceFile],
               start_form: dict | None, actor_id: str, now: datetime, result: DeployResult,
               viewer_groups: list[str] | None = None, region: str = "") -> None:
        if region:  # the same table deployed for two regions is two versions: the hash says where
            content_hash = hashlib.sha256(f"{region}\n{content_hash}".encode()).hexdigest()
        existing = session.scalar(
            select(DefinitionVersion).where(
                DefinitionVersion.kind == kind, DefinitionVersion.key == key, DefinitionVersion.region == region,
                DefinitionVersion.content_hash == content_hash,
            )
        )
        if existing is not None:
            result.unchanged.append({"kind": kind, "key": key, "version": existing.version, **_where(region)})
            return
        for source in files:
            if session.get(DefinitionFile, source.sha256) is None:
                session.add(DefinitionFile(sha256=source.sha256, name=source.name, kind=source.kind,
                                           content=source.content, created_at=now))
        latest = session.scalar(
            select(func.max(DefinitionVersion.version)).where(DefinitionVersion.kind == kind, DefinitionVersion.key == key)
        )
        row = DefinitionVersion(
            kind=kind, key=key, version=(latest or 0) + 1, content_hash=content_hash, name=name,
            files=[{"name": s.name, "sha256": s.sha256, "kind": s.kind} for s in files],
            start_form=start_form, created_at=now, deployed_by=actor_id, viewer_groups=viewer_groups, region=region,
        )
        session.add(row)
        session.flush()
        result.created.append({"kind": kind, "key": key, "version": row.version, "id": row.id, **_where(region)})

    # --- finding versions ------------------------------------------------------

    @staticmethod
    def latest(session: Session, key: str, kind: str = "process") -> DefinitionVersion:
        if not plain_id(key):
            raise UnknownProcess(str(key)) if kind == "process" else UnknownDecision(str(key))
        row = session.scalar(
            select(DefinitionVersion)
            .where(DefinitionVersion.kind == kind, DefinitionVersion.key == key)
            .order_by(DefinitionVersion.version.desc())
            .limit(1)
        )
        if row is None:
            raise UnknownProcess(key) if kind == "process" else UnknownDecision(key)
        return row

    def bundle(self, session: Session, version_id: int) -> ProcessBundle:
        """The parsed bundle of a process version, built on first use and then cached."""
        cached = self._bundles.get(version_id)
        if cached is not None:
            return cached
        row = session.get(DefinitionVersion, version_id)
        defs = DefinitionSet(self._files(session, row))
        bundle = defs.bundle(row.key)
        bundle.version_id, bundle.version = row.id, row.version
        with self._lock:
            return self._bundles.setdefault(version_id, bundle)

    def decision(self, session: Session, key: str, region: str = "", at: datetime | None = None) -> DeployedDecision:
        """The version of a decision in force for a case in ``region``, by id (or, failing that, by name).

        The most specific region wins (a street's own table over the district's), then the
        latest version deployed for it; ``region`` "" gives the version in force everywhere.
        ``at``: the version that was in force then (deployed at or before it), for figures of a
        past period — a weight changed in July does not rewrite January.
        """
        rows = self._decision_versions(session, key)
        in_force = [r for r in rows if _in_force(region, r[1]) and (at is None or utc(r[3]) <= utc(at))]
        if not in_force:
            raise UnknownDecision(key, self._decision_keys(session))
        version_id = max(in_force, key=lambda r: (len(r[1]), r[2]))[0]
        return self.decision_version(session, version_id)

    def decision_version(self, session: Session, version_id: int) -> DeployedDecision:
        """One stored decision version, parsed on first use and then cached."""
        cached = self._decisions.get(version_id)
        if cached is None:
            from ..rules import load_dmn

            row = session.get(DefinitionVersion, version_id)
            source = self._files(session, row)[0]
            cached = DeployedDecision(load_dmn(source.content, filename=source.name), row.key, row.id, row.version,
                                      source.name, row.region, source.sha256)
            with self._lock:
                cached = self._decisions.setdefault(version_id, cached)
        return cached

    @staticmethod
    def _decision_versions(session: Session, key: str) -> list[tuple[int, str, int, datetime]]:
        """(id, region, version, deployed at) of every version of the decision ``key`` (an id, or else a name)."""
        if not plain_id(key):
            raise UnknownDecision(str(key))
        query = select(DefinitionVersion.id, DefinitionVersion.region, DefinitionVersion.version,
                       DefinitionVersion.created_at).where(
            DefinitionVersion.kind == "decision")
        rows = [tuple(r) for r in session.execute(query.where(DefinitionVersion.key == key))]
        if not rows:  # a name: the key of its latest version, whatever the region
            named = session.scalar(select(DefinitionVersion.key).where(
                DefinitionVersion.kind == "decision", DefinitionVersion.name == key)
                .order_by(DefinitionVersion.version.desc()).limit(1))
            if named is not None:
                rows = [tuple(r) for r in session.execute(query.where(DefinitionVersion.key == named))]
        return rows  # type: ignore[return-value]

    @staticmethod
    def _decision_keys(session: Session) -> list[str]:
        return sorted(session.scalars(select(DefinitionVersion.key).where(DefinitionVersion.kind == "decision").distinct()))

    @staticmethod
    def _files(session: Session, row: DefinitionVersion) -> list[SourceFile]:
        files = []
        for entry in row.files:
            stored = session.get(DefinitionFile, entry["sha256"])
            files.append(SourceFile(entry["name"], stored.content))
        return files
