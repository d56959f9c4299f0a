"""The notice channel: urging notices found in a case's audit trail, sent to people by SMS or WeCom.

A notice service task (``whistle.notify``) runs inside a command; its call, with its parameters,
is written to the instance's audit trail in the same transaction, and the command's instance event
queues an outbox delivery to this channel. Delivering it reads the calls of that command back from
the audit trail (as an actor without ``pii``: texts come masked), routes each notice to its
recipients' channels, and sends. So notices inherit the outbox's guarantees: retried with backoff,
an incident after the last try; quiet hours defer a delivery to the moment they end.

Each send (notice, person, channel) is claimed in the store (``engine.claims``) before the
provider is called and finished with its send record after: a retry, another worker or a
restarted one never sends it again. A claim left by a worker that died between the provider's
call and the record is ``unconfirmed``: it may have gone out, so it is not sent a second time.
"""

from __future__ import annotations

import hashlib
import logging
from collections import deque
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Mapping

import orjson
from gongzhi import Actor, Channel, ConfigurationError, Delivery, DeliveryDeferred, InstanceEvent, hookimpl
from gongzhi.humanize import beijing, name_of

from ..base import Adapter, AdapterPlugin
from ..loading import load_yaml
from ..transport import DeliveryFailed
from .directory import Contact, InvalidMobileNumber, QuietHours, Route, directory_contacts, mainland_mobile, masked_mobile
from .providers import DingTalkWork, Permanent, SmsProvider, Transient, WeComApp, sms_provider

__all__ = ["NotifyAdapter", "SendRecord", "plugin"]
logger = logging.getLogger("gongzhi.adapters.notify")
CHANNEL = "notice"
_MAX_PARAM = 35  # characters an SMS template variable may hold (Alibaba Cloud's limit for most kinds)


@dataclass(frozen=True)
class SendRecord:
    """One attempt to reach one person: who, when, channel, template, outcome — never the text."""

    at: str
    event_id: str
    instance_id: str
    kind: str
    group: str
    contact: str
    channel: str
    address: str  # masked: 138****8000, or the WeCom userid
    template: str
    outcome: str  # sent | held | retry | refused | invalid_number | no_address | no_contact | unconfirmed
    provider_id: str = ""
    error: str = ""


