"""Who is acting: actors, groups and the administrative region tree.

Regions are paths of administrative codes joined by ``/`` from the root of the
tree, e.g. ``"110105/001/003"`` (district / street / community). An actor sees
everything inside their own subtree; the empty path is the whole tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

__all__ = ["Actor", "ADMIN_GROUP", "SYSTEM", "normalize_region", "region_contains"]

ADMIN_GROUP = "admin"


def normalize_region(region: str | None) -> str:
    """Canonical form of a region path: no surrounding or doubled slashes."""
    if not region:
        return ""
    if not isinstance(region, str):
        raise TypeError("region must be a string path such as '110105/001'")
    return "/".join(part.strip() for part in region.split("/") if part.strip())


def region_contains(outer: str, inner: str) -> bool:
    """True when ``inner`` lies in the subtree rooted at ``outer``."""
    outer, inner = normalize_region(outer), normalize_region(inner)
    return outer == "" or inner == outer or inner.startswith(outer + "/")


@dataclass(frozen=True)
class Actor:
    """Someone (or something) acting on the engine."""

    id: str
    name: str = ""
    groups: frozenset[str] = field(default_factory=frozenset)
    region: str = ""
    permissions: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not self.id or not isinstance(self.id, str):
            raise ValueError("an actor needs a non-empty string id")
        object.__setattr__(self, "groups", frozenset(self.groups))
        object.__setattr__(self, "permissions", frozenset(self.permissions))
        object.__setattr__(self, "region", normalize_region(self.region))

    @classmethod
    def of(
        cls,
        id: str,
        name: str = "",
        groups: Iterable[str] = (),
        region: str = "",
        permissions: Iterable[str] = (),
    ) -> "Actor":
        return cls(id, name or id, frozenset(groups), region, frozenset(permissions))

    @property
    def is_admin(self) -> bool:
        return ADMIN_GROUP in self.groups

    def can_see(self, region: str) -> bool:
        return region_contains(self.region, region)

    def may_act_on(self, candidate_groups: Iterable[str]) -> bool:
        """Membership in one of the candidate groups, or admin."""
        return self.is_admin or bool(self.groups.intersection(candidate_groups))

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "groups": sorted(self.groups), "region": self.region}


SYSTEM = Actor("system", "系统", frozenset({ADMIN_GROUP}), "")
