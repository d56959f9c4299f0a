"""Hook implementations of the consultation plugin."""

from __future__ import annotations

from gongzhi import hookimpl

from .reports import Report, reports

__all__ = ["ConsultationPlugin", "plugin"]


class ConsultationPlugin:
    """Registers the consultation reports (the processes themselves are bundled definitions)."""

    @hookimpl
    def gongzhi_register_reports(self) -> list[Report]:
        return reports()


plugin = ConsultationPlugin()
