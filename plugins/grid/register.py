"""The visit register (走访对象名册): households, shops and places by the grid they lie in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from gongzhi import ConfigurationError, load_yaml

__all__ = ["Register", "Target", "TARGET_KINDS", "BUNDLED_REGISTER"]

BUNDLED_REGISTER = Path(__file__).with_name("households.yaml")
TARGET_KINDS = ("居民户", "商户", "场所")


@dataclass(frozen=True)
class Target:
    """One household, shop or place. ``resident``, ``phone`` and ``address`` are personal data."""

    id: str
    kind: str
    grid: str
    address: str
    resident: str = ""
    phone: str = ""
    focus: str = ""  # 重点人群或业态, e.g. 独居老人

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "grid": self.grid, "address": self.address,
                "resident": self.resident, "phone": self.phone.replace(" ", ""), "focus": self.focus}


class Register:
    """Targets by id; :meth:`within` those under a grid path."""

    def __init__(self, targets: Iterable[Target]) -> None:
        self.targets: dict[str, Target] = {}
        for target in targets:
            if target.id in self.targets:
                raise ConfigurationError(f"走访对象名册中编号 {target.id} 重复")
            if target.kind not in TARGET_KINDS:
                raise ConfigurationError(f"走访对象 {target.id} 的类型“{target.kind}”无效；可用：{'、'.join(TARGET_KINDS)}")
            self.targets[target.id] = target

    @classmethod
    def load(cls, path: str | Path | None = None) -> "Register":
        data = load_yaml(path or BUNDLED_REGISTER, "走访对象名册")
        try:
            return cls(Target(str(t["id"]), str(t["kind"]), str(t["grid"]).strip("/"), str(t["address"]),
                              str(t.get("resident") or ""), str(t.get("phone") or ""), str(t.get("focus") or ""))
                       for t in data.get("targets") or ())
        except (KeyError, TypeError) as exc:
            raise ConfigurationError(f"走访对象名册的条目缺少字段：{exc}") from exc

    def check(self, grids: Any) -> None:
        """Every target lies in a grid or micro-grid of the directory ``grids`` (a GridDirectory)."""
        for target in self.targets.values():
            unit = grids.unit(target.grid)
            if unit is None or unit.level not in ("grid", "micro_grid"):
                raise ConfigurationError(f"走访对象 {target.id} 所在网格 {target.grid} 不在网格目录中")

    def within(self, path: str, kinds: Iterable[str] | None = None) -> list[Target]:
        """The targets at ``path`` or below it, of ``kinds`` when given."""
        wanted = set(kinds) if kinds is not None else None
        path = path.strip("/")
        return [t for t in self.targets.values()
                if (t.grid == path or t.grid.startswith(path + "/")) and (wanted is None or t.kind in wanted)]
