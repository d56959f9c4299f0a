"""The red/black-list plugin: roster, service tasks and reports through Gongzhi's hooks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gongzhi import FormFormat, Notifier, Outbox, Report, Resource, ServiceTask, hookimpl
from gongzhi.humanize import register_names

from .periods import period_label
from .records import PropertyConfig
from .reports import reports
from .roster import Roster
from .services import score_survey, service_tasks

__all__ = ["PropertyPlugin", "plugin", "SURVEY_CSV"]

SURVEY_CSV = "property-survey-csv"  # the format name survey.json gives the survey_csv field


class PropertyPlugin:
    """Register with ``Engine(plugins=[PropertyPlugin(...)])`` or through the ``gongzhi`` entry point.

    ``roster``: a :class:`Roster` or a YAML path (default: the bundled 青禾区 roster);
    ``notifier``: receives publications and notices (default: an in-memory :class:`Outbox`);
    ``config``: what counts as a complaint, survey answer points.
    The scoring weights, thresholds and consequences are DMN tables in ``bpmn/property``.
    """

    def __init__(self, roster: Roster | str | Path | None = None, notifier: Notifier | None = None,
                 config: PropertyConfig | None = None) -> None:
        self._roster = Resource(roster, Roster, Roster.load, "物业名册")
        self.notifier: Notifier = notifier or Outbox()
        self.config = config or PropertyConfig()

    @property
    def roster(self) -> Roster:
        return self._roster()

    @hookimpl
    def gongzhi_register_service_tasks(self) -> list[ServiceTask]:
        return service_tasks(lambda: self.roster, self.notifier, self.config)

    @hookimpl
    def gongzhi_register_form_formats(self) -> list[FormFormat]:
        # The survey form accepts exactly the CSV that property.survey can score.
        return [FormFormat(SURVEY_CSV, lambda text: score_survey(text, self.config), "居民满意度问卷（CSV，含满意度列）",
                           example="序号,满意度\n1,满意\n2,基本满意\n")]

    @hookimpl
    def gongzhi_register_reports(self) -> list[Report]:
        return reports()

    @hookimpl
    def gongzhi_engine_ready(self, engine: Any) -> None:
        register_names("property-periods", period_label)  # people read 2026年第一季度, not 2026Q1
        register_names("property-roster", lambda code: self.roster.display_name(code))

    @hookimpl
    def gongzhi_register_demos(self) -> list[Any]:
        from .demo import demos

        return demos()


plugin = PropertyPlugin()
