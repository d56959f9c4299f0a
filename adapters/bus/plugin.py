"""The provincial data bus: each configured target is an outbox channel ``bus.<id>``.

A target is a RabbitMQ topic exchange or a NATS JetStream stream. What is published is an
envelope (CloudEvents 1.0, JSON) of the event's non-personal fields only: see ``envelope``
and ``README.md``. The broker clients (pika, nats-py) are imported on the first publish.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

import orjson
from gongzhi import Channel, ConfigurationError, Delivery, InstanceEvent, hookimpl

from ..base import Adapter, AdapterPlugin
from ..webhook.plugin import EVENT_TYPES, event_types
from .amqp import RabbitPublisher
from .jetstream import JetStreamPublisher

__all__ = ["BusAdapter", "Target", "envelope", "plugin", "PUBLISHED_FIELDS"]

# What of an instance event leaves the engine: identifiers, codes and times, never a person.
# ``actor_id`` names a resident when one acted (a WeChat user, a hotline caller's account) and the
# event's ``data`` may carry anything a plugin put there: neither is ever published.
PUBLISHED_FIELDS = ("kind", "instance_id", "process_key", "element_id", "task_id", "region", "status", "business_key")
BROKERS = ("rabbitmq", "nats")
_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")
_TOKEN = re.compile(r"[^A-Za-z0-9_\-]")  # what may stand in one routing-key or subject token
_NAME = re.compile(r"^[A-Za-z0-9_\-.]{1,200}$")


def token(text: str) -> str:
    """One routing-key / subject token: dots and wildcards would split or widen it, so they become ``_``."""
    return _TOKEN.sub("_", text) or "_"


def envelope(delivery: Delivery, source: str, event_type: str) -> dict[str, Any]:
    """The published message: a CloudEvent whose ``id`` is the delivery's event id (stable across retries)."""
    event = delivery.event
    return {"specversion": "1.0", "id": delivery.event_id, "source": source, "type": f"cn.gongzhi.{event_type}",
            "subject": str(event.get("instance_id")), "time": event.get("at"),
            "datacontenttype": "application/json", "data": {k: event.get(k) for k in PUBLISHED_FIELDS}}


@dataclass(frozen=True)
class Target:
    """One broker destination and the events it wants."""

    id: str
    broker: str
    prefix: str  # the first token of every routing key / subject
    events: tuple[str, ...] = ("*",)
    process_keys: tuple[str, ...] = ()
    url: str = ""  # rabbitmq: amqp://user:password@host:port/vhost
    exchange: str = ""
    servers: tuple[str, ...] = ()  # nats: nats://host:port, ...
    stream: str = ""
    timeout: float = 5.0
    duplicate_window: float = 120.0  # nats: seconds JetStream remembers a message id

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Target:
        tid = str(data.get("id") or "")
        what = f"bus target '{tid}'"
        if not _ID.match(tid):
            raise ConfigurationError(f"bus target id '{tid}' must be lower-case letters, digits, '-' or '_'")
        broker = str(data.get("broker") or "")
        if broker not in BROKERS:
            raise ConfigurationError(f"{what}: broker must be one of {', '.join(BROKERS)}")
        events = tuple(data.get("events") or ("*",))
        unknown = [e for e in events if e != "*" and e not in EVENT_TYPES]
        if unknown:
            raise ConfigurationError(f"{what}: unknown event types {unknown}; known: {', '.join(EVENT_TYPES)}")
        prefix = str(data.get("prefix") or "gongzhi")
        if token(prefix) != prefix:
            raise ConfigurationError(f"{what}: prefix '{prefix}' must be one token (letters, digits, '-', '_')")
        timeout = _positive(data.get("timeout", 5.0), f"{what}: timeout")
        common = {"id": tid, "broker": broker, "prefix": prefix, "events": events, "timeout": timeout,
                  "process_keys": tuple(str(k) for k in data.get("process_keys") or ())}
        if broker == "rabbitmq":
            url, exchange = str(data.get("url") or ""), str(data.get("exchange") or "gongzhi.events")
            if not url.startswith(("amqp://", "amqps://")):
                raise ConfigurationError(f"{what}: url must be amqp:// or amqps://")
            if not _NAME.match(exchange) or exchange.startswith("amq."):
                raise ConfigurationError(f"{what}: exchange '{exchange}' is not a name we may declare")
            return cls(**common, url=url, exchange=exchange)
        servers = data.get("servers") or ([data["url"]] if data.get("url") else [])
        servers = tuple(str(s) for s in ([servers] if isinstance(servers, str) else servers))
        if not servers or not all(s.startswith(("nats://", "tls://")) for s in servers):
            raise ConfigurationError(f"{what}: servers must be nats:// or tls:// addresses")
        stream = str(data.get("stream") or "GONGZHI_EVENTS")
        if not re.match(r"^[A-Za-z0-9_\-]{1,64}$", stream):
            raise ConfigurationError(f"{what}: stream '{stream}' must be letters, digits, '-' or '_'")
        window = _positive(data.get("duplicate_window", 120.0), f"{what}: duplicate_window")
        return cls(**common, servers=servers, stream=stream, duplicate_window=window)

    @property
    def channel(self) -> str:
        return f"bus.{self.id}"

    def wants(self, kind: str, status: str, process_key: str) -> str | None:
        """The event type this target receives the event as, or None."""
        if self.process_keys and process_key not in self.process_keys:
            return None
        types = event_types(kind, status)
        if "*" in self.events:
            return types[0]
        return next((t for t in types if t in self.events), None)

    def route(self, event: Mapping[str, Any]) -> str:
        """``<prefix>.<process_key>.<kind>``: the routing key (RabbitMQ) or subject (NATS)."""
        return f"{self.prefix}.{token(str(event.get('process_key')))}.{token(str(event.get('kind')))}"

    def public(self) -> dict[str, Any]:
        """The target as an admin may see it: where, never the credentials."""
        where = ({"exchange": self.exchange, "url": _without_password(self.url)} if self.broker == "rabbitmq"
                 else {"stream": self.stream, "servers": [_without_password(s) for s in self.servers]})
        return {"id": self.id, "broker": self.broker, "prefix": self.prefix, "events": list(self.events),
                "process_keys": list(self.process_keys), **where}


