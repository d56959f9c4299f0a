"""The provincial data bus: instance events published to RabbitMQ and NATS JetStream through the outbox.

Entry point: ``bus = "gongzhi.adapters.bus:plugin"``. See ``README.md`` beside this file.
"""

from .plugin import BusAdapter, Target, envelope, plugin

__all__ = ["BusAdapter", "Target", "envelope", "plugin"]
