"""Open311 GeoReport v2 adapter: ``/adapters/open311/services.json``, ``requests.json`` and the rest.

Entry point: ``open311 = "gongzhi.adapters.open311:plugin"``. Importing it loads no web
framework; ``web.py`` (the blueprint) is imported when the web app mounts the adapter.
"""

from .plugin import Open311Adapter, Open311Error, Service, load_services, plugin

__all__ = ["Open311Adapter", "Open311Error", "Service", "load_services", "plugin"]
