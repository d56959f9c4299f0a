"""``GET /adapters/webhook/subscriptions``: the subscriptions, without their secrets, for admins.

Imported by the web app only, when it mounts the adapter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, Response, jsonify
from gongzhi import NotAllowed

from ..web import current_actor
from .plugin import EVENT_TYPES, WebhookAdapter

if TYPE_CHECKING:  # pragma: no cover
    from gongzhi import Engine

__all__ = ["blueprint"]


def blueprint(adapter: WebhookAdapter, engine: Engine) -> Blueprint:
    bp = Blueprint("webhook", __name__)

    @bp.get("/subscriptions")
    def subscriptions() -> Response:
        if not current_actor().is_admin:
            raise NotAllowed("只有管理员可以查看 webhook 订阅")
        return jsonify({"event_types": list(EVENT_TYPES),
                        "subscriptions": [s.public() for s in adapter.subscriptions.values()]})

    return bp
