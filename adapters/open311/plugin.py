"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2/) over the cases of a process (whistle dispatch).

This module is the adapter without the web: the service catalogue, checking and taking in
a service request, and describing cases as GeoReport rows. ``web.py`` is the blueprint.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from gongzhi import Actor, ConfigurationError, InstanceView, UnknownInstance

from ..base import AdapterPlugin
from ..cases import summarize
from ..inbound import Refused, admit, grid_of
from ..intake import IntakeResult
from ..loading import catalogue

__all__ = ["Open311Adapter", "Service", "Open311Error", "load_services", "plugin"]

SOURCE = "open311"
GRID = re.compile(r"^[0-9]{6}(/[0-9]{3}){2}/[0-9]{2}$")
STREET = re.compile(r"^[0-9]{6}/[0-9]{3}$")  # located in no grid: the street assigns one (whistle_dispatch 指定网格)
MOBILE = re.compile(r"^1[3-9]\d{9}$")
EXTERNAL_ID = re.compile(r"[\x21-\x7e]{1,100}")
MAX_RESULTS = 1000
DEFAULT_WINDOW = timedelta(days=90)
PAGE = 200
# The GeoReport fields of a request, in the order the specification lists them.
FIELDS = ("service_code", "lat", "long", "address_string", "address_id", "email", "device_id", "account_id",
          "first_name", "last_name", "phone", "description", "media_url")


class Open311Error(Refused):
    """An error answered in the GeoReport error format (``code`` defaults to the HTTP status)."""

    def __init__(self, status: int, description: str, code: int | None = None) -> None:
        super().__init__(status, description, code=code)

    @property
    def description(self) -> str:
        return self.message


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    description: str
    type: str
    keywords: tuple[str, ...]
    group: str
    category: Mapping[str, str]
    case_type: str
    notice: str | None
    attributes: tuple[Mapping[str, Any], ...] = field(default=())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Service:
        try:
            category = data["category"]
            return cls(str(data["service_code"]), str(data["service_name"]), str(data.get("description") or ""),
                       str(data.get("type") or "realtime"), tuple(str(k) for k in data.get("keywords") or ()),
                       str(data.get("group") or ""), {"l1": str(category["l1"]), "l2": str(category["l2"]),
                                                      "l3": str(category["l3"])},
                       str(data.get("case_type") or "诉求"), data.get("service_notice"),
                       tuple(dict(a) for a in data.get("attributes") or ()))
        except (KeyError, TypeError) as exc:
            raise ConfigurationError(f"open311 service {data!r}: missing {exc}") from exc

    def listing(self) -> dict[str, Any]:
        return {"service_code": self.code, "service_name": self.name, "description": self.description,
                "metadata": bool(self.attributes), "type": self.type, "keywords": ", ".join(self.keywords),
                "group": self.group}

    def definition(self) -> dict[str, Any]:
        attributes = []
        for order, attr in enumerate(self.attributes, start=1):
            values = [{"key": v.get("key"), "name": v.get("name")} for v in attr.get("values") or ()]
            attributes.append({
                "variable": bool(attr.get("variable", True)), "code": attr["code"],
                "datatype": attr.get("datatype", "string"), "required": bool(attr.get("required", False)),
                "datatype_description": attr.get("datatype_description"), "order": attr.get("order", order),
                "description": attr.get("description", attr["code"]), **({"values": values} if values else {}),
            })
        return {"service_code": self.code, "attributes": attributes}

    def check(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """The service's attributes as given (``attribute[code]`` values), required and allowed values checked."""
        for attr in self.attributes:
            code, value = attr["code"], given.get(attr["code"])
            if attr.get("required") and value in (None, [], ""):
                raise Open311Error(400, f"attribute[{code}] is required for service {self.code}")
            keys = {str(v.get("key")) for v in attr.get("values") or ()}
            chosen = value if isinstance(value, list) else [value] if value is not None else []
            if keys and any(str(v) not in keys for v in chosen):
                raise Open311Error(400, f"attribute[{code}] must be one of: {', '.join(sorted(keys))}")
        return {k: v for k, v in given.items() if v not in (None, [])}


def load_services(config: Mapping[str, Any], what: str = "adapter_open311") -> dict[str, Service]:
    """The service catalogue (``services`` or ``services_file``; default: the bundled ``services.yaml``)."""
    raw = catalogue(config, what)
    services = {}
    for item in raw:
        service = Service.from_dict(item)
        if service.code in services:
            raise ConfigurationError(f"{what} service_code '{service.code}' is defined twice")
        services[service.code] = service
    return services


def _mobile(value: str | None) -> str | None:
    if not value:
        return None
    digits = re.sub(r"[\s\-()]", "", value)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix):]
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if MOBILE.match(digits) else None


def _float(name: str, value: str | None) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError as exc:
        raise Open311Error(400, f"{name} must be a number") from exc


