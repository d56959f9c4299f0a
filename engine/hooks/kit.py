"""Building blocks the domain plugins share, public for third-party plugins too.

- ``load_yaml``: read a plugin's YAML data file, or fail naming the file and line;
- ``Resource``: a data object given ready-made or as a YAML path, read once on first use;
- ``Notifier`` and ``Outbox``: where a plugin's notices go (the in-memory outbox by default).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from pathlib import Path
from typing import Any, Callable, Generic, Mapping, TypeVar

from ..errors import ConfigurationError

__all__ = ["load_yaml", "Resource", "Notifier", "Outbox"]

T = TypeVar("T")
logger = logging.getLogger("gongzhi.notices")

Notifier = Callable[[Mapping[str, Any]], None]


def load_yaml(path: str | Path, what: str) -> dict[str, Any]:
    """The mapping in the YAML file at ``path``; ``what`` names the file for people (e.g. "组织目录")."""
    import yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"{what}文件 {path} 无法读取：{exc.strerror or exc}", path=str(path)) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark is not None else ""
        raise ConfigurationError(f"{what}文件 {path} {where}不是合法的 YAML：{getattr(exc, 'problem', exc)}",
                                 path=str(path)) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigurationError(f"{what}文件 {path} 的顶层应是映射（键: 值），实际是 {type(data).__name__}", path=str(path))
    return data


class Resource(Generic[T]):
    """A plugin's data: the object itself, or a path (None: the bundled file) that ``load`` reads on first use.

    ``load`` errors other than ConfigurationError (a missing key, a duplicate code)
    become a ConfigurationError naming the file, so a bad edit stops the start-up
    with a message instead of a stack trace in the middle of a case.
    """

    def __init__(self, given: T | str | Path | None, kind: type[T], load: Callable[[str | Path | None], T],
                 what: str) -> None:
        self._value: T | None = given if isinstance(given, kind) else None
        self._path = None if isinstance(given, kind) else given
        self._load, self._what = load, what
        self._lock = threading.Lock()

    def __call__(self) -> T:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._read()
        return self._value

    def _read(self) -> T:
        try:
            return self._load(self._path)
        except ConfigurationError:
            raise
        except (KeyError, ValueError, TypeError) as exc:
            raise ConfigurationError(f"{self._what}文件 {self._path or '（内置）'} 有误：{exc}",
                                     path=str(self._path or "")) from exc


class Outbox:
    """The default notifier: logs each notice and keeps the most recent ones in memory."""

    def __init__(self, size: int = 1000) -> None:
        self._items: deque[dict[str, Any]] = deque(maxlen=size)
        self._lock = threading.Lock()

    def __call__(self, notice: Mapping[str, Any]) -> None:
        logger.info("通知 %s → %s", notice.get("kind"), notice.get("to"))  # never the text: it may name people
        with self._lock:
            self._items.append(dict(notice))

    @property
    def items(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
