"""The plugin manager factory and the name-keyed registries built from it."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any, Iterable, TypeVar

import pluggy

from . import specs as hookspecs
from ..errors import ConfigurationError

__all__ = ["get_plugin_manager", "Registry", "BUILTIN_PLUGINS"]

T = TypeVar("T")

# Built-in behaviour goes through the same hooks third parties use.
BUILTIN_PLUGINS = ("gongzhi.hooks.builtin", "gongzhi.calendar")


def get_plugin_manager(plugins: Iterable[Any] = (), disable: Iterable[str] = (), entrypoints: bool = True) -> pluggy.PluginManager:
    """A plugin manager with built-ins, ``gongzhi`` entry points and ``plugins`` registered."""
    import importlib

    pm = pluggy.PluginManager("gongzhi")
    pm.add_hookspecs(hookspecs)
    disabled = set(disable)
    for name in BUILTIN_PLUGINS:
        if name not in disabled:
            pm.register(importlib.import_module(name), name=name)
    if entrypoints:
        for ep in entry_points(group="gongzhi"):
            if ep.name in disabled or pm.has_plugin(ep.name):
                continue
            pm.register(ep.load(), name=ep.name)
    for plugin in plugins:
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        if name in disabled:
            continue
        if pm.has_plugin(name):
            raise ConfigurationError(f"plugin '{name}' is registered twice")
        pm.register(plugin, name=name)
    return pm


class Registry(dict[str, T]):
    """Objects keyed by name; registering a name twice is a start-up error naming both plugins."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.owners: dict[str, str] = {}

    @classmethod
    def collect(cls, pm: pluggy.PluginManager, hook_name: str, kind: str) -> "Registry[Any]":
        registry: Registry[Any] = cls(kind)
        hook = getattr(pm.hook, hook_name)
        for impl in hook.get_hookimpls():
            for item in impl.function() or ():
                registry.add(item, owner=impl.plugin_name)
        return registry

    def add(self, item: T, owner: str) -> None:
        name = getattr(item, "name")
        if name in self:
            raise ConfigurationError(
                f"{self.kind} '{name}' is registered by both '{self.owners[name]}' and '{owner}'; "
                "disable one of them (GONGZHI_DISABLE_PLUGINS)"
            )
        self[name] = item
        self.owners[name] = owner
