"""Read-only views of deployed process definitions, behind ``Engine.definitions()`` and friends."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..clock import utc
from ..definitions.model import DefinitionSet
from ..definitions.sources import SourceFile
from ..errors import NotFound, UnknownProcess
from ..store.models import DefinitionFile, DefinitionVersion

__all__ = ["definitions", "definition", "definition_xml"]


def _versions(engine: Any, key: str | None = None) -> list[DefinitionVersion]:
    query = select(DefinitionVersion).where(DefinitionVersion.kind == "process")
    if key is not None:
        query = query.where(DefinitionVersion.key == key)
    with engine.db.read() as session:
        return list(session.scalars(query.order_by(DefinitionVersion.key, DefinitionVersion.version)))


def definitions(engine: Any) -> list[dict[str, Any]]:
    """Every deployed process: key, name and latest version."""
    latest: dict[str, tuple[DefinitionVersion, int]] = {}
    for row in _versions(engine):
        count = latest[row.key][1] + 1 if row.key in latest else 1
        latest[row.key] = (row, count)
    return [
        {"key": row.key, "name": row.name, "version": row.version, "versions": count, "updated_at": utc(row.created_at)}
        for row, count in latest.values()
    ]


def definition(engine: Any, key: str) -> dict[str, Any]:
    """A process with its versions and the start form of the latest one."""
    rows = _versions(engine, key)
    if not rows:
        raise UnknownProcess(key)
    latest = rows[-1]
    return {
        "key": key, "name": latest.name, "version": latest.version, "start_form": _served(engine, latest.start_form),
        "versions": [
            {"version": r.version, "content_hash": r.content_hash, "created_at": utc(r.created_at),
             "deployed_by": r.deployed_by, "files": [f["name"] for f in r.files]}
            for r in reversed(rows)
        ],
    }


def _served(engine: Any, form: Any) -> Any:
    """The start form as served: lists (``x-options``) filled from their source."""
    return engine.served_form(form) if isinstance(form, dict) else form


def definition_xml(engine: Any, key: str, version: int | None = None) -> tuple[str, bytes]:
    """(file name, BPMN XML) of the file that defines process ``key``."""
    rows = _versions(engine, key)
    if not rows:
        raise UnknownProcess(key)
    chosen = rows[-1] if version is None else next((r for r in rows if r.version == version), None)
    if chosen is None:
        raise NotFound(f"流程 '{key}' 没有版本 {version}", process_key=key, version=version)
    with engine.db.read() as session:
        sources = [SourceFile(f["name"], session.get(DefinitionFile, f["sha256"]).content)
                   for f in chosen.files if f["kind"] == "bpmn"]
    if len(sources) > 1:  # call activities bring more BPMN files: pick the one that defines the key
        found = DefinitionSet(sources).executable_processes().get(key)
        if found is not None:
            return found[0], next(s.content for s in sources if s.name == found[0])
    return sources[0].name, sources[0].content


def decisions(engine: Any) -> list[dict[str, Any]]:
    """Every deployed decision: the latest version in force everywhere, then each region's own
    table (a street's override) — what it reads, what it gives, and its rules."""
    with engine.db.read() as session:
        rows = session.execute(select(DefinitionVersion.key, DefinitionVersion.region)
                               .where(DefinitionVersion.kind == "decision").distinct()).all()
        deployed = [engine.repository.decision(session, key, region) for key, region in sorted(rows)]
    seen: set[int] = set()
    return [_describe(d) for d in deployed if not (d.version_id in seen or seen.add(d.version_id))]


def _describe(deployed: Any) -> dict[str, Any]:
    decision = deployed.model.decisions[deployed.decision_id]
    out: dict[str, Any] = {"id": decision.id, "name": decision.name, "version": deployed.version,
                           "region": deployed.region, "file": deployed.file,
                           "requires": list(decision.required_decisions)}
    table = decision.logic
    if hasattr(table, "rules"):
        out.update({
            "hit_policy": table.hit_policy + (f" {table.aggregation}" if table.aggregation else ""),
            "inputs": [{"label": i.label, "expression": i.expression_text, "type": i.type_ref} for i in table.inputs],
            "outputs": [{"label": o.label, "name": o.name, "type": o.type_ref} for o in table.outputs],
            "rules": [{"id": r.id, "number": r.index, "description": r.description,
                       "when": [c.text for c in r.input_cells], "then": [c.text for c in r.output_cells]}
                      for r in table.rules],
        })
    else:
        out["expression"] = table.text
    return out
