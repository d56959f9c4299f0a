"""Reading adapter configuration: a mapping as it is, or the YAML (or JSON) file a string names.

Shared by every adapter (their settings, Open311's service catalogue, WeChat's keyword
catalogue, the process profile) so that a bad file fails the same way everywhere: a
``ConfigurationError`` naming the setting and the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from gongzhi import ConfigurationError, load_yaml  # the one YAML loader (gongzhi.hooks.kit)

__all__ = ["load_config", "load_yaml"]


def load_config(value: Any, what: str) -> dict[str, Any]:
    """A mapping as it is, or a YAML/JSON file named by a string; ``None`` is empty."""
    if value is None or value == "":
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (str, os.PathLike)):
        return load_yaml(value, what)
    raise ConfigurationError(f"{what}: expected a mapping or a file path, got {type(value).__name__}")


BUNDLED_CATALOGUE = Path(__file__).with_name("services.yaml")


def catalogue(config: Mapping[str, Any], what: str) -> list[Mapping[str, Any]]:
    """The service catalogue an adapter reads (Open311's services, WeChat's keywords): ``services``
    (a list in the configuration) or ``services_file`` (default: the bundled ``services.yaml``)."""
    raw = config.get("services") or load_yaml(config.get("services_file") or BUNDLED_CATALOGUE,
                                              f"{what}.services_file").get("services") or []
    if not isinstance(raw, list) or not all(isinstance(item, Mapping) for item in raw):
        raise ConfigurationError(f"{what}: services must be a list of mappings")
    return raw
