"""12345 hotline adapter: work orders in at ``/adapters/hotline12345/work-orders``, progress pushed back.

Entry point: ``hotline12345 = "gongzhi.adapters.hotline12345:plugin"``. Importing it loads
no web framework and no HTTP client; see README.md here for the payloads.
"""

from .plugin import ACTIONS, HotlineAdapter, plugin

__all__ = ["HotlineAdapter", "ACTIONS", "plugin"]
