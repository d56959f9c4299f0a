"""共治控制台 (the Gongzhi Console): a browser face for designers, administrators and officers.

A Flask blueprint serving a page shell and static ES modules. The pages talk to the engine
only through the public HTTP API (``/api/v1``) with the user's bearer token, so the console
proves the API is enough for a portal's own front end. The runtime never imports this package.

Mount it with ``init_app(app, engine, url_prefix="/console")`` next to ``gongzhi.api.init_app``.
"""

from __future__ import annotations

from .app import CONSOLE_PREFIX, init_app

__all__ = ["init_app", "CONSOLE_PREFIX"]
