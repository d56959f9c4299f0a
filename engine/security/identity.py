"""Who is acting: actors, groups and the administrative region tree.

Regions are paths of administrative codes joined by ``/`` from the root of the
tree, e.g. ``"110105/001/003"`` (district / street / community). A code is made
of digits only, so a region can never carry a wildcard into a query. An actor
sees everything inside the subtrees of their regions; a city reader may hold
several. Only an admin may hold the empty path (the whole tree): an actor who is
not an admin and has no region sees nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from ..errors import InvalidInput

__all__ = ["Actor", "ADMIN_GROUP", "SYSTEM", "normalize_region", "region_contains", "check_region"]

ADMIN_GROUP = "admin"
_CODE = re.compile(r"[0-9]{1,12}")
MAX_DEPTH = 8


def normalize_region(region: str | None) -> str:
    """Canonical form of a region path (no surrounding or doubled slashes); raises InvalidInput
    for anything but digit codes joined by slashes."""
    if not region:
        return ""
    if not isinstance(region, str):
        raise InvalidInput("区域编码必须是字符串，例如 '110105/001'", errors=[{"field": "region", "message": "字符串"}])
    parts = [part.strip() for part in region.split("/") if part.strip()]
    if len(parts) > MAX_DEPTH or not all(_CODE.fullmatch(p) for p in parts):
        raise InvalidInput(f"区域编码 '{region[:40]}' 无效：只能由数字编码和斜杠组成，例如 110105/001",
                           errors=[{"field": "region", "message": "数字编码，以 / 分级"}])
    return "/".join(parts)


def check_region(region: str | None) -> str:
    """The same as ``normalize_region``; the name reads better where input is checked."""
    return normalize_region(region)


def region_contains(outer: str, inner: str) -> bool:
    """True when ``inner`` lies in the subtree rooted at ``outer`` (the empty path is the whole tree)."""
    outer, inner = normalize_region(outer), normalize_region(inner)
    return outer == "" or inner == outer or inner.startswith(outer + "/")


@dataclass(frozen=True)
class Actor:
    """Someone (or something) acting on the engine.

    ``region`` is the actor's first region; ``regions`` all of them (a city-level
    reader may hold several streets). Both are validated and normalised.
    """

    id: str
    name: str = ""
    groups: frozenset[str] = field(default_factory=frozenset)
    region: str = ""
    permissions: frozenset[str] = field(default_factory=frozenset)
    regions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.id or not isinstance(self.id, str):
            raise ValueError("an actor needs a non-empty string id")
        object.__setattr__(self, "groups", frozenset(self.groups))
        object.__setattr__(self, "permissions", frozenset(self.permissions))
        regions = tuple(dict.fromkeys(normalize_region(r) for r in (self.regions or (self.region,))))
        if len(regions) > 1 and "" in regions:
            regions = ("",)  # the whole tree already holds every other region
        object.__setattr__(self, "regions", regions)
        object.__setattr__(self, "region", regions[0])

    @classmethod
    def of(
        cls,
        id: str,
        name: str = "",
        groups: Iterable[str] = (),
        region: str = "",
        permissions: Iterable[str] = (),
        regions: Iterable[str] = (),
    ) -> "Actor":
        return cls(id, name or id, frozenset(groups), region, frozenset(permissions), tuple(regions))

    @property
    def is_admin(self) -> bool:
        return ADMIN_GROUP in self.groups

    @property
    def whole_tree(self) -> bool:
        """An admin without a region limit."""
        return self.is_admin and self.regions == ("",)

    @property
    def scoped_regions(self) -> tuple[str, ...]:
        """The subtrees this actor sees: ``()`` for nothing, ``("",)`` for the whole tree."""
        if self.regions == ("",) and not self.is_admin:
            return ()
        return self.regions

    def can_see(self, region: str) -> bool:
        return any(region_contains(outer, region) for outer in self.scoped_regions)

    def may_act_on(self, candidate_groups: Iterable[str]) -> bool:
        """Membership in one of the candidate groups, or admin."""
        return self.is_admin or bool(self.groups.intersection(candidate_groups))

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "groups": sorted(self.groups), "region": self.region,
                "regions": list(self.regions)}

    def snapshot(self) -> dict[str, Any]:
        """What is kept of an actor to check later what they were allowed to do (buffered messages)."""
        return {**self.as_dict(), "permissions": sorted(self.permissions)}

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> "Actor":
        return cls.of(str(data["id"]), str(data.get("name") or ""), data.get("groups") or (),
                      permissions=data.get("permissions") or (), regions=data.get("regions") or (data.get("region") or "",))


SYSTEM = Actor("system", "系统", frozenset({ADMIN_GROUP}), "")
