"""物业服务质量红黑榜 (property-company red/black list): the roster, service tasks and reports behind ``bpmn/property``.

Register with ``Engine(plugins=[PropertyPlugin()])`` or the ``gongzhi`` entry point
``property = "gongzhi.plugins.property:plugin"``. Reads whistle-dispatch cases, so
it is used together with the whistle plugin.
"""

from .periods import Period, parse_period, period_ending_before
from .plugin import PropertyPlugin, plugin
from .records import (
    PropertyConfig,
    company_history,
    period_records,
    review_entries,
    whistle_stats,
)
from .reports import period_lists, reports
from .roster import Company, Compound, Roster
from .services import score_survey

__all__ = [
    "PropertyPlugin", "plugin", "PropertyConfig", "Roster", "Company", "Compound", "Period", "parse_period",
    "period_ending_before", "whistle_stats", "period_records", "review_entries", "company_history", "period_lists",
    "reports", "score_survey",
]
