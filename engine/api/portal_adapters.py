"""Mounting portal adapters: every ``gongzhi_register_adapters`` result under ``/adapters/{name}/``.

An adapter is any object with ``name`` and ``blueprint(engine)`` returning a Flask
blueprint (see ``gongzhi.adapters.base.Adapter``). The blueprints are built here, by
the web app, and only here: adapters import Flask inside that factory, so an engine or a
worker never loads it. Names are unique (a second adapter with the same name stops the
start-up, naming both plugins); disable one with ``GONGZHI_DISABLE_PLUGINS`` to replace it.

Adapter blueprints that need the caller's identity get it from
``app.extensions[ACTOR_EXTENSION]`` (``gongzhi.adapters.web.current_actor``): the API's
own authentication, so adapters do not reach into this package. (This module is not
called ``adapters.py``: nothing under ``engine/`` may carry that name.)
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from ..errors import ConfigurationError
from ..hooks.manager import Registry
from ..runtime.engine import Engine
from .context import current_actor

__all__ = ["mount_adapters", "ADAPTER_PREFIX", "ACTOR_EXTENSION"]

ADAPTER_PREFIX = "/adapters"
ACTOR_EXTENSION = "gongzhi_current_actor"  # the same name as gongzhi.adapters.web.ACTOR_EXTENSION
_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")


def mount_adapters(app: Flask, engine: Engine, prefix: str = ADAPTER_PREFIX) -> dict[str, Any]:
    """Mount each adapter's blueprint; returns the adapters by name.

    The engine told its plugins it is ready when it was built (``gongzhi_engine_ready``, once);
    an adapter binds itself to the engine again when its blueprint is built.
    """
    adapters: Registry[Any] = Registry.collect(engine.pm, "gongzhi_register_adapters", "adapter")
    app.extensions[ACTOR_EXTENSION] = current_actor
    for name, adapter in adapters.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise ConfigurationError(f"adapter name '{name}' must be lower-case letters, digits, '-' or '_'")
        blueprint = adapter.blueprint(engine)
        app.register_blueprint(blueprint, url_prefix=f"{prefix}/{name}", name=f"gongzhi_adapter_{name.replace('-', '_')}")
    app.extensions["gongzhi_adapters"] = dict(adapters)
    return dict(adapters)
