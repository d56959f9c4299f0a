"""The application factory and the hook for mounting the blueprint into an integrator's app."""

from __future__ import annotations

import logging
from typing import Any, Callable, Iterator, Mapping, Sequence

from flask import Flask
from werkzeug.exceptions import BadRequest, HTTPException

from ..config import Config
from ..runtime.engine import Engine
from .blueprint import blueprint
from .context import EXTENSION, ApiState
from .portal_adapters import mount_adapters
from .problems import register_error_handlers
from .reports import collect_reports
from .routes.admin_actions import collect_admin_actions

__all__ = ["create_app", "init_app", "DEFAULT_MAX_CONTENT_LENGTH", "URL_PREFIX"]

logger = logging.getLogger("gongzhi.api")

URL_PREFIX = "/api/v1"
DEFAULT_MAX_CONTENT_LENGTH = 10 * 1024 * 1024  # BPMN files with diagrams stay well below this


class _GuardedInput:
    """``wsgi.input`` whose read errors are the client's: a malformed chunked body, a short one.

    The WSGI server raises its own parser errors (gunicorn's ``InvalidChunkSize``, ...) from
    inside the app's first read of the body; without this they would be 500s with a traceback.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def _guard(self, read: Any, *args: Any) -> Any:
        try:
            return read(*args)
        except HTTPException:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever the server's parser raises, the bytes were bad
            raise BadRequest(f"请求体无法读取：分块编码或长度有误 (malformed request body: {type(exc).__name__})") from exc

    def read(self, *args: Any) -> bytes:
        return self._guard(self._stream.read, *args)

    def readline(self, *args: Any) -> bytes:
        return self._guard(self._stream.readline, *args)

    def readlines(self, *args: Any) -> list[bytes]:
        return self._guard(self._stream.readlines, *args)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _guard_body_reads(wsgi_app: Callable[..., Any]) -> Callable[..., Any]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if "wsgi.input" in environ:
            environ["wsgi.input"] = _GuardedInput(environ["wsgi.input"])
        return wsgi_app(environ, start_response)

    return app


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
        engine=engine, max_content_length=limit,
        reports=dict(collect_reports(engine.pm)), url_prefix=url_prefix,
        admin_actions=dict(collect_admin_actions(engine.pm)),
    )
    app.register_blueprint(blueprint, url_prefix=url_prefix)
    mount_adapters(app, engine)  # portal adapters under /adapters/{name}/


def create_app(config: Config | Mapping[str, Any] | None = None, plugins: Sequence[Any] = (),
               engine: Engine | None = None, *, setup: bool | None = None, dev: bool = False) -> Flask:
    """A Flask app serving the Gongzhi API under ``/api/v1`` and the console under ``/console/``.

    ``config``: a ``Config`` or a mapping of ``GONGZHI_*`` keys (environment
    variables otherwise). ``engine``: an engine built by the caller (tests pass
    one with a ``MovableClock``); ``config`` and ``plugins`` are then ignored.
    ``setup``: run migrations (and, with ``DEPLOY_ON_START``, deploy the
    bundled definitions); default: on unless ``SETUP_ON_START`` is false.
    ``dev``: the console's development sign-in page, which mints tokens for any role
    (``gongzhi serve --dev``); ``CONSOLE=false`` leaves the console out.
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
    if _truthy(extra.get("console", "true")):
        from ..console import init_app as init_console

        init_console(app, engine, api_prefix=URL_PREFIX, dev=dev)
    # Unknown paths and wrong methods anywhere in this app answer with problem details too.
    register_error_handlers(app)
    app.wsgi_app = _guard_body_reads(app.wsgi_app)  # type: ignore[method-assign]
    return app
