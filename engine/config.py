"""Configuration: ``GONGZHI_*`` environment variables or a mapping passed in.

Keys (the same names, without the prefix, in a mapping):

- ``DATABASE_URL``: SQLAlchemy URL; default a SQLite file in the instance folder
- ``INSTANCE_PATH``: folder for the default database (default ``./instance``)
- ``SECRET_KEY``: signs tokens
- ``DEFINITIONS``: extra definition folders, separated by ``os.pathsep``
- ``DISABLE_PLUGINS``: comma-separated plugin names not to load
- ``CACHE_SIZE``: live workflow objects kept in memory (0 disables the cache)
- ``JOB_MAX_ATTEMPTS``: tries of a failing job before it becomes an incident (5)
- ``JOB_BACKOFF_SECONDS``: first retry delay, doubled on each retry (10)
- ``JOB_LEASE_SECONDS``: how long a worker owns a job before others may take it (300)
- ``WORKER_POLL_SECONDS``: longest sleep of an idle worker without a wake-up (5)
- ``MESSAGE_TTL_SECONDS``: how long an early message waits for its instance (7 days)
- ``IDEMPOTENCY_TTL_SECONDS``: how long ``Idempotency-Key`` answers are remembered (1 day)
- ``RESIDENT_GROUPS``: comma-separated groups whose members see only the cases they own (``resident``)
- ``STUCK_GRACE_SECONDS``: how long past its deadline a command must run before the watchdog
  reports it stuck (5)
- ``RETENTION_DAYS``: days after a case closes until its personal data is pseudonymised (1095;
  0 keeps it); ``RETENTION_MODE``: ``pseudonymise`` (default) or ``erase``
- ``MAX_JSON_DEPTH``: deepest nesting of containers in variables, form data, decision inputs and
  HTTP request bodies (64; 1 to 200); deeper is a 422 naming the field (``runtime.views.max_json_depth``)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from .errors import ConfigurationError

__all__ = ["Config", "DEFAULT_SECRET_KEY"]

PREFIX = "GONGZHI_"
DEFAULT_SECRET_KEY = "gongzhi-development-secret-change-me"


def _split(value: str | list[str] | tuple[str, ...] | None, sep: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(sep) if part.strip())
    return tuple(str(v) for v in value)


_NUMBERS = {"cache_size": int, "job_max_attempts": int, "job_backoff_seconds": float, "job_lease_seconds": float,
            "worker_poll_seconds": float, "message_ttl_seconds": float, "idempotency_ttl_seconds": float,
            "idempotency_stale_seconds": float,
            "retention_days": float}
RETENTION_MODES = ("pseudonymise", "erase")


@dataclass(frozen=True)
class Config:
    database_url: str = ""
    instance_path: str = "instance"
    secret_key: str = DEFAULT_SECRET_KEY
    definitions: tuple[str, ...] = ()
    disable_plugins: tuple[str, ...] = ()
    cache_size: int = 256
    job_max_attempts: int = 5
    job_backoff_seconds: float = 10.0
    job_lease_seconds: float = 300.0
    worker_poll_seconds: float = 5.0
    message_ttl_seconds: float = 7 * 24 * 3600
    idempotency_ttl_seconds: float = 24 * 3600
    idempotency_stale_seconds: float = 300.0  # a pending claim untouched this long: its owner died
    resident_groups: tuple[str, ...] = ("resident",)
    retention_days: float = 3 * 365
    retention_mode: str = "pseudonymise"
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, mapping: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> "Config":
        """Environment first, then the mapping (keys with or without the prefix) on top."""
        environ = os.environ if environ is None else environ
        raw: dict[str, Any] = {k[len(PREFIX):].lower(): v for k, v in environ.items() if k.startswith(PREFIX)}
        for key, value in (mapping or {}).items():
            key = key[len(PREFIX):] if key.upper().startswith(PREFIX) else key
            raw[key.lower()] = value
        known = {f.name for f in fields(cls)} - {"extra"}
        values = {k: v for k, v in raw.items() if k in known}
        extra = {k: v for k, v in raw.items() if k not in known}
        try:
            values["definitions"] = _split(values.get("definitions"), os.pathsep)
            values["disable_plugins"] = _split(values.get("disable_plugins"), ",")
            if "resident_groups" in values:
                values["resident_groups"] = _split(values["resident_groups"], ",")
            for name, kind in _NUMBERS.items():
                if name in values:
                    values[name] = kind(values[name])
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(f"invalid configuration value: {exc}") from exc
        if values.get("retention_mode", "pseudonymise") not in RETENTION_MODES:
            raise ConfigurationError(f"RETENTION_MODE must be one of {', '.join(RETENTION_MODES)}")
        config = cls(**values, extra=extra)
        if not config.database_url:
            path = Path(config.instance_path).absolute() / "gongzhi.sqlite3"
            config = cls(**{**values, "database_url": f"sqlite:///{path}"}, extra=extra)
        return config

    @property
    def uses_default_secret(self) -> bool:
        return self.secret_key == DEFAULT_SECRET_KEY
