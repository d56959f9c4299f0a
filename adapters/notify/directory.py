"""Who a notice reaches: people from the directory, mainland mobile numbers, routes and quiet hours.

Nothing here sends anything. People come from the organisation directory (``gongzhi_directory``):
a directory that answers ``notice_contacts(group, region)`` names them for any group; the grid
layer's people (with their phones) stand for the groups ``grid_groups`` maps to grid roles; the
adapter's own ``contacts`` list is only the fallback for groups the directory has no people for.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from fnmatch import fnmatchcase
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo

from gongzhi import ConfigurationError, InvalidInput

__all__ = ["Contact", "Route", "QuietHours", "InvalidMobileNumber", "mainland_mobile", "masked_mobile",
           "directory_contacts"]

# China mainland mobile numbers: 11 digits, 1 then 3–9 (the MIIT number plan), optionally +86 / 0086.
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def mainland_mobile(raw: str) -> str | None:
    """The 11-digit mainland mobile number in ``raw`` (spaces, dashes, full-width digits, +86 allowed), or None."""
    text = re.sub(r"[\s\-()（）]", "", unicodedata.normalize("NFKC", str(raw or "")))
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and len(text) == len(prefix) + 11:
            text = text[len(prefix):]
            break
    return text if _MOBILE.match(text) else None


class InvalidMobileNumber(InvalidInput):
    """A contact's phone is not a China mainland mobile number: never texted, never retried."""

    def __init__(self) -> None:
        super().__init__("不是中国大陆手机号（11 位，以 1 开头，第二位为 3–9）")


def masked_mobile(number: str) -> str:
    """What a send record shows of a number: ``138****8000``."""
    return f"{number[:3]}****{number[-4:]}" if len(number) >= 7 else "****"


@dataclass(frozen=True)
class Contact:
    """A person notices reach: an id for the records, and their addresses on each channel."""

    id: str
    mobile: str = ""  # as configured; checked when a notice is sent
    wecom: str = ""  # WeCom userid
    dingtalk: str = ""  # DingTalk userid

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], group: str) -> Contact:
        cid = str(data.get("id") or "")
        if not cid:
            raise ConfigurationError(f"notify contacts of group '{group}': every contact needs an id")
        mobile = data.get("mobile") or data.get("phone") or ""
        return cls(cid, str(mobile), str(data.get("wecom") or ""), str(data.get("dingtalk") or ""))

    @classmethod
    def of(cls, person: Any, group: str) -> Contact:
        """A directory's person (a mapping, or an object with ``id`` and ``mobile``/``phone``, ``wecom``, ``dingtalk``)."""
        if isinstance(person, Mapping):
            return cls.from_dict(person, group)
        fields = ("id", "mobile", "phone", "wecom", "dingtalk")
        return cls.from_dict({k: getattr(person, k, "") for k in fields}, group)


def directory_contacts(directory: Any, group: str, region: str, grid_roles: Iterable[str] = ()) -> list[Contact] | None:
    """The people of ``group`` for a case in ``region`` as the directory knows them, or None when it knows none.

    A directory with ``notice_contacts(group, region)`` answers for every group (an empty list is
    an answer: nobody). Otherwise, for a group mapped to grid roles, the grid layer's people holding
    one of ``grid_roles`` on the case's grid or a grid above it (a micro-grid's grid)."""
    if directory is None:
        return None
    ask = getattr(directory, "notice_contacts", None)
    if callable(ask):
        found = ask(group, region)
        if found is not None:
            return [Contact.of(p, group) for p in found]
    roles = set(grid_roles)
    if not roles:
        return None
    from gongzhi import grid

    try:
        grids = grid.of(directory)
    except grid.NoGridData:
        return None
    parts, people = (region or "").strip("/").split("/"), {}
    for depth in range(len(parts), 0, -1):  # the case's unit first, then the units above it
        path = "/".join(parts[:depth])
        for member in grids.members_of(path):
            if any(a.grid == path and a.role in roles for a in member.assignments):
                people.setdefault(member.id, Contact(member.id, member.phone))
    return list(people.values())


@dataclass(frozen=True)
class Route:
    """Which channels a notice kind uses for the groups it names (``dept_*`` patterns allowed)."""

    channels: tuple[str, ...]
    kinds: tuple[str, ...] = ("*",)
    groups: tuple[str, ...] = ("*",)

    def matches(self, kind: str, group: str) -> bool:
        return any(fnmatchcase(kind, k) for k in self.kinds) and any(fnmatchcase(group, g) for g in self.groups)


@dataclass(frozen=True)
class QuietHours:
    """No non-urgent notice goes out between ``start`` and ``end`` (local time; the window may span midnight)."""

    start: time
    end: time
    urgent: tuple[str, ...]
    zone: ZoneInfo

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> QuietHours | None:
        if not data:
            return None
        try:
            start, end = time.fromisoformat(str(data["from"])), time.fromisoformat(str(data["to"]))
        except (KeyError, ValueError) as exc:
            raise ConfigurationError("notify quiet_hours needs from and to as HH:MM") from exc
        return cls(start, end, tuple(str(k) for k in data.get("urgent_kinds") or ()),
                   ZoneInfo(str(data.get("timezone") or "Asia/Shanghai")))

    def holds(self, kind: str, at: datetime) -> bool:
        """Whether a notice of ``kind`` must wait at ``at``."""
        if kind in self.urgent:
            return False
        now = at.astimezone(self.zone).time()
        return self.start <= now < self.end if self.start < self.end else now >= self.start or now < self.end

    def ends_after(self, at: datetime) -> datetime:
        """The moment the quiet window holding ``at`` ends (aware, UTC): when a held notice goes out."""
        local = at.astimezone(self.zone)
        end = datetime.combine(local.date(), self.end, tzinfo=self.zone)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, tzinfo=self.zone)
        return end.astimezone(timezone.utc)

    def window_seconds(self) -> float:
        start = self.start.hour * 3600 + self.start.minute * 60
        end = self.end.hour * 3600 + self.end.minute * 60
        return (end - start) % 86400
