"""What goes wrong with grid files and with a place to locate."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigurationError, InvalidInput, NotFound

__all__ = ["GridProblem", "GridInvalid", "OutsideDistrict", "AddressUnmatched", "NoGridData"]


@dataclass(frozen=True)
class GridProblem:
    """One thing wrong in the directory files, naming the unit (its name and region path) it concerns."""

    region: str
    name: str
    message: str
    rule: str  # containment | code | geometry | households | member | reference | boundary | format

    def __str__(self) -> str:
        who = f"{self.name}（{self.region}）" if self.name else self.region
        return f"{who}：{self.message}" if who else self.message

    def as_dict(self) -> dict[str, str]:
        return {"region": self.region, "name": self.name, "message": self.message, "rule": self.rule}


class GridInvalid(ConfigurationError):
    """The directory files break one or more rules; nothing of them is used."""

    def __init__(self, problems: list[GridProblem], source: str = "") -> None:
        where = f"网格目录 {source} " if source else "网格目录"
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{where}有 {len(problems)} 处错误：\n{lines}", problems=list(problems), path=source)


class OutsideDistrict(InvalidInput):
    def __init__(self, lon: float, lat: float, district: str) -> None:
        super().__init__(f"坐标（经度 {lon}，纬度 {lat}）不在{district}范围内",
                         errors=[{"field": "lon", "message": f"不在{district}范围内"}], lon=lon, lat=lat)


class AddressUnmatched(NotFound):
    def __init__(self) -> None:
        # The address is not repeated: it may be a resident's home.
        super().__init__("该地址不符合任何地址规则，无法确定网格")


class NoGridData(NotFound):
    def __init__(self, what: str = "网格目录") -> None:
        super().__init__(f"本系统没有配置{what}（组织目录中缺少网格边界）")
