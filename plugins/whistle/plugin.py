"""The whistle-dispatch plugin: directory, service tasks and reports through Gongzhi's hooks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gongzhi import AdminAction, Notifier, Outbox, Resource, ServiceTask, hookimpl
from gongzhi.humanize import register_names

from .directory import Directory
from .reports import Report, ReportConfig, reports
from .services import service_tasks
from .targets import check_action, check_task

__all__ = ["WhistlePlugin", "plugin"]


class WhistlePlugin:
    """Register with ``Engine(plugins=[WhistlePlugin(...)])`` or through the ``gongzhi`` entry point.

    ``directory``: a :class:`Directory` or a YAML path (default: the bundled 青禾区);
    ``notifier``: called with each urging notice (default: an in-memory :class:`Outbox`);
    ``report_config``: overrides the reports' weights (by default read from the DMN ``whistle_weights``).
    """

    def __init__(self, directory: Directory | str | Path | None = None, notifier: Notifier | None = None,
                 report_config: ReportConfig | None = None) -> None:
        self._directory = Resource(directory, Directory, Directory.load, "组织目录")
        self.notifier: Notifier = notifier or Outbox()
        self.report_config = report_config

    @property
    def directory(self) -> Directory:
        return self._directory()

    @hookimpl
    def gongzhi_register_service_tasks(self) -> list[ServiceTask]:
        return [*service_tasks(lambda: self.directory, self.notifier), check_task(lambda: self.directory)]

    @hookimpl(trylast=True)
    def gongzhi_directory(self) -> Any:
        return self.directory

    @hookimpl
    def gongzhi_register_reports(self) -> list[Report]:
        return reports(self.report_config, lambda: self.directory)

    @hookimpl
    def gongzhi_register_admin_actions(self) -> list[AdminAction]:
        return [check_action(lambda: self.directory)]

    @hookimpl
    def gongzhi_engine_ready(self, engine: Any) -> None:
        # People read department, group and region names, never their codes (gongzhi.humanize).
        register_names("whistle-directory", lambda code: self.directory.display_name(code))

    @hookimpl
    def gongzhi_register_demos(self) -> list[Any]:
        from .demo import demos

        return demos()


plugin = WhistlePlugin()
