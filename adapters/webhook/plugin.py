"""Generic webhooks: instance events to subscribed URLs, signed the Standard Webhooks way, through the outbox.

This module is the adapter without the web; ``web.py`` lists the subscriptions to admins.
httpx is loaded by the first delivery (``transport.Sender``).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping

import orjson
from gongzhi import Channel, ConfigurationError, Delivery, InstanceEvent, hookimpl

from ..base import AdapterPlugin
from ..signing import ALGORITHMS, signature_headers
from ..transport import Sender

if TYPE_CHECKING:  # pragma: no cover
    import httpx

__all__ = ["WebhookAdapter", "Subscription", "EVENT_TYPES", "event_types", "plugin"]

# Event types, from the runtime's instance events (``InstanceEvent.kind`` and ``status``).
KIND_TYPES = {"start": "instance.started", "complete": "task.completed", "timer": "timer.fired",
              "message": "message.correlated", "service": "service_task.completed", "cancel": "instance.cancelled"}
STATUS_TYPES = {"completed": "instance.completed", "cancelled": "instance.cancelled"}
EVENT_TYPES = tuple(dict.fromkeys([*KIND_TYPES.values(), *STATUS_TYPES.values()]))
logger = logging.getLogger("gongzhi.adapters.webhook")
_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")


def event_types(kind: str, status: str) -> list[str]:
    """The types an event has, most specific first: ``task.completed`` and, if it ended the case, ``instance.completed``."""
    types = [KIND_TYPES.get(kind, f"instance.{kind}")]
    if status in STATUS_TYPES and STATUS_TYPES[status] not in types:
        types.append(STATUS_TYPES[status])
    return types


@dataclass(frozen=True)
class Subscription:
    """One integrator's URL and the event types it wants; ``secrets[0]`` is current, the others are being retired."""

    id: str
    url: str
    events: tuple[str, ...]
    secrets: tuple[str, ...]
    algorithm: str = "sha256"
    process_keys: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Subscription:
        sub_id = str(data.get("id") or "")
        if not _ID.match(sub_id):
            raise ConfigurationError(f"webhook subscription id '{sub_id}' must be lower-case letters, digits, '-' or '_'")
        url = str(data.get("url") or "")
        if not url.startswith(("http://", "https://")):
            raise ConfigurationError(f"webhook subscription '{sub_id}': url must be http(s)")
        events = tuple(data.get("events") or ("*",))
        unknown = [e for e in events if e != "*" and e not in EVENT_TYPES]
        if unknown:
            raise ConfigurationError(f"webhook subscription '{sub_id}': unknown event types {unknown}; "
                                     f"known: {', '.join(EVENT_TYPES)}")
        secrets = data.get("secrets") or ([data["secret"]] if data.get("secret") else [])
        if not secrets or len(secrets) > 2:
            raise ConfigurationError(f"webhook subscription '{sub_id}': one secret, or two while rotating")
        algorithm = str(data.get("algorithm") or "sha256").lower()
        if algorithm not in ALGORITHMS:
            raise ConfigurationError(f"webhook subscription '{sub_id}': algorithm must be one of {', '.join(ALGORITHMS)}")
        return cls(sub_id, url, events, tuple(str(s) for s in secrets), algorithm, tuple(data.get("process_keys") or ()))

    @property
    def channel(self) -> str:
        return f"webhook.{self.id}"

    def wants(self, types: list[str], process_key: str) -> str | None:
        """The type this subscription receives the event as, or None."""
        if self.process_keys and process_key not in self.process_keys:
            return None
        if "*" in self.events:
            return types[0]
        return next((t for t in types if t in self.events), None)

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "url": self.url, "events": list(self.events), "algorithm": self.algorithm,
                "process_keys": list(self.process_keys), "secrets": len(self.secrets)}


class WebhookAdapter(AdapterPlugin):
    """Generic webhooks: each subscription is an outbox channel ``webhook.<id>``.

    Subscriptions come from the constructor or from ``GONGZHI_ADAPTER_WEBHOOK`` (a YAML
    file with ``subscriptions: [...]``), read when the engine starts: channels are
    registered before the engine reads the rest of its configuration.
    Deliveries are at least once, retried with backoff by the worker, with the
    delivery's ``event_id`` as ``webhook-id`` on every attempt.
    """

    name = "webhook"
    title = "Webhooks"
    web_module = "gongzhi.adapters.webhook.web"

    def __init__(self, config: Mapping[str, Any] | str | None = None, *, transport: httpx.BaseTransport | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(config)
        self.sender = Sender(transport)
        self.clock = clock
        self._subscriptions: dict[str, Subscription] | None = None

    @property
    def subscriptions(self) -> dict[str, Subscription]:
        if self._subscriptions is None:
            items = [Subscription.from_dict(s) for s in self.config.get("subscriptions") or ()]
            by_id: dict[str, Subscription] = {}
            for sub in items:
                if sub.id in by_id:
                    raise ConfigurationError(f"webhook subscription '{sub.id}' is defined twice")
                by_id[sub.id] = sub
            self._subscriptions = by_id
        return self._subscriptions

    def configure(self, config: Mapping[str, Any]) -> None:
        registered = {s.id for s in (self._subscriptions or {}).values()}
        wanted = {str(s.get("id")) for s in config.get("subscriptions") or ()}
        if self._subscriptions is not None and wanted != registered:
            logger.warning("webhook subscriptions in the engine configuration (%s) are ignored: channels were "
                           "registered at start-up from GONGZHI_ADAPTER_WEBHOOK or the constructor (%s)",
                           sorted(wanted), sorted(registered))

    @hookimpl
    def gongzhi_register_channels(self) -> list[Channel]:
        return [self._channel(sub) for sub in self.subscriptions.values()]

    def _channel(self, sub: Subscription) -> Channel:
        def accepts(event: InstanceEvent) -> bool:
            return sub.wants(event_types(event.kind, event.status), event.process_key) is not None

        def deliver(delivery: Delivery) -> None:
            self.deliver(sub, delivery)

        return Channel(sub.channel, deliver, accepts)

    def payload(self, sub: Subscription, delivery: Delivery) -> bytes:
        event = dict(delivery.event)
        kind_type = sub.wants(event_types(str(event.get("kind")), str(event.get("status"))), str(event.get("process_key")))
        return orjson.dumps({"type": kind_type, "timestamp": event.get("at"), "data": event})

    def deliver(self, sub: Subscription, delivery: Delivery) -> None:
        body = self.payload(sub, delivery)
        headers = signature_headers(sub.secrets, delivery.event_id, body, algorithm=sub.algorithm,
                                    timestamp=int(self.clock()))
        self.sender.post(sub.url, body, headers)


plugin = WebhookAdapter()
