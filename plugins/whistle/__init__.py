"""吹哨报到 (whistle dispatch): the directory, service tasks and reports behind ``bpmn/whistle``.

Register with ``Engine(plugins=[WhistlePlugin()])`` or the ``gongzhi`` entry point
``whistle = "gongzhi.plugins.whistle:plugin"``.
"""

from .directory import Department, Directory, OrgUnit
from .plugin import WhistlePlugin, plugin
from .annual import annual_ratings
from .reports import Report, ReportConfig, department_report, reports, street_report
from .services import Outbox

__all__ = [
    "WhistlePlugin", "plugin", "Directory", "OrgUnit", "Department", "Outbox",
    "Report", "ReportConfig", "reports", "department_report", "street_report", "annual_ratings",
]
