"""What every portal adapter is made of: a name, a Flask blueprint factory, and its configuration.

An adapter is a pluggy plugin whose ``gongzhi_register_adapters`` hook returns
``Adapter`` objects. The HTTP layer mounts each one's blueprint under
``/adapters/{name}/``. Anything with ``.name`` and ``.blueprint(engine)`` works;
this dataclass is the convenient way to write one.

Configuration of adapter ``name`` comes from the engine configuration key
``adapter_<name>`` (environment variable ``GONGZHI_ADAPTER_<NAME>``): either a
mapping (``Engine({"adapter_open311": {...}})``) or the path of a YAML/JSON
file. A mapping given to the plugin's constructor wins over both.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

import yaml
from gongzhi import Actor, ConfigurationError, hookimpl

if TYPE_CHECKING:  # pragma: no cover
    from flask import Blueprint
    from gongzhi import Engine

__all__ = ["Adapter", "AdapterPlugin", "load_config", "service_actor"]


@dataclass(frozen=True)
class Adapter:
    """A portal adapter: ``blueprint(engine)`` builds the Flask blueprint mounted under ``/adapters/{name}/``."""

    name: str
    blueprint: Callable[[Engine], Blueprint]
    title: str = ""
    description: str = ""


def load_config(value: Any, what: str) -> dict[str, Any]:
    """A mapping as it is, or a YAML/JSON file named by a string; ``None`` is empty."""
    if value is None or value == "":
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (str, os.PathLike)):
        path = Path(value)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise ConfigurationError(f"{what}: cannot read {path}: {exc}") from exc
        if not isinstance(data, Mapping):
            raise ConfigurationError(f"{what}: {path} must hold a mapping")
        return dict(data)
    raise ConfigurationError(f"{what}: expected a mapping or a file path, got {type(value).__name__}")


def service_actor(name: str, title: str = "") -> Actor:
    """The account an adapter acts as: it starts and reads cases anywhere in the tree."""
    return Actor.of(f"adapter:{name}", title or name, ["admin"], "", permissions=["pii"])


class AdapterPlugin:
    """Base for adapter plugins: keeps the engine it serves and its resolved configuration.

    Subclasses set ``name`` and implement ``blueprint(engine)``; they may add
    ``gongzhi_register_channels``. ``bind(engine)`` is called when the engine is
    ready (hook ``gongzhi_engine_ready``) and when the blueprint is mounted.
    """

    name = "adapter"
    title = ""

    def __init__(self, config: Mapping[str, Any] | str | None = None) -> None:
        # The plugin's name when passed to ``Engine(plugins=[...])``; differs from the entry-point name
        # (``open311``) so a configured instance can replace the entry point's: disable ``open311``.
        self.__name__ = f"gongzhi.adapters.{self.name}"
        self._explicit = load_config(config, f"adapter '{self.name}'") if config is not None else None
        self._engine: Engine | None = None
        self._config: dict[str, Any] | None = self._explicit
        self._lock = threading.Lock()

    # --- engine and configuration ---------------------------------------------------

    def bind(self, engine: Engine) -> None:
        with self._lock:
            if self._engine is engine:
                return
            self._engine = engine
            if self._explicit is None:
                self._config = load_config(engine.config.extra.get(f"adapter_{self.name}"), f"adapter_{self.name}")
            self.configure(self.config)

    def configure(self, config: Mapping[str, Any]) -> None:
        """Called once the configuration is known; subclasses validate and keep what they need."""

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise ConfigurationError(
                f"adapter '{self.name}' is not bound to an engine yet (the gongzhi_engine_ready hook has not run)")
        return self._engine

    @property
    def bound(self) -> bool:
        return self._engine is not None

    @property
    def config(self) -> dict[str, Any]:
        if self._config is None:
            env = os.environ.get(f"GONGZHI_ADAPTER_{self.name.upper()}")
            return load_config(env, f"GONGZHI_ADAPTER_{self.name.upper()}")
        return self._config

    @property
    def actor(self) -> Actor:
        return service_actor(self.name, self.title)

    # --- hooks ----------------------------------------------------------------------

    @hookimpl
    def gongzhi_engine_ready(self, engine: Engine) -> None:
        self.bind(engine)

    @hookimpl
    def gongzhi_register_adapters(self) -> list[Adapter]:
        return [Adapter(self.name, self._mount, self.title, (type(self).__doc__ or "").strip().splitlines()[0])]

    def _mount(self, engine: Engine) -> Blueprint:
        self.bind(engine)
        return self.blueprint(engine)

    def blueprint(self, engine: Engine) -> Blueprint:  # pragma: no cover - abstract
        raise NotImplementedError