def _positive(value: Any, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{what} must be a number of seconds") from None
    if number <= 0:
        raise ConfigurationError(f"{what} must be more than 0 seconds")
    return number


def _without_password(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", url)


class BusAdapter(AdapterPlugin):
    """The provincial data bus: instance events to RabbitMQ exchanges and NATS JetStream streams.

    Configuration (``adapter_bus``, or ``GONGZHI_ADAPTER_BUS`` naming a YAML file, or the
    constructor): ``source`` (the CloudEvents source, e.g. ``urn:gongzhi:330106``) and
    ``targets: [...]`` (see ``Target``), read when the engine registers its channels.
    Publishing is at least once: a publish the broker did not confirm raises, the outbox
    retries it with backoff and after the last try opens an incident; a retried message
    carries the same event id (RabbitMQ ``message_id``, NATS ``Nats-Msg-Id``).
    """

    name = "bus"
    title = "数据总线"

    def __init__(self, config: Mapping[str, Any] | str | None = None) -> None:
        super().__init__(config)
        self._targets: dict[str, Target] | None = None
        self._publishers: dict[str, RabbitPublisher | JetStreamPublisher] = {}

    @property
    def source(self) -> str:
        return str(self.config.get("source") or "urn:gongzhi")

    @property
    def targets(self) -> dict[str, Target]:
        if self._targets is None:
            found: dict[str, Target] = {}
            for raw in self.config.get("targets") or ():
                target = Target.from_dict(raw)
                if target.id in found:
                    raise ConfigurationError(f"bus target '{target.id}' is defined twice")
                found[target.id] = target
            self._targets = found
        return self._targets

    @hookimpl
    def gongzhi_register_adapters(self) -> list[Adapter]:
        return []  # no web endpoints: the bus only publishes

    @hookimpl
    def gongzhi_register_channels(self) -> list[Channel]:
        return [self._channel(target) for target in self.targets.values()]

    def _channel(self, target: Target) -> Channel:
        def accepts(event: InstanceEvent) -> bool:
            return target.wants(event.kind, event.status, event.process_key) is not None

        def deliver(delivery: Delivery) -> None:
            self.deliver(target, delivery)

        return Channel(target.channel, deliver, accepts)

    def body(self, target: Target, delivery: Delivery) -> bytes:
        event = delivery.event
        event_type = target.wants(str(event.get("kind")), str(event.get("status")), str(event.get("process_key")))
        return orjson.dumps(envelope(delivery, self.source, event_type or event_types(str(event.get("kind")), "")[0]))

    def deliver(self, target: Target, delivery: Delivery) -> None:
        """Publish one event; returns once the broker has it, raises ``DeliveryFailed`` otherwise."""
        body, route = self.body(target, delivery), target.route(delivery.event)
        publisher = self.publisher(target)
        if isinstance(publisher, RabbitPublisher):
            publisher.publish(route, body, delivery.event_id, _seconds(delivery.event.get("at")))
        else:
            publisher.publish(route, body, delivery.event_id)

    def publisher(self, target: Target) -> RabbitPublisher | JetStreamPublisher:
        found = self._publishers.get(target.id)
        if found is None:
            if target.broker == "rabbitmq":
                found = RabbitPublisher(target.url, target.exchange, target.timeout)
            else:
                found = JetStreamPublisher(target.servers, target.stream, [f"{target.prefix}.>"], target.timeout,
                                           target.duplicate_window)
            found = self._publishers.setdefault(target.id, found)
        return found

    def close(self) -> None:
        """Close every broker connection (an engine shutting down, a test finishing)."""
        for publisher in self._publishers.values():
            publisher.close()
        self._publishers.clear()


def _seconds(at: Any) -> int:
    try:
        return int(datetime.fromisoformat(str(at)).timestamp())
    except ValueError:
        return 0


plugin = BusAdapter()
