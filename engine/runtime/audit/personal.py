"""Personal values kept out of what is hashed, so they can be erased without breaking the chain.

When an event is written, each personal subtree of its details is replaced in the
hashed payload by a marker ``{"$personal": "<digest>"}``, where the digest is a
keyed HMAC of the value bound to its place (chain, seq, path); the value itself
goes to the event's ``personal`` column as ``{"<digest>": value}``. Erasing sets
the value to ``null``: the payload, and so the chain, is unchanged.

Which subtrees are personal is decided by a predicate ``(path, value) -> bool``
called from the details root down (a ``True`` stops the descent there). The
default is conservative: a field name that ``gongzhi.security.masking`` classifies as a
name, phone or ID number, or a string in which ``mask_text`` finds a phone or
ID number.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable, Iterator

import orjson

from ...security.masking import DEFAULT_RULE, ERASED, STRUCTURAL_EVENT_KEYS, mask_text  # ERASED: what readers see

__all__ = ["Predicate", "MARKER", "ERASED", "default_personal", "split", "restore", "markers", "redact"]

Predicate = Callable[[tuple[str, ...], Any], bool]
MARKER = "$personal"


# Both a mobile number and an ID number hold 11 digits in a row: strings without them need no masking scan.
_ELEVEN_DIGITS = re.compile(r"[0-9]{11}")


@lru_cache(maxsize=4096)
def _field(name: str, top: bool) -> bool | None:
    """True: a personal field name; None: a structural top-level key, never personal; False: look at the value."""
    if top and name in STRUCTURAL_EVENT_KEYS:
        return None
    return DEFAULT_RULE.kind_of(name) is not None


def default_personal(path: tuple[str, ...], value: Any) -> bool:
    """A name/phone/ID field by its name, or a string holding a phone or ID number."""
    if value is None or not path:
        return False
    field = _field(path[-1], len(path) == 1)
    if field is not False:
        return bool(field)
    return isinstance(value, str) and _ELEVEN_DIGITS.search(value) is not None and mask_text(value) != value


def canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str)


def _is_marker(value: Any) -> bool:
    return isinstance(value, dict) and MARKER in value


def split(details: dict[str, Any], predicate: Predicate,
          digest: Callable[[tuple[str, ...], Any], str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(details with personal subtrees replaced by markers, {digest: value})."""
    values: dict[str, Any] = {}

    def seal(path: tuple[str, ...], value: Any) -> dict[str, str]:
        key = digest(path, value)
        values[key] = value
        return {MARKER: key}

    return _replace(details, (), predicate, seal), values


def _replace(tree: dict[str, Any], path: tuple[str, ...], predicate: Predicate,
             seal: Callable[[tuple[str, ...], Any], Any]) -> dict[str, Any]:
    """``tree`` with each subtree the predicate picks replaced by ``seal(path, value)``.

    Copy on write: a container that holds nothing personal is returned as it is,
    so an event without personal values costs the walk and no copies. A caller's
    own ``{"$personal": ...}`` object is sealed away too, so every marker is ours.
    One call per container, not per value: this runs for every audit event.
    """

    def walk(at: tuple[str, ...], value: Any) -> Any:
        copy: Any = None
        for key, child in (value.items() if isinstance(value, dict) else enumerate(value)):
            if child is None:
                continue
            here = (*at, key if isinstance(key, str) else str(key))
            if predicate(here, child) or (isinstance(child, dict) and MARKER in child):
                new = seal(here, child)
            elif isinstance(child, (dict, list, tuple)):
                new = walk(here, child)
                if new is child:
                    continue
            else:
                continue
            if copy is None:
                copy = dict(value) if isinstance(value, dict) else list(value)
            copy[key] = new
        return value if copy is None else copy

    return walk(path, tree)


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

    def erase(path: tuple[str, ...], value: Any) -> dict[str, str]:
        nonlocal count
        count += 1
        return {MARKER: ""}

    details = {k: v for k, v in body.items() if k not in fixed}
    redacted = _replace(details, (), predicate, erase)
    return {**body, **redacted}, count
