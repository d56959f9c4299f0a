"""Personal values kept out of what is hashed, so they can be erased without breaking the chain.

When an event is written, each personal subtree of its details is replaced in the
hashed payload by a marker ``{"$personal": "<digest>"}``, where the digest is a
keyed HMAC of the value bound to its place (chain, seq, path); the value itself
goes to the event's ``personal`` column as ``{"<digest>": value}``. Erasing sets
the value to ``null``: the payload, and so the chain, is unchanged.

Which subtrees are personal is decided by a predicate ``(path, value) -> bool``
called from the details root down (a ``True`` stops the descent there). The
default is conservative: a field name that ``gongzhi.masking`` classifies as a
name, phone or ID number, or a string in which ``mask_text`` finds a phone or
ID number.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable, Iterator

import orjson

from ...masking import DEFAULT_RULE, STRUCTURAL_EVENT_KEYS, mask_text

__all__ = ["Predicate", "MARKER", "ERASED", "default_personal", "split", "restore", "markers", "redact"]

Predicate = Callable[[tuple[str, ...], Any], bool]
MARKER = "$personal"
ERASED = "已删除"  # what readers see where an erased value was


@lru_cache(maxsize=4096)
def _personal_field(name: str) -> bool:
    return DEFAULT_RULE.kind_of(name) is not None


def default_personal(path: tuple[str, ...], value: Any) -> bool:
    """A name/phone/ID field by its name, or a string holding a phone or ID number."""
    if value is None or (len(path) == 1 and path[0] in STRUCTURAL_EVENT_KEYS):
        return False
    if path and _personal_field(path[-1]):
        return True
    return isinstance(value, str) and mask_text(value) != value


def canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str)


def _is_marker(value: Any) -> bool:
    return isinstance(value, dict) and MARKER in value


def split(details: dict[str, Any], predicate: Predicate,
          digest: Callable[[tuple[str, ...], Any], str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(details with personal subtrees replaced by markers, {digest: value})."""
    values: dict[str, Any] = {}

    def walk(path: tuple[str, ...], value: Any) -> Any:
        # A caller's own {"$personal": ...} object is sealed away too, so every marker is ours.
        if value is not None and (predicate(path, value) or _is_marker(value)):
            key = digest(path, value)
            values[key] = value
            return {MARKER: key}
        if isinstance(value, dict):
            return {k: walk((*path, str(k)), v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk((*path, str(i)), v) for i, v in enumerate(value)]
        return value

    hashed = {k: walk((k,), v) for k, v in details.items()}
    return hashed, values


def markers(body: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every (path, digest) of a marker in a payload body."""
    if _is_marker(body):
        yield path, body[MARKER]
    elif isinstance(body, dict):
        for k, v in body.items():
            yield from markers(v, (*path, k))
    elif isinstance(body, list):
        for i, v in enumerate(body):
            yield from markers(v, (*path, str(i)))


def restore(body: Any, values: dict[str, Any], erased: Any = ERASED) -> Any:
    """The body with every marker replaced by its value, or ``erased`` once erased."""
    if _is_marker(body):
        value = values.get(body[MARKER])
        return erased if value is None else value
    if isinstance(body, dict):
        return {k: restore(v, values, erased) for k, v in body.items()}
    if isinstance(body, list):
        return [restore(v, values, erased) for v in body]
    return body


def redact(body: dict[str, Any], fixed: frozenset[str], predicate: Predicate) -> tuple[dict[str, Any], int]:
    """A legacy body with its personal subtrees replaced by erased markers, and how many there were."""
    count = 0

    def walk(path: tuple[str, ...], value: Any) -> Any:
        nonlocal count
        if value is not None and (predicate(path, value) or _is_marker(value)):
            count += 1
            return {MARKER: ""}
        if isinstance(value, dict):
            return {k: walk((*path, str(k)), v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk((*path, str(i)), v) for i, v in enumerate(value)]
        return value

    redacted = {k: v if k in fixed else walk((k,), v) for k, v in body.items()}
    return redacted, count