class NotifyAdapter(AdapterPlugin):
    """Urging notices (催签、催报到、催办) to the people of the groups they name, by SMS and WeCom.

    Configuration (``adapter_notify`` / ``GONGZHI_ADAPTER_NOTIFY`` / the constructor):
    ``process_keys`` and ``operators`` (where notices come from; default the whistle processes
    and ``whistle.notify``), ``grid_groups`` (groups whose people are the directory's grid people
    of those roles), ``contacts`` or ``contacts_file`` (group -> people, for the groups the
    directory has no people for), ``routes``
    (which channels a kind uses per group), ``quiet_hours``, and one block per provider
    (``sms``, ``wecom``). See README.md.
    """

    name = "notify"
    title = "通知触达"

    def __init__(self, config: Mapping[str, Any] | str | None = None, *, transport: Any = None) -> None:
        super().__init__(config)
        self.transport = transport  # an httpx transport for the HTTP-API providers (DingTalk); None: httpx's own
        self._providers: dict[str, Any] | None = None
        self.records: deque[SendRecord] = deque(maxlen=10000)  # this process's records; the store keeps each send's

    # --- configuration ------------------------------------------------------------

    @property
    def process_keys(self) -> tuple[str, ...]:
        return tuple(self.config.get("process_keys") or ("whistle_dispatch", "whistle_department", "whistle_target_alert"))

    @property
    def operators(self) -> tuple[str, ...]:
        return tuple(self.config.get("operators") or ("whistle.notify",))

    def configure(self, config: Mapping[str, Any]) -> None:
        if not config:  # the entry point's plugin with nothing configured: no channel, nothing to check
            self.contacts, self.routes, self.default_channels, self.quiet, self.providers = {}, [], (), None, {}
            self.grid_groups = {}
            return
        self.contacts = self._contacts(config)
        self.grid_groups = {str(g): tuple(_grid_role(r) for r in roles or ())
                            for g, roles in (config.get("grid_groups") or {}).items()}
        self.routes = [Route(tuple(r.get("channels") or ()), tuple(r.get("kinds") or ("*",)),
                             tuple(r.get("groups") or ("*",))) for r in config.get("routes") or ()]
        self.default_channels = tuple(config.get("default_channels") or ("sms",))
        self.quiet = QuietHours.from_dict(config.get("quiet_hours"))
        self.providers = self._make_providers(config)
        for channel in {c for r in self.routes for c in r.channels} | set(self.default_channels):
            if channel not in self.providers:
                raise ConfigurationError(f"notify: channel '{channel}' is routed to but not configured")

    @staticmethod
    def _contacts(config: Mapping[str, Any]) -> dict[str, list[Contact]]:
        raw = config.get("contacts")
        if raw is None and config.get("contacts_file"):
            raw = load_yaml(config["contacts_file"], "adapter_notify.contacts_file").get("contacts")
        if not isinstance(raw or {}, Mapping):
            raise ConfigurationError("notify contacts: a mapping of group -> list of people")
        return {str(group): [Contact.from_dict(p, str(group)) for p in people or ()]
                for group, people in (raw or {}).items()}

    def _make_providers(self, config: Mapping[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if config.get("sms"):
            found["sms"] = sms_provider(config["sms"])
        if config.get("wecom"):
            found["wecom"] = WeComApp(config["wecom"])
        if config.get("dingtalk"):
            found["dingtalk"] = DingTalkWork(config["dingtalk"], self.transport)
        return found

    def contacts_for(self, group: str, region: str) -> list[Contact]:
        """The people a notice to ``group`` about a case in ``region`` reaches: the directory's, else the fallback list."""
        found = directory_contacts(self.engine.directory, group, region, self.grid_groups.get(group, ()))
        return found if found is not None else list(self.contacts.get(group) or ())

    def channels_for(self, kind: str, group: str) -> tuple[str, ...]:
        route = next((r for r in self.routes if r.matches(kind, group)), None)
        return route.channels if route else self.default_channels

    # --- hooks ----------------------------------------------------------------------

    @hookimpl
    def gongzhi_register_adapters(self) -> list[Adapter]:
        return []  # no web endpoints

    @hookimpl
    def gongzhi_register_channels(self) -> list[Channel]:
        if not self.config:
            return []  # not configured: no channel, no deliveries queued

        def accepts(event: InstanceEvent) -> bool:
            return event.process_key in self.process_keys

        return [Channel(CHANNEL, self.deliver, accepts)]

    # --- delivering -------------------------------------------------------------------

    @property
    def reader(self) -> Actor:
        """Reads the audit trail for notices: every region, no ``pii`` (texts come masked)."""
        return Actor.of("adapter:notify", "通知触达", ["admin"], "")

    def notices(self, event: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The notice calls of the command that made ``event`` (same instance, same moment)."""
        at = datetime.fromisoformat(str(event["at"]))
        found = []
        for record in self.engine.history(str(event["instance_id"]), self.reader):
            details = record.get("details") if isinstance(record.get("details"), Mapping) else record
            if record.get("action") != "service_call" or details.get("operator") not in self.operators:
                continue
            if datetime.fromisoformat(str(record.get("at"))) == at:
                found.append(dict(details.get("params") or {}))
        return found

    def deliver(self, delivery: Delivery) -> None:
        """Send every notice of the event to everyone it names; raise if any must be tried again
        (``DeliveryFailed``) or waits for the end of quiet hours (``DeliveryDeferred``)."""
        now = self.engine.clock.now()
        pending: list[str] = []
        held_until = None
        for index, notice in enumerate(self.notices(delivery.event)):
            kind = str(notice.get("kind") or "通知")
            groups = notice.get("to") if isinstance(notice.get("to"), list) else [notice.get("to") or ""]
            if self.quiet is not None and self.quiet.holds(kind, now):
                self._record(delivery, kind, "", None, "", "", "held")
                held_until = self.quiet.ends_after(now)
                continue
            for group in map(str, groups):
                pending += self._to_group(delivery, index, kind, group, notice)
        if pending:
            raise DeliveryFailed("; ".join(pending)[:1000])
        if held_until is not None:
            raise DeliveryDeferred(f"免打扰时段，{beijing(held_until, now)} 发出", until=held_until)

    def _to_group(self, delivery: Delivery, index: int, kind: str, group: str, notice: Mapping[str, Any]) -> list[str]:
        people = self.contacts_for(group, str(delivery.event.get("region") or ""))
        if not people:
            self._record(delivery, kind, group, None, "", "", "no_contact")
            return []
        pending = []
        for channel in self.channels_for(kind, group):
            for person in people:
                if self._send_once(delivery, index, channel, kind, group, person, notice) == "retry":
                    pending.append(f"{channel} to {person.id} failed")
        return pending

    def _send_once(self, delivery: Delivery, index: int, channel: str, kind: str, group: str, person: Contact,
                   notice: Mapping[str, Any]) -> str:
        """One send, claimed in the store first: never twice for one notice, person and channel."""
        key = (delivery.event_id, str(index), group, person.id, channel)
        owner, claim_key = f"notify:{channel}", hashlib.sha256("|".join(key).encode()).hexdigest()
        claim = self.engine.claims.claim(owner, claim_key, "notice", claim_key)
        if claim.state in ("done", "pending", "conflict"):
            return "done" if claim.state == "done" else "retry"  # sent before; or another worker holds it now
        if claim.taken_over:  # its worker died between the provider's call and the record: it may have gone out
            record = self._record(delivery, kind, group, person, channel, "", "unconfirmed",
                                   error="上次发送未记录结果，可能已送达，不再重发")
        else:
            try:
                record = self._send(delivery, channel, kind, group, person, notice, key)
            except Exception:  # a fault of ours before the provider answered (a process that dies keeps its claim)
                self.engine.claims.release(owner, claim_key)
                raise
        if record.outcome == "retry":
            self.engine.claims.release(owner, claim_key)
        else:  # the send record, kept in the store with the claim
            self.engine.claims.finish(owner, claim_key, 200, orjson.dumps(asdict(record)).decode())
        return record.outcome

    def _send(self, delivery: Delivery, channel: str, kind: str, group: str, person: Contact,
              notice: Mapping[str, Any], key: tuple[str, ...]) -> SendRecord:
        provider = self.providers[channel]
        out_id = hashlib.sha256("|".join(key).encode()).hexdigest()[:32]  # the provider's trace id, stable per try
        fields = self._fields(delivery.event, kind, group, notice)
        if isinstance(provider, SmsProvider):
            mobile = mainland_mobile(person.mobile)
            if mobile is None:
                error = InvalidMobileNumber()
                return self._record(delivery, kind, group, person, channel, "", "invalid_number",
                                    error=f"{type(error).__name__}: {error}")
            template, address = str(provider.template(kind)["code"]), masked_mobile(mobile)
            params = {name: str(spec).format(**fields)[:_MAX_PARAM]
                      for name, spec in (provider.template(kind).get("params") or {}).items()}
            call = lambda: provider.send(mobile, kind, params, out_id)  # noqa: E731
        else:
            userid = getattr(person, provider.address_field)
            if not userid:
                return self._record(delivery, kind, group, person, channel, "", "no_address")
            template, address = "text", userid
            call = lambda: provider.send(userid, f"【{kind}】{fields['text']}", out_id)  # noqa: E731
        try:
            provider_id = call()
        except Permanent as exc:
            return self._record(delivery, kind, group, person, channel, template, "refused", address, error=str(exc))
        except Transient as exc:
            return self._record(delivery, kind, group, person, channel, template, "retry", address, error=str(exc))
        return self._record(delivery, kind, group, person, channel, template, "sent", address, provider_id)

    @staticmethod
    def _fields(event: Mapping[str, Any], kind: str, group: str, notice: Mapping[str, Any]) -> dict[str, str]:
        """What templates may name: the kind, whom, which case, and the (masked) text."""
        return {"kind": kind, "to_name": name_of(group), "about": name_of(notice.get("about")) if notice.get("about")
                else "", "case": str(event.get("business_key") or "").partition(":")[2],  # the order number people know
                "process": name_of(event.get("process_key")), "text": str(notice.get("text") or "")}

    def _record(self, delivery: Delivery, kind: str, group: str, person: Contact | None, channel: str, template: str,
                outcome: str, address: str = "", provider_id: str = "", error: str = "") -> SendRecord:
        record = SendRecord(self.engine.clock.now().isoformat(), delivery.event_id, str(delivery.event["instance_id"]),
                            kind, group, person.id if person else "", channel, address, template, outcome,
                            provider_id, error)
        self.records.append(record)
        logger.info("notice %s", orjson.dumps(asdict(record)).decode())  # never the text: it may name people
        return record


def _grid_role(name: Any) -> str:
    """A grid role by its code or Chinese name (``full_time`` or 专职网格员)."""
    from gongzhi import grid

    role = grid.ROLES.get(str(name)) or next((r for r in grid.ROLES.values() if r.name == str(name)), None)
    if role is None:
        raise ConfigurationError(f"notify grid_groups: unknown grid role '{name}' "
                                 f"(one of {', '.join(grid.ROLES)})")
    return role.code


plugin = NotifyAdapter()
