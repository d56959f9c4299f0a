"""Open311 GeoReport v2 adapter: ``/adapters/open311/services.json``, ``requests.json`` and the rest.

Entry point: ``open311 = "gongzhi.adapters.open311:plugin"``.
"""

from .plugin import Open311Adapter, Open311Error, Service, plugin

__all__ = ["Open311Adapter", "Open311Error", "Service", "plugin"]
