"""The WeChat server callback: URL verification, signed (and optionally encrypted) messages, text replies.

Imported by the web app only, when it mounts the adapter; wechatpy comes in with it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import Blueprint, Response, request
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from ..inbound import Refused
from ..web import inbound_blueprint
from .plugin import WeChatAdapter

if TYPE_CHECKING:  # pragma: no cover
    from gongzhi import Engine

__all__ = ["blueprint"]

logger = logging.getLogger("gongzhi.adapters.wechat")
TEXT = "text/plain; charset=utf-8"


def _render_refused(exc: Refused) -> Response:
    return Response(exc.message, status=exc.status, content_type=TEXT)


def _signed(token: str) -> None:
    """The platform's signature of the callback URL; a ``Refused`` (403) when it does not match."""
    args = request.args
    try:
        check_signature(token, args.get("signature", ""), args.get("timestamp", ""), args.get("nonce", ""))
    except InvalidSignatureException as exc:
        raise Refused(403, "invalid signature", kind="unauthorized") from exc


def blueprint(adapter: WeChatAdapter, engine: Engine) -> Blueprint:
    bp = inbound_blueprint("wechat", __name__, _render_refused, logger)

    @bp.get("/callback")
    def verify() -> Response:
        _signed(str(adapter.token))
        return Response(request.args.get("echostr", ""), content_type=TEXT)

    @bp.post("/callback")
    def receive() -> Response:
        if not adapter.token:
            raise Refused(503, "wechat adapter not configured", kind="unconfigured")
        _signed(adapter.token)
        args = request.args
        timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
        crypto = None
        if args.get("encrypt_type") == "aes":
            if not adapter.aes_key:
                raise Refused(403, "encrypted mode is not configured", kind="unauthorized")
            crypto = WeChatCrypto(adapter.token, adapter.aes_key, adapter.app_id)
            try:
                xml = crypto.decrypt_message(request.get_data(), args.get("msg_signature", ""), timestamp, nonce)
            except (InvalidSignatureException, InvalidAppIdException) as exc:
                raise Refused(403, "invalid signature", kind="unauthorized") from exc
        else:
            xml = request.get_data(as_text=True)
        try:
            message = parse_message(xml)
        except Exception as exc:  # noqa: BLE001 - whatever the XML parser raises, the body was not a message
            raise Refused(400, "malformed message", kind="bad-request") from exc
        text = adapter.reply_to(message)
        if text is None:
            return Response("success", content_type="text/plain")
        reply = TextReply(content=text, message=message).render()
        if crypto is not None:
            reply = crypto.encrypt_message(reply, nonce, timestamp)
        return Response(reply, content_type="application/xml; charset=utf-8")

    return bp
