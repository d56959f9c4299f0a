"""双报到 and points (党员积分): registration checks, service counting and year-end reports behind ``bpmn/party``.

Register with ``Engine(plugins=[PartyPlugin()])`` or the ``gongzhi`` entry point
``party = "gongzhi.plugins.party:plugin"``. Needs an organisation directory (the whistle
plugin's, or an integrator's ``gongzhi_directory``) for the communities.
"""

from .plugin import PartyPlugin, plugin
from .records import Registration, Service, registrations, services
from .reports import member_rows, reports, unit_rows

__all__ = ["PartyPlugin", "plugin", "Registration", "Service", "registrations", "services", "member_rows",
           "unit_rows", "reports"]