def parse_date(name: str, value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "+"))
    except ValueError as exc:
        raise Open311Error(400, f"{name} must be a W3C date-time, e.g. 2026-11-02T09:00:00+08:00") from exc
    if parsed.tzinfo is None:
        raise Open311Error(400, f"{name} needs a time zone offset")
    return parsed


class Open311Adapter(AdapterPlugin):
    """Open311 GeoReport v2: services, service requests and tokens over whistle-dispatch cases.

    Configuration (``adapter_open311``): ``jurisdiction_id`` (checked when a client sends one),
    ``api_keys`` (key -> client name; needed to POST), ``require_key_for_reads`` (true: reading
    requests needs an ``api_key`` too; default false, the feed is public), ``publish_media``
    (true: publish ``media_url``; default false, a photo may show a person), ``default_grid``
    (the grid of requests without ``attribute[grid]``), ``services`` or ``services_file`` (the
    service catalogue; default: the bundled ``adapters/services.yaml``), ``timezone`` (of the
    datetimes; Asia/Shanghai), ``process`` (the process profile; default the bundled one).

    The feed is public, so it is read as an actor without ``pii``: descriptions come with phone
    numbers, ID numbers and the reporter's name masked, addresses shortened and coordinates
    rounded to about a kilometre (the whistle process declares them personal), and nothing the
    GeoReport standard does not ask for is published.
    """

    name = SOURCE
    title = "Open311 GeoReport v2"
    web_module = "gongzhi.adapters.open311.web"

    def configure(self, config: Mapping[str, Any]) -> None:
        self.jurisdiction_id = config.get("jurisdiction_id")
        keys = config.get("api_keys") or {}
        self.api_keys = dict(keys) if isinstance(keys, Mapping) else {str(k): str(k) for k in keys}
        self.default_grid = config.get("default_grid")
        if self.default_grid and not GRID.match(self.default_grid):
            raise ConfigurationError(f"adapter_open311.default_grid '{self.default_grid}' is not a grid code")
        self.services = load_services(config)
        self.tz = ZoneInfo(config.get("timezone") or "Asia/Shanghai")
        self.require_key_for_reads = bool(config.get("require_key_for_reads", False))
        self.publish_media = bool(config.get("publish_media", False))

    @property
    def reader(self) -> Actor:
        """Who reads for the public feed: every case in the tree, no personal data."""
        return Actor.of("adapter:open311:public", "Open311 公共查询", ["admin"], "")

    def service(self, code: str | None) -> Service:
        if not code:
            raise Open311Error(400, "service_code not provided")
        service = self.services.get(code)
        if service is None:
            raise Open311Error(404, f"service_code {code} not found")
        return service

    def client_of(self, api_key: str | None) -> str:
        """The client name of a valid ``api_key``; 403 without one."""
        if not api_key or api_key not in self.api_keys:
            raise Open311Error(403, "api_key was not provided or invalid")
        return self.api_keys[api_key]

    # --- taking a request in -------------------------------------------------------------

    def submit(self, client: str, service: Service, params: Mapping[str, str | None], attributes: dict[str, Any],
               external_id: str | None) -> IntakeResult:
        """Check a posted request (``params``: the GeoReport fields, ``attributes``: checked) and take it in once."""
        lat, long = _float("lat", params.get("lat")), _float("long", params.get("long"))
        address, address_id = params.get("address_string"), params.get("address_id")
        if (lat is None or long is None) and not address and not address_id:
            raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
        where = None
        grid = attributes.get("grid")
        if not grid:  # where the coordinates (or the address) lie; the default grid is the last resort
            grid, where = grid_of(self.engine, long, lat, address)
        grid = grid or self.default_grid
        if not grid or not (GRID.match(str(grid)) or (where is not None and STREET.match(str(grid)))):
            raise Open311Error(400, "attribute[grid] is required (a grid code such as 990101/001/001/01)")
        mobile = _mobile(params.get("phone"))
        if mobile is None:
            raise Open311Error(400, "phone is required: a mainland China mobile number")
        description = params.get("description") or ""
        if len(description) > 4000:
            raise Open311Error(400, "description is longer than 4000 characters")
        if external_id is not None and not EXTERNAL_ID.fullmatch(external_id):
            raise Open311Error(400, "Idempotency-Key / external_id must be 1-100 visible ASCII characters")
        report = {name: params.get(name) for name in FIELDS}
        report["attributes"] = attributes
        variables = self._variables(client, service, params, attributes, str(grid), mobile, (lat, long))
        if where is not None:
            variables["located"] = where  # how the grid was found, and the grid directory's version
        account = params.get("account_id")

        def start(business_key: str, ref: dict[str, Any]) -> InstanceView:
            # A resident with an account on the client's portal owns the case ("open311:<client>:<account_id>").
            owner = f"open311:{client}:{account}"[:128] if account else None
            return self.engine.start(self.process_key, self.actor, {**variables, "intake_ref": ref},
                                     business_key=business_key, region=str(grid), owner=owner)

        return admit(self.intake(), external_id or uuid.uuid4().hex, report, start)

    def _variables(self, client: str, service: Service, params: Mapping[str, str | None], attributes: dict[str, Any],
                   grid: str, mobile: str, point: tuple[float | None, float | None]) -> dict[str, Any]:
        description = params.get("description") or ""
        address, address_id, lat, long = params.get("address_string"), params.get("address_id"), *point
        name = ((params.get("last_name") or "") + (params.get("first_name") or "")) or "匿名居民"
        text = description if len(description) >= 5 else f"{service.name}（Open311 上报）{description}".strip()
        location = address or (f"坐标 {lat},{long}" if lat is not None and long is not None else f"地址编号 {address_id}")
        urgency = attributes.get("urgency") if attributes.get("urgency") in ("一般", "紧急") else "一般"
        variables: dict[str, Any] = {
            "channel": "Open311", "category_l1": service.category["l1"], "category_l2": service.category["l2"],
            "category_l3": service.category["l3"], "case_type": service.case_type, "description": text[:2000],
            "address": location[:200], "grid": grid, "reporter_name": name[:50], "reporter_mobile": mobile,
            "urgency": urgency, "emergency": "无",
            "open311": {"service_code": service.code, "service_name": service.name, "client": client,
                        "description": description or None, "address_string": address, "address_id": address_id,
                        "lat": lat, "long": long, "email": params.get("email"), "device_id": params.get("device_id"),
                        "account_id": params.get("account_id"), "media_url": params.get("media_url"),
                        "attributes": attributes},
        }
        if params.get("media_url"):
            variables["attachments"] = [{"name": "media_url", "url": params.get("media_url")}]
        return variables

    # --- reading requests back ---------------------------------------------------------------

    def case(self, request_id: str) -> InstanceView:
        try:
            view = self.engine.instance(request_id, self.reader)
        except UnknownInstance:
            view = None
        if view is None or view.process_key != self.process_key or not self.owns(view.business_key):
            raise Open311Error(404, f"service_request_id {request_id} not found")
        return view

    def _time(self, value: datetime | None) -> str | None:
        return value.astimezone(self.tz).isoformat(timespec="seconds") if value else None

    def row(self, view: InstanceView) -> dict[str, Any]:
        case = summarize(self.engine, view, self.profile)
        data = case.variables.get("open311") or {}
        service = self.services.get(data.get("service_code"))
        return {
            "service_request_id": view.id,
            "status": "open" if case.open else "closed",
            "status_notes": case.stage,
            "service_name": data.get("service_name") or (service.name if service else None),
            "service_code": data.get("service_code"),
            "description": data.get("description"),
            "agency_responsible": case.agency,
            "service_notice": service.notice if service else None,
            "requested_datetime": self._time(view.created_at),
            "updated_datetime": self._time(view.updated_at),
            "expected_datetime": None,
            "address": data.get("address_string") or case.variables.get("address"),
            "address_id": data.get("address_id"),
            "zipcode": None,
            "lat": data.get("lat"),
            "long": data.get("long"),
            "media_url": data.get("media_url") if self.publish_media else None,
        }

    def rows(self, ids: list[str]) -> list[dict[str, Any]]:
        """The rows of the requests named (unknown ones left out), as ``service_request_id=a,b`` asks."""
        rows = []
        for request_id in ids[:MAX_RESULTS]:
            try:
                rows.append(self.row(self.case(request_id)))
            except Open311Error:
                continue
        return rows

    def query(self, codes: set[str], statuses: set[str], start: datetime | None,
              end: datetime | None) -> list[dict[str, Any]]:
        """The requests of a period (default: the last 90 days), filtered by service code and open/closed."""
        if statuses - {"open", "closed"}:
            raise Open311Error(400, "status must be open or closed")
        if start is None and end is None:
            end = self.engine.clock.now()
            start = end - DEFAULT_WINDOW
        rows: list[dict[str, Any]] = []
        page = 1
        while len(rows) < MAX_RESULTS:
            batch = self.engine.instances(self.reader, process_key=self.process_key, page=page, per_page=PAGE)
            for item in batch.items:
                if not self.owns(item.business_key):
                    continue
                if (start and item.created_at < start) or (end and item.created_at > end):
                    continue
                if statuses and ("closed" if item.status in ("completed", "cancelled") else "open") not in statuses:
                    continue
                view = self.engine.instance(item.id, self.reader)
                if codes and (view.variables.get("open311") or {}).get("service_code") not in codes:
                    continue
                rows.append(self.row(view))
                if len(rows) >= MAX_RESULTS:
                    break
            if page * PAGE >= batch.total:
                break
            page += 1
        return rows


plugin = Open311Adapter()
