"""The plugin manager factory and the name-keyed registries built from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, entry_points, version
from typing import Any, Iterable, TypeVar

import pluggy

from . import specs as hookspecs
from ..errors import ConfigurationError

__all__ = ["get_plugin_manager", "Registry", "BUILTIN_PLUGINS", "PluginInfo", "describe_plugins"]

T = TypeVar("T")

# Built-in behaviour goes through the same hooks third parties use. Registered name -> module;
# the names predate the move into gongzhi.hooks and stay what GONGZHI_DISABLE_PLUGINS takes.
BUILTIN_PLUGINS = {"gongzhi.builtin_services": "gongzhi.hooks.builtin", "gongzhi.calendar": "gongzhi.calendar"}


def get_plugin_manager(plugins: Iterable[Any] = (), disable: Iterable[str] = (), entrypoints: bool = True) -> pluggy.PluginManager:
    """A plugin manager with built-ins, ``gongzhi`` entry points and ``plugins`` registered."""
    import importlib

    pm = pluggy.PluginManager("gongzhi")
    pm.add_hookspecs(hookspecs)
    versions: dict[str, str] = {}
    disabled = set(disable)
    for name, module in BUILTIN_PLUGINS.items():
        if name not in disabled:
            pm.register(importlib.import_module(module), name=name)
            versions[name] = _gongzhi_version()
    if entrypoints:
        for ep in entry_points(group="gongzhi"):
            if ep.name in disabled or pm.has_plugin(ep.name):
                continue
            pm.register(ep.load(), name=ep.name)
            versions[ep.name] = ep.dist.version if ep.dist is not None else ""
    for plugin in plugins:
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        if name in disabled:
            continue
        if pm.has_plugin(name):
            raise ConfigurationError(f"plugin '{name}' is registered twice")
        pm.register(plugin, name=name)
        versions[name] = str(getattr(plugin, "__version__", "") or "")
    pm.gongzhi_versions = versions  # type: ignore[attr-defined]  # read by describe_plugins
    return pm


def _gongzhi_version() -> str:
    try:
        return version("gongzhi")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without metadata
        return ""


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


# What each registration hook's results are called, for people and for ``gongzhi plugins``.
REGISTRATIONS = {
    "gongzhi_register_service_tasks": "service_tasks",
    "gongzhi_register_channels": "channels",
    "gongzhi_register_demos": "demos",
    "gongzhi_register_form_formats": "form_formats",
    "gongzhi_register_reports": "reports",
    "gongzhi_register_adapters": "adapters",
    "gongzhi_register_audit_sinks": "audit_sinks",
    "gongzhi_register_admin_actions": "admin_actions",
}


@dataclass(frozen=True)
class PluginInfo:
    """One loaded plugin: its name, version, what it registers (kind -> names) and the other hooks it implements."""

    name: str
    version: str
    registers: dict[str, list[str]] = field(default_factory=dict)
    hooks: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "registers": self.registers, "hooks": self.hooks}


def describe_plugins(pm: pluggy.PluginManager) -> list[PluginInfo]:
    """Every plugin ``pm`` holds, in registration order, with what it contributes.

    Registration hooks are asked again (they return plain objects and do nothing
    else); provider and observer hooks are listed by name.
    """
    versions = getattr(pm, "gongzhi_versions", {})
    found: dict[str, PluginInfo] = {}
    for name, plugin in pm.list_name_plugin():
        found[name] = PluginInfo(name, versions.get(name, ""))
    for hook_name in sorted(n for n in dir(pm.hook) if n.startswith("gongzhi_")):
        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            info = found.get(impl.plugin_name)
            if info is None:
                continue
            if hook_name in REGISTRATIONS:
                names = [str(getattr(item, "name", item)) for item in impl.function() or ()]
                info.registers.setdefault(REGISTRATIONS[hook_name], []).extend(names)
            else:
                info.hooks.append(hook_name)
    return list(found.values())
