"""What a request needs from the app: the engine, settings and the authenticated actor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g, request

from ..security.identity import Actor

from ..runtime.engine import Engine
from ..security.tokens import InvalidToken, actor_from_token

__all__ = ["ApiState", "state", "current_actor", "EXTENSION"]

EXTENSION = "gongzhi"


@dataclass
class ApiState:
    """Per-app settings of the mounted blueprint (kept in ``app.extensions["gongzhi"]``)."""

    engine: Engine
    max_content_length: int
    reports: dict[str, Any] = field(default_factory=dict)
    admin_actions: dict[str, Any] = field(default_factory=dict)
    openapi: dict[str, Any] | None = None  # built on first request, then cached
    url_prefix: str = "/api/v1"


def state() -> ApiState:
    return current_app.extensions[EXTENSION]


def _bearer() -> str:
    header = request.headers.get("Authorization", "").strip()
    if not header:
        raise InvalidToken("缺少令牌：请在请求头中提供 Authorization: Bearer <token>")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("Authorization 请求头格式应为 'Bearer <token>'")
    return token.strip()


def current_actor() -> Actor:
    """The actor of this request: an integrator's ``gongzhi_authenticate`` plugin first, then the JWT."""
    actor = g.get("gongzhi_actor")
    if actor is not None:
        return actor
    engine = state().engine
    actor = engine.pm.hook.gongzhi_authenticate(request=request)
    if actor is None:
        actor = actor_from_token(engine.config.secret_key, _bearer())
    elif not isinstance(actor, Actor):
        raise TypeError(f"gongzhi_authenticate returned {type(actor).__name__}, expected Actor or None")
    g.gongzhi_actor = actor
    return actor
