"""Who a notice reaches: contacts per group, mainland mobile numbers, routes and quiet hours.

Pure configuration objects: nothing here sends anything.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, time
from fnmatch import fnmatchcase
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from gongzhi import ConfigurationError

__all__ = ["Contact", "Route", "QuietHours", "mainland_mobile", "masked_mobile"]

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
        return cls(cid, str(data.get("mobile") or ""), str(data.get("wecom") or ""), str(data.get("dingtalk") or ""))


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

    def window_seconds(self) -> float:
        start = self.start.hour * 3600 + self.start.minute * 60
        end = self.end.hour * 3600 + self.end.minute * 60
        return (end - start) % 86400
