"""The 双报到 plugin: registration checks, the community format and the year-end reports."""

from __future__ import annotations

from typing import Any

from gongzhi import FormFormat, Report, ServiceTask, hookimpl

from .reports import reports
from .services import community_format, service_tasks

__all__ = ["PartyPlugin", "plugin"]


class PartyPlugin:
    """Register with ``Engine(plugins=[PartyPlugin()])`` or through the ``gongzhi`` entry point.

    Communities come from the engine's organisation directory (``gongzhi_directory``, e.g. the
    whistle plugin's). Commitments, points per service and the yearly cap are DMN tables in
    ``bpmn/party/party_rules.dmn``.
    """

    def __init__(self) -> None:
        self._engine: Any = None

    def _directory(self) -> Any:
        return self._engine.directory if self._engine is not None else None

    @hookimpl
    def gongzhi_engine_ready(self, engine: Any) -> None:
        self._engine = engine

    @hookimpl
    def gongzhi_register_service_tasks(self) -> list[ServiceTask]:
        return service_tasks(self._directory)

    @hookimpl
    def gongzhi_register_form_formats(self) -> list[FormFormat]:
        return [community_format(self._directory)]

    @hookimpl
    def gongzhi_register_reports(self) -> list[Report]:
        return reports()


plugin = PartyPlugin()
