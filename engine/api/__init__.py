"""The HTTP API: a Flask blueprint and an app factory over the runtime's Python API.

    from gongzhi.api import create_app          # a ready app (``gongzhi serve`` runs it)
    from gongzhi.api import init_app            # mount into your own Flask app

See ``README.md`` in this folder for the layering rule.
"""

from __future__ import annotations

from .app import DEFAULT_MAX_CONTENT_LENGTH, URL_PREFIX, create_app, init_app
from .blueprint import blueprint
from ..hooks.objects import Report  # the one report contract, also importable from gongzhi

__all__ = ["create_app", "init_app", "blueprint", "Report", "URL_PREFIX", "DEFAULT_MAX_CONTENT_LENGTH"]
