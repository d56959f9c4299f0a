"""The application factory and the hook for mounting the blueprint into an integrator's app."""

from __future__ import annotations

import logging
from typing import Any, Mapping, Sequence

from flask import Flask

from ..config import Config
from ..masking import rule_from_config
from ..runtime.engine import Engine
from .blueprint import blueprint
from .context import EXTENSION, ApiState
from .portal_adapters import mount_adapters
from .problems import register_error_handlers
from .reports import collect_reports

__all__ = ["create_app", "init_app", "DEFAULT_MAX_CONTENT_LENGTH", "URL_PREFIX"]

logger = logging.getLogger("gongzhi.api")

URL_PREFIX = "/api/v1"
DEFAULT_MAX_CONTENT_LENGTH = 10 * 1024 * 1024  # BPMN files with diagrams stay well below this


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def init_app(app: Flask, engine: Engine, *, url_prefix: str = URL_PREFIX, max_content_length: int | None = None) -> None:
    """Mount the Gongzhi API into ``app`` at ``url_prefix``, backed by ``engine``.

    The database schema is not touched here: call ``engine.upgrade_db()`` (or
    ``gongzhi db upgrade``) during deployment.
    """
    extra = engine.config.extra
    limit = max_content_length or int(extra.get("max_content_length") or DEFAULT_MAX_CONTENT_LENGTH)
    app.extensions[EXTENSION] = ApiState(
        engine=engine, max_content_length=limit, masking=rule_from_config(extra),
        reports=dict(collect_reports(engine.pm)), url_prefix=url_prefix,
    )
    app.register_blueprint(blueprint, url_prefix=url_prefix)
    mount_adapters(app, engine)  # portal adapters under /adapters/{name}/


def create_app(config: Config | Mapping[str, Any] | None = None, plugins: Sequence[Any] = (),
               engine: Engine | None = None, *, setup: bool | None = None) -> Flask:
    """A Flask app serving the Gongzhi API under ``/api/v1``.

    ``config``: a ``Config`` or a mapping of ``GONGZHI_*`` keys (environment
    variables otherwise). ``engine``: an engine built by the caller (tests pass
    one with a ``MovableClock``); ``config`` and ``plugins`` are then ignored.
    ``setup``: run migrations (and, with ``DEPLOY_ON_START``, deploy the
    bundled definitions); default: on unless ``SETUP_ON_START`` is false.
    """
    engine = engine or Engine(config, plugins=plugins)
    extra = engine.config.extra
    if setup is None:
        setup = _truthy(extra.get("setup_on_start", "true"))
    if setup:
        engine.upgrade_db()
        if _truthy(extra.get("deploy_on_start", "false")):
            result = engine.deploy()
            logger.info("deployed definitions: %d new, %d unchanged", len(result.created), len(result.unchanged))
    app = Flask("gongzhi.api")
    app.config["JSON_AS_ASCII"] = False
    init_app(app, engine)
    # Unknown paths and wrong methods anywhere in this app answer with problem details too.
    register_error_handlers(app)
    return app
