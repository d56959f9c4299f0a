"""Mounting the console: the page shell, the hashed static files, the security headers, and
(only with ``dev``) the development sign-in."""

from __future__ import annotations

from typing import Any, Iterable

import orjson
from flask import Blueprint, Flask, Response, abort, render_template, request, send_from_directory

from ..errors import GongzhiError
from ..runtime.engine import Engine
from .assets import ONE_YEAR, STATIC, build_id
from .dev import mint_for_role, roles

__all__ = ["init_app", "CONSOLE_PREFIX", "content_security_policy"]

CONSOLE_PREFIX = "/console"


def content_security_policy(frame_ancestors: Iterable[str] = ()) -> str:
    """No inline script and no eval; styles may be inline (bpmn-js and the form library set them)."""
    ancestors = " ".join(["'self'", *frame_ancestors])
    return "; ".join([
        "default-src 'none'", "script-src 'self'", "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:", "font-src 'self' data:", "connect-src 'self'",
        f"frame-ancestors {ancestors}", "base-uri 'none'", "form-action 'self'", "object-src 'none'",
    ])


def _origins(value: Any) -> list[str]:
    """Portal origins allowed to frame the console and to hand it a token by ``postMessage``."""
    items = value if isinstance(value, (list, tuple)) else str(value or "").split(",")
    return [o.strip() for o in items if o.strip().startswith(("https://", "http://"))]


def init_app(app: Flask, engine: Engine, *, url_prefix: str = CONSOLE_PREFIX, api_prefix: str = "/api/v1",
             dev: bool = False, portal_origins: Iterable[str] | None = None) -> None:
    """Mount the console at ``url_prefix``; its pages call the API mounted at ``api_prefix``.

    ``dev`` adds the development sign-in page, which mints tokens for any role: never in
    production. ``portal_origins`` (default: config ``CONSOLE_PORTAL_ORIGINS``, comma-separated)
    may frame the console and hand it a token by ``postMessage``.
    """
    prefix = url_prefix.rstrip("/")
    origins = _origins(portal_origins if portal_origins is not None
                       else engine.config.extra.get("console_portal_origins"))
    policy = content_security_policy(origins)
    bp = Blueprint(f"gongzhi_console_{len(app.blueprints)}", __name__, template_folder="templates")
    build = build_id()

    def shell(page: str) -> Response:
        html = render_template("gongzhi_console.html", api=api_prefix.rstrip("/"), base=f"{prefix}/",
                               assets=f"{prefix}/assets/{build}", dev=dev, page=page, origins=",".join(origins))
        response = Response(html, mimetype="text/html")
        response.headers["Cache-Control"] = "no-cache"
        return response

    @bp.after_request
    def _headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = policy
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    @bp.get("/")
    def index() -> Response:
        return shell("app")

    @bp.get("/assets/<build_hash>/<path:name>")
    def asset(build_hash: str, name: str) -> Response:
        if build_hash != build:
            abort(404)  # an old page asking for files that have changed since: reload the shell
        response = send_from_directory(STATIC, name, max_age=ONE_YEAR)
        response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
        return response

    if dev:
        _mount_dev(bp, engine, shell)
    app.register_blueprint(bp, url_prefix=prefix)


def _mount_dev(bp: Blueprint, engine: Engine, shell: Any) -> None:
    """The development sign-in: a role picker over the demo directory that mints tokens."""
    from ..api.problems import from_gongzhi

    @bp.get("/dev/sign-in")
    def dev_sign_in() -> Response:
        return shell("dev-sign-in")

    @bp.get("/dev/roles")
    def dev_roles() -> Response:
        return Response(orjson.dumps(roles(engine.directory)), mimetype="application/json")

    @bp.post("/dev/token")
    def dev_token() -> Response:
        # JSON only: a cross-site form cannot send it without a CORS preflight, which is refused.
        if request.mimetype != "application/json":
            abort(415)
        try:
            token = mint_for_role(engine.config.secret_key, engine.directory, request.get_json(silent=True))
        except GongzhiError as exc:
            return from_gongzhi(exc)
        return Response(orjson.dumps({"token": token}), mimetype="application/json")
