"""Personal data declared by a process: which variables hold residents' personal information.

Two places declare it, and a process version carries the union of both (its own
files and the subprocesses it calls):

- **forms**: a JSON Schema property annotated ``"x-pii": "<kind>"`` declares the
  variable (nested objects and array items give dotted paths, ``a.b``);
- **the process**: a ``spiffworkflow:property`` named ``personalData`` on the
  ``bpmn:process`` element lists variables written by scripts, adapters and
  messages, as ``path:kind`` pairs separated by commas
  (``reporter_mobile:phone, open311.email:email``); a path segment may be ``*``.

Once declared, a variable is personal everywhere in the case: instance
variables, task data, the audit trail, reports and adapters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Iterable, Iterator, Mapping

from ..errors import Problem

__all__ = ["KINDS", "PersonalData", "from_form", "parse_property", "PROPERTY", "REVEAL_PROPERTY"]

KINDS = ("phone", "id", "name", "address", "email", "location", "text")
PROPERTY = "personalData"
REVEAL_PROPERTY = "personalDataNeeded"  # on a user task: the declared variables its holder sees unmasked
FORM_KEY = "x-pii"


@dataclass(frozen=True)
class PersonalData:
    """Declared personal variables of one process version: path patterns (dict keys only, array
    levels skipped) mapped to their kind."""

    fields: tuple[tuple[tuple[str, ...], str], ...] = ()
    _exact: dict[tuple[str, ...], str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._exact.update({p: k for p, k in self.fields if not any("*" in s for s in p)})

    @classmethod
    def of(cls, pairs: Iterable[tuple[tuple[str, ...], str]]) -> "PersonalData":
        return cls(tuple(dict.fromkeys(pairs)))

    def __bool__(self) -> bool:
        return bool(self.fields)

    def merge(self, other: "PersonalData") -> "PersonalData":
        return PersonalData.of([*self.fields, *other.fields])

    def kind_at(self, path: tuple[str, ...]) -> str | None:
        """The declared kind of the value at ``path``, or None."""
        kind = self._exact.get(path)
        if kind is not None or len(self._exact) == len(self.fields):
            return kind
        for pattern, kind in self.fields:
            if len(pattern) == len(path) and all(fnmatchcase(s, p) for s, p in zip(path, pattern)):
                return kind
        return None

    def covers(self, path: tuple[str, ...]) -> bool:
        """True when ``path`` or one of its ancestors is declared (the whole subtree is personal)."""
        return any(self.kind_at(path[:n]) for n in range(1, len(path) + 1))

    def as_list(self) -> list[dict[str, str]]:
        return [{"path": ".".join(p), "kind": k} for p, k in self.fields]


def _walk_schema(schema: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    if not isinstance(schema, Mapping):
        return
    kind = schema.get(FORM_KEY)
    if isinstance(kind, str) and path:
        yield path, kind
    for name, sub in (schema.get("properties") or {}).items():
        yield from _walk_schema(sub, (*path, str(name)))
    for key in ("items", "additionalProperties", "if", "then", "else", "not"):
        yield from _walk_schema(schema.get(key), path)
    for key in ("allOf", "anyOf", "oneOf", "prefixItems"):
        for sub in schema.get(key) or ():
            yield from _walk_schema(sub, path)
    for sub in (schema.get("$defs") or {}).values():
        yield from _walk_schema(sub, path)


def from_form(schema: Mapping[str, Any]) -> PersonalData:
    return PersonalData.of(_walk_schema(schema, ()))


def form_problems(file: str, schema: Mapping[str, Any]) -> list[Problem]:
    """Unknown kinds in a form's ``x-pii`` annotations."""
    return [Problem(file, f"字段 {'.'.join(path)} 的 x-pii 值 '{kind}' 无效；可用：{'、'.join(KINDS)}",
                    code="personal-data")
            for path, kind in _walk_schema(schema, ()) if kind not in KINDS]


def parse_property(value: str) -> tuple[PersonalData, list[str]]:
    """``"a:phone, b.c:name"`` -> the declaration and the entries that could not be read."""
    pairs, bad = [], []
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            continue
        path, _, kind = entry.rpartition(":")
        segments = tuple(s.strip() for s in path.split(".")) if path else ()
        if not segments or not all(segments) or kind.strip() not in KINDS:
            bad.append(entry)
            continue
        pairs.append((segments, kind.strip()))
    return PersonalData.of(pairs), bad
