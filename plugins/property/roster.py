"""The roster: property companies and the residential compounds (小区) they manage.

Read from YAML (the bundled ``roster.yaml`` describes the fictional 青禾区). The
roster says who managed each compound when the roster was written; who manages
it for a given period also depends on expulsions decided since, which the
review reads from the engine (see :mod:`.records`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

__all__ = ["Company", "Compound", "Roster", "DEFAULT_ROSTER"]

DEFAULT_ROSTER = Path(__file__).with_name("roster.yaml")


@dataclass(frozen=True)
class Company:
    code: str  # 统一社会信用代码
    name: str


@dataclass(frozen=True)
class Compound:
    """A residential compound, the grids it lies in and the company that manages it."""

    code: str
    name: str
    grids: tuple[str, ...]
    company: str
    since: str = ""
    addresses: tuple[str, ...] = ()

    @property
    def street(self) -> str:
        return "/".join(self.grids[0].split("/")[:2]) if self.grids else ""

    @property
    def community(self) -> str:
        return "/".join(self.grids[0].split("/")[:3]) if self.grids else ""

    def covers_grid(self, grid: str) -> bool:
        grid = (grid or "").strip("/")
        return any(grid == g or grid.startswith(g + "/") for g in self.grids)

    def mentioned_in(self, address: str) -> bool:
        return any(word and word in (address or "") for word in self.addresses)


@dataclass
class Roster:
    companies: dict[str, Company] = field(default_factory=dict)
    compounds: dict[str, Compound] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path | None = None) -> "Roster":
        from gongzhi import load_yaml

        return cls.from_dict(load_yaml(path or DEFAULT_ROSTER, "物业名册"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Roster":
        roster = cls()
        for item in data.get("companies") or ():
            company = Company(str(item["code"]), str(item["name"]))
            if company.code in roster.companies:
                raise ValueError(f"物业企业代码重复：{company.code}")
            roster.companies[company.code] = company
        for item in data.get("compounds") or ():
            compound = Compound(str(item["code"]), str(item["name"]), tuple(str(g).strip("/") for g in item.get("grids") or ()),
                                str(item["company"]), str(item.get("since") or ""),
                                tuple(str(a) for a in item.get("addresses") or ()))
            if compound.code in roster.compounds:
                raise ValueError(f"小区编码重复：{compound.code}")
            if compound.company not in roster.companies:
                raise ValueError(f"小区 {compound.code} 的物业企业 {compound.company} 不在企业名录中")
            roster.compounds[compound.code] = compound
        return roster

    def company_name(self, code: str) -> str:
        company = self.companies.get(code)
        return company.name if company else code

    def display_name(self, code: str) -> str | None:
        """The name of a compound or company code (for ``gongzhi.humanize.name_of``); None when unknown."""
        found = self.compounds.get(code) or self.companies.get(code)
        return found.name if found else None

    def match(self, grid: str, address: str, compound: str | None = None) -> Compound | None:
        """The compound a case is about: named outright, else by address keyword, else by grid."""
        if compound and compound in self.compounds:
            return self.compounds[compound]
        named = [c for c in self.compounds.values() if c.mentioned_in(address)]
        if named:
            return named[0]
        return next((c for c in self.compounds.values() if c.covers_grid(grid)), None)

