"""What every portal adapter is made of: a name, a blueprint factory, and its configuration.

An adapter is a pluggy plugin whose ``gongzhi_register_adapters`` hook returns
``Adapter`` objects. The HTTP layer mounts each one's blueprint under
``/adapters/{name}/``. Anything with ``.name`` and ``.blueprint(engine)`` works;
this dataclass is the convenient way to write one.

Nothing here imports Flask: an engine, a worker and the adapters' outbox channels run
without the web stack. The blueprint is built only by the web app: ``AdapterPlugin``
imports the adapter's ``web_module`` (e.g. ``gongzhi.adapters.open311.web``) the first
time the app asks for its blueprint, and that module is where Flask is imported.

Configuration of adapter ``name`` comes from the engine configuration key
``adapter_<name>`` (environment variable ``GONGZHI_ADAPTER_<NAME>``): either a
mapping (``Engine({"adapter_open311": {...}})``) or the path of a YAML/JSON
file. A mapping given to the plugin's constructor wins over both.
"""

from __future__ import annotations

import importlib
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping

from gongzhi import Actor, ConfigurationError, hookimpl

from .cases import CaseProfile
from .intake import Intake
from .loading import load_config, load_yaml

if TYPE_CHECKING:  # pragma: no cover
    from flask import Blueprint
    from gongzhi import Engine

__all__ = ["Adapter", "AdapterPlugin", "load_config", "load_yaml", "service_actor"]


@dataclass(frozen=True)
class Adapter:
    """A portal adapter: ``blueprint(engine)`` builds the Flask blueprint mounted under ``/adapters/{name}/``.

    ``blueprint`` is a factory the web app calls; import Flask inside it (or in a module it
    imports), never at the top of the module your entry point names.
    """

    name: str
    blueprint: Callable[[Engine], Blueprint]
    title: str = ""
    description: str = ""


def service_actor(name: str, title: str = "") -> Actor:
    """The account an adapter acts as: it starts and reads cases anywhere in the tree."""
    return Actor.of(f"adapter:{name}", title or name, ["admin"], "", permissions=["pii"])


class AdapterPlugin:
    """Base for adapter plugins: keeps the engine it serves and its resolved configuration.

    Subclasses set ``name`` and either ``web_module`` (the dotted name of a module with
    ``blueprint(adapter, engine)``, imported only when the web app mounts the adapter) or
    override ``blueprint(engine)`` (importing Flask inside it); they may add
    ``gongzhi_register_channels``. ``bind(engine)`` is called when the engine is ready
    (hook ``gongzhi_engine_ready``) and when the blueprint is mounted.

    The process the adapter starts and reads, and which of its variables describe a case,
    is ``self.profile`` (``adapter_<name>.process``: a mapping or a YAML file; default the
    bundled ``process.yaml``, see ``gongzhi.adapters.cases``).
    """

    name = "adapter"
    title = ""
    web_module: str | None = None

    def __init__(self, config: Mapping[str, Any] | str | None = None) -> None:
        # The plugin's name when passed to ``Engine(plugins=[...])``; differs from the entry-point name
        # (``open311``) so a configured instance can replace the entry point's: disable ``open311``.
        self.__name__ = f"gongzhi.adapters.{self.name}"
        self._explicit = load_config(config, f"adapter '{self.name}'") if config is not None else None
        self._engine: Engine | None = None
        self._config: dict[str, Any] | None = self._explicit
        self._profile: CaseProfile | None = None
        self._lock = threading.Lock()

    # --- engine and configuration ---------------------------------------------------

    def bind(self, engine: Engine) -> None:
        with self._lock:
            if self._engine is engine:
                return
            self._engine = engine
            if self._explicit is None:
                self._config = load_config(engine.config.extra.get(f"adapter_{self.name}"), f"adapter_{self.name}")
            self._profile = CaseProfile.load(self.config.get("process"), f"adapter_{self.name}.process")
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
    def profile(self) -> CaseProfile:
        """The process this adapter serves (``process_key``) and how its cases are summarised."""
        return self._profile or CaseProfile.bundled()

    @property
    def process_key(self) -> str:
        return self.profile.process_key

    @property
    def actor(self) -> Actor:
        return service_actor(self.name, self.title)

    def intake(self) -> Intake:
        """De-duplicating intake of this adapter's reports (source: its name) into its process."""
        return Intake(self.engine, self.name, self.actor, process_key=self.process_key)

    def owns(self, business_key: str | None) -> bool:
        """Whether a case came in through this adapter (its business key is ``<name>:<external id>``)."""
        return (business_key or "").startswith(self.name + ":")

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

    def blueprint(self, engine: Engine) -> Blueprint:
        """The Flask blueprint: ``web_module``'s ``blueprint(self, engine)``, imported now, not before."""
        if self.web_module is None:  # pragma: no cover - a subclass without either
            raise NotImplementedError(f"adapter '{self.name}' sets neither web_module nor blueprint()")
        return importlib.import_module(self.web_module).blueprint(self, engine)
