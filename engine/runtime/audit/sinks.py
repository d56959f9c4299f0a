"""Where checkpoints are kept outside the database: the built-in folder, or a plugin's sink."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator, Protocol

import orjson
from sqlalchemy.engine import make_url

from ...errors import ConfigurationError
from ...hooks.manager import Registry

__all__ = ["CheckpointSink", "FileSink", "sink_for"]


class CheckpointSink(Protocol):
    """A place outside the database that keeps checkpoints (``gongzhi_register_audit_sinks``)."""

    name: str

    def write(self, checkpoint: dict[str, Any]) -> None:
        """Keep ``checkpoint`` (a JSON object); raise if it could not be kept."""

    def read(self) -> Iterable[dict[str, Any]]:
        """Every checkpoint kept, in any order (an optional ``source`` key names where it came from)."""


class FileSink:
    """One JSON file per checkpoint in a folder (``AUDIT_CHECKPOINT_DIR``), written atomically."""

    name = "file"

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def write(self, checkpoint: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"checkpoint-{checkpoint['seq']:08d}-{checkpoint['mac'][:12]}.json"
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".checkpoint-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(_layout(checkpoint))
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def read(self) -> Iterator[dict[str, Any]]:
        for path in sorted(self.folder.glob("checkpoint-*.json")):
            try:
                doc = orjson.loads(path.read_bytes())
            except (OSError, orjson.JSONDecodeError):
                doc = None
            yield {**doc, "source": path.name} if isinstance(doc, dict) else {"source": path.name}


def _layout(checkpoint: dict[str, Any]) -> bytes:
    """JSON with one field, and one head, per line: readable and diffable however many chains there are."""
    fields = [f"  {orjson.dumps(k).decode()}: {orjson.dumps(v).decode()}" for k, v in checkpoint.items() if k != "heads"]
    heads = ",\n".join(f"    {orjson.dumps(h).decode()}" for h in checkpoint.get("heads", []))
    fields.append(f'  "heads": [\n{heads}\n  ]' if heads else '  "heads": []')
    return ("{\n" + ",\n".join(fields) + "\n}\n").encode()


def default_folder(engine: Any) -> Path:
    """``<instance path>/audit-checkpoints/<database>``: one folder per database, so two databases
    on one machine never read each other's checkpoints."""
    url = make_url(engine.config.database_url)
    name = f"{url.get_backend_name()}-{url.host or 'local'}-{Path(url.database or 'memory').name}"
    digest = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:8]
    return Path(engine.config.instance_path) / "audit-checkpoints" / f"{re.sub(r'[^A-Za-z0-9._-]', '_', name)}-{digest}"


def sink_for(engine: Any) -> CheckpointSink:
    """The sink named by ``AUDIT_CHECKPOINT_SINK`` (default ``file``) among the built-in and plugins' sinks."""
    extra = engine.config.extra
    folder = extra.get("audit_checkpoint_dir") or default_folder(engine)
    sinks: Registry[Any] = Registry.collect(engine.pm, "gongzhi_register_audit_sinks", "audit checkpoint sink")
    sinks.add(FileSink(folder), owner="gongzhi.audit")
    name = str(extra.get("audit_checkpoint_sink") or "file")
    if name not in sinks:
        raise ConfigurationError(f"没有名为 '{name}' 的审计检查点去处，可选 {', '.join(sorted(sinks))} "
                                 "(unknown GONGZHI_AUDIT_CHECKPOINT_SINK)", field="audit_checkpoint_sink")
    return sinks[name]
