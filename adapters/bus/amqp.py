"""Publishing to RabbitMQ with pika: a durable topic exchange, persistent messages, publisher confirms.

pika is imported on the first publish, not before. One blocking connection per target, used
under a lock (pika's connections are not thread-safe); a broken one is dropped and the next
publish opens a new one. A publish returns only once the broker confirmed it; anything else
raises ``DeliveryFailed`` and the outbox tries again later.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

from ..transport import DeliveryFailed

__all__ = ["RabbitPublisher"]


class RabbitPublisher:
    """Publishes bodies to one exchange; ``publish`` raises ``DeliveryFailed`` unless the broker confirmed."""

    def __init__(self, url: str, exchange: str, timeout: float) -> None:
        self.url, self.exchange, self.timeout = url, exchange, timeout
        self._connection: Any = None
        self._channel: Any = None
        self._lock = threading.Lock()

    @property
    def where(self) -> str:
        """The broker's address without credentials: what errors and logs may show."""
        parts = urlsplit(self.url)
        return f"{parts.hostname}:{parts.port or 5672}"

    def publish(self, routing_key: str, body: bytes, event_id: str, timestamp: int) -> None:
        import pika
        import pika.exceptions

        properties = pika.BasicProperties(content_type="application/cloudevents+json", delivery_mode=2,
                                          message_id=event_id, timestamp=timestamp, headers={"ce-id": event_id})
        with self._lock:
            try:
                channel = self._open()
                # mandatory: a message no queue is bound for comes back as unroutable, never silently dropped
                channel.basic_publish(self.exchange, routing_key, body, properties, mandatory=True)
            except pika.exceptions.UnroutableError as exc:
                raise DeliveryFailed(f"RabbitMQ {self.where}: exchange '{self.exchange}' routes "
                                     f"'{routing_key}' to no queue") from exc
            except pika.exceptions.AMQPConnectionError as exc:
                self._drop()
                raise DeliveryFailed(f"RabbitMQ {self.where}: cannot connect ({type(exc).__name__} {exc})"[:500]) from exc
            except (pika.exceptions.AMQPError, OSError) as exc:
                self._drop()
                raise DeliveryFailed(f"RabbitMQ {self.where}: {type(exc).__name__}: {exc}"[:500]) from exc

    def _open(self) -> Any:
        if self._channel is not None and self._channel.is_open and self._connection.is_open:
            return self._channel
        import pika

        self._drop()
        params = pika.URLParameters(self.url)
        params.socket_timeout = params.stack_timeout = params.blocked_connection_timeout = self.timeout
        params.connection_attempts, params.retry_delay = 1, 0
        self._connection = pika.BlockingConnection(params)
        channel = self._connection.channel()
        channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)
        channel.confirm_delivery()
        self._channel = channel
        return channel

    def _drop(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is gone either way
                pass

    def close(self) -> None:
        with self._lock:
            self._drop()
