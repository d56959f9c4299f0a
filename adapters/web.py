"""The web side of inbound adapters: one error policy for every adapter blueprint.

Imported only by the adapters' ``web`` modules, which the web app imports when it
mounts them: this is where Flask comes in, never at engine construction.

``inbound_blueprint(name, import_name, render)`` makes a blueprint whose every failure
is answered by ``render(refused)`` in the portal's own format: a ``Refused`` as it is,
an HTTP error (404, 405, a body too large) or a ``GongzhiError`` below 500 as the
client's mistake (logged in one line, no stack trace), anything else as a 500 with its
traceback in the log and nothing of it in the answer.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue
from gongzhi import Actor, ConfigurationError, GongzhiError
from werkzeug.exceptions import HTTPException

from .inbound import Refused

__all__ = ["inbound_blueprint", "json_object", "current_actor", "ACTOR_EXTENSION"]

# The app that mounts adapters keeps here how it authenticates a request (``() -> Actor``).
ACTOR_EXTENSION = "gongzhi_current_actor"


def inbound_blueprint(name: str, import_name: str, render: Callable[[Refused], ResponseReturnValue],
                      logger: logging.Logger | None = None) -> Blueprint:
    """A blueprint whose errors all reach ``render`` as a ``Refused``."""
    log = logger or logging.getLogger(import_name)
    bp = Blueprint(name, import_name)

    def refused(exc: Refused) -> ResponseReturnValue:
        if exc.status >= 500:
            log.error("%s %s %r -> %d: %s", name, request.method, request.path, exc.status, exc.message,
                      exc_info=exc.__cause__ or exc)
        else:  # the client's mistake: one line (repr escapes newlines), no stack trace
            log.info("%s %s %r -> %d: %r", name, request.method, request.path, exc.status, exc.message[:300])
        return render(exc)

    @bp.errorhandler(Exception)
    def _any(exc: Exception) -> ResponseReturnValue:
        if isinstance(exc, Refused):
            return refused(exc)
        if isinstance(exc, HTTPException):
            status = exc.code or 500
            return refused(Refused(status, exc.description or exc.name, kind=_HTTP_KINDS.get(status, "error")))
        if isinstance(exc, GongzhiError) and exc.http_status < 500:
            return refused(Refused(exc.http_status, exc.message))
        log.exception("%s %s %r failed", name, request.method, request.path)
        return render(Refused(500, "内部错误"))

    return bp


_HTTP_KINDS = {400: "bad-request", 401: "unauthorized", 403: "unauthorized", 404: "not-found"}


def json_object() -> dict[str, Any]:
    """The request body as a JSON object; a ``Refused`` (400) otherwise."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Refused(400, "请求体须为 JSON 对象", kind="bad-request")
    return body


def current_actor() -> Actor:
    """Who sends this request, authenticated as the Gongzhi API authenticates it (plugins, then the token)."""
    resolve = current_app.extensions.get(ACTOR_EXTENSION)
    if resolve is None:
        raise ConfigurationError("adapters need the Gongzhi web app (create_app / init_app) to authenticate callers")
    return resolve()
