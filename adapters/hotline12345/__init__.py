"""12345 hotline work-order exchange (工单): see README.md in this folder for the payloads.

Entry point: ``hotline12345 = "gongzhi.adapters.hotline12345:plugin"``.
"""

from .plugin import ACTIONS, HotlineAdapter, plugin

__all__ = ["HotlineAdapter", "ACTIONS", "plugin"]
