"""Hook implementations of the consultation plugin."""

from __future__ import annotations

from typing import Any

from gongzhi import hookimpl

from .reports import Report, reports

__all__ = ["ConsultationPlugin", "plugin"]


class ConsultationPlugin:
    """Registers the consultation reports and the demo story (the processes themselves are bundled definitions)."""

    @hookimpl
    def gongzhi_register_reports(self) -> list[Report]:
        return reports()

    @hookimpl
    def gongzhi_register_demos(self) -> list[Any]:
        from .demo import demos

        return demos()


plugin = ConsultationPlugin()
