"""The consultation plugin (请你来商量, 三会): reports over the bundled ``consultation_*`` processes.

Register it with ``Engine(plugins=[gongzhi.plugins.consultation.plugin])`` or
through the ``gongzhi`` entry point ``consultation = "gongzhi.plugins.consultation:plugin"``.
"""

from __future__ import annotations

from .plugin import ConsultationPlugin, plugin
from .reports import VARIANTS, Report, TopicFacts, collect_topics, reports

__all__ = ["ConsultationPlugin", "plugin", "Report", "TopicFacts", "VARIANTS", "collect_topics", "reports"]
