"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2/) over whistle-dispatch cases."""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping
from zoneinfo import ZoneInfo

import yaml
from flask import Blueprint, request
from gongzhi import Actor, ConfigurationError, FormValidationError, GongzhiError, InstanceView, UnknownInstance
from werkzeug.exceptions import HTTPException

from ..base import AdapterPlugin
from ..cases import summarize
from ..intake import Intake, IntakeBusy, IntakeConflict
from .formats import render, render_errors

if TYPE_CHECKING:  # pragma: no cover
    from gongzhi import Engine

__all__ = ["Open311Adapter", "Service", "Open311Error", "plugin"]

logger = logging.getLogger("gongzhi.adapters.open311")

SOURCE = "open311"
PROCESS_KEY = "whistle_dispatch"
BUNDLED_SERVICES = Path(__file__).with_name("services.yaml")
GRID = re.compile(r"^[0-9]{6}(/[0-9]{3}){2}/[0-9]{2}$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
FORMAT = "<any(json, xml):fmt>"
MAX_RESULTS = 1000
DEFAULT_WINDOW = timedelta(days=90)
PAGE = 200


class Open311Error(Exception):
    """An error answered in the GeoReport error format."""

    def __init__(self, status: int, description: str, code: int | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.code = status, description, code or status


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


def load_services(config: Mapping[str, Any]) -> dict[str, Service]:
    if config.get("services"):
        raw = config["services"]
    else:
        path = Path(config.get("services_file") or BUNDLED_SERVICES)
        raw = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("services") or []
    services = {}
    for item in raw:
        service = Service.from_dict(item)
        if service.code in services:
            raise ConfigurationError(f"open311 service_code '{service.code}' is defined twice")
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


def _date(name: str, value: str | None) -> datetime | None:
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
    service catalogue; default: ``services.yaml`` next to this module), ``timezone`` (of the
    datetimes; Asia/Shanghai).

    The feed is public, so it is read as an actor without ``pii``: descriptions come with phone
    numbers, ID numbers and the reporter's name masked, addresses shortened and coordinates
    rounded to about a kilometre (the whistle process declares them personal), and nothing the
    GeoReport standard does not ask for is published.
    """

    name = "open311"
    title = "Open311 GeoReport v2"

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

    # --- the blueprint ------------------------------------------------------------------

    def blueprint(self, engine: Engine) -> Blueprint:
        bp = Blueprint("open311", __name__)
        intake = Intake(engine, SOURCE, self.actor)

        def _refused(status: int, code: int, description: str):  # type: ignore[no-untyped-def]
            # The client's mistake: one line (repr escapes newlines), no stack trace.
            logger.info("open311 %s %r -> %d: %r", request.method, request.path, status, description[:300])
            return render_errors(self._fmt(), status, [(code, description)])

        @bp.errorhandler(Open311Error)
        def _error(exc: Open311Error):  # type: ignore[no-untyped-def]
            if exc.status >= 500:  # a server fault wrapped for the GeoReport format: keep its traceback
                logger.error("open311 request failed: %s", exc.description, exc_info=exc)
                return render_errors(self._fmt(), exc.status, [(exc.code, exc.description)])
            return _refused(exc.status, exc.code, exc.description)

        @bp.errorhandler(Exception)
        def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
            if isinstance(exc, HTTPException):
                status = exc.code or 500
                if status < 500:
                    return _refused(status, status, exc.description or exc.name)
                return render_errors(self._fmt(), status, [(status, exc.description or exc.name)])
            if isinstance(exc, GongzhiError) and exc.http_status < 500:
                return _refused(exc.http_status, exc.http_status, exc.message)
            logger.exception("open311 request failed")
            return render_errors(self._fmt(), 500, [(500, "internal error")])

        @bp.before_request
        def _reads_need_a_key():  # type: ignore[no-untyped-def]
            if request.method == "GET" and self.require_key_for_reads:
                self._client()

        @bp.get(f"/services.{FORMAT}")
        def services(fmt: str):  # type: ignore[no-untyped-def]
            self._jurisdiction()
            return render(fmt, "services", "service", [s.listing() for s in self.services.values()])

        @bp.get(f"/services/<code>.{FORMAT}")
        def service_definition(code: str, fmt: str):  # type: ignore[no-untyped-def]
            self._jurisdiction()
            return render(fmt, "service_definition", None, self._service(code).definition())

        @bp.post(f"/requests.{FORMAT}")
        def create(fmt: str):  # type: ignore[no-untyped-def]
            return self._create(engine, intake, fmt)

        @bp.get(f"/requests.{FORMAT}")
        def query(fmt: str):  # type: ignore[no-untyped-def]
            self._jurisdiction()
            return render(fmt, "service_requests", "request", self._query(engine))

        @bp.get(f"/requests/<request_id>.{FORMAT}")
        def one(request_id: str, fmt: str):  # type: ignore[no-untyped-def]
            self._jurisdiction()
            return render(fmt, "service_requests", "request", [self._row(engine, self._case(engine, request_id))])

        @bp.get(f"/tokens/<token>.{FORMAT}")
        def token(token: str, fmt: str):  # type: ignore[no-untyped-def]
            self._jurisdiction()
            view = intake.find(token)
            if view is None:
                raise Open311Error(404, f"token {token} not found")
            return render(fmt, "service_requests", "request", [{"service_request_id": view.id, "token": token}])

        return bp

    # --- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _fmt() -> str:
        return "xml" if request.path.endswith(".xml") else "json"

    def _param(self, name: str) -> str | None:
        value = request.form.get(name) if request.method == "POST" else None
        if value is None:
            value = request.args.get(name)
        return value.strip() if isinstance(value, str) and value.strip() else None

    def _jurisdiction(self) -> None:
        given = self._param("jurisdiction_id")
        if given is not None and self.jurisdiction_id and given != self.jurisdiction_id:
            raise Open311Error(404, f"jurisdiction_id {given} not found")

    def _service(self, code: str | None) -> Service:
        if not code:
            raise Open311Error(400, "service_code not provided")
        service = self.services.get(code)
        if service is None:
            raise Open311Error(404, f"service_code {code} not found")
        return service

    def _attributes(self, service: Service) -> dict[str, Any]:
        given: dict[str, Any] = {}
        for key in request.form:
            match = ATTRIBUTE.match(key)
            if match:
                values = [v for v in request.form.getlist(key) if v != ""]
                given[match.group(1)] = values if match.group(2) else (values[0] if values else None)
        for attr in service.attributes:
            code, value = attr["code"], given.get(attr["code"])
            if attr.get("required") and value in (None, [], ""):
                raise Open311Error(400, f"attribute[{code}] is required for service {service.code}")
            keys = {str(v.get("key")) for v in attr.get("values") or ()}
            chosen = value if isinstance(value, list) else [value] if value is not None else []
            if keys and any(str(v) not in keys for v in chosen):
                raise Open311Error(400, f"attribute[{code}] must be one of: {', '.join(sorted(keys))}")
        return {k: v for k, v in given.items() if v not in (None, [])}

    def _client(self) -> str:
        """The client name of a valid ``api_key``; 403 without one."""
        api_key = self._param("api_key")
        if not api_key or api_key not in self.api_keys:
            raise Open311Error(403, "api_key was not provided or invalid")
        return self.api_keys[api_key]

    def _create(self, engine: Engine, intake: Intake, fmt: str) -> Any:
        self._jurisdiction()
        client = self._client()
        service = self._service(self._param("service_code"))
        lat, long = _float("lat", self._param("lat")), _float("long", self._param("long"))
        address, address_id = self._param("address_string"), self._param("address_id")
        if (lat is None or long is None) and not address and not address_id:
            raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
        attributes = self._attributes(service)
        grid = attributes.get("grid") or self.default_grid
        if not grid or not GRID.match(str(grid)):
            raise Open311Error(400, "attribute[grid] is required (a grid code such as 990101/001/001/01)")
        mobile = _mobile(self._param("phone"))
        if mobile is None:
            raise Open311Error(400, "phone is required: a mainland China mobile number")
        description = self._param("description") or ""
        if len(description) > 4000:
            raise Open311Error(400, "description is longer than 4000 characters")
        report = {name: self._param(name) for name in (
            "service_code", "lat", "long", "address_string", "address_id", "email", "device_id", "account_id",
            "first_name", "last_name", "phone", "description", "media_url")}
        report["attributes"] = attributes
        external_id = request.headers.get("Idempotency-Key") or self._param("external_id")
        if external_id is not None and not re.fullmatch(r"[\x21-\x7e]{1,100}", external_id):
            raise Open311Error(400, "Idempotency-Key / external_id must be 1-100 visible ASCII characters")
        token = external_id or uuid.uuid4().hex
        account = self._param("account_id")
        name = ((self._param("last_name") or "") + (self._param("first_name") or "")) or "匿名居民"
        text = description if len(description) >= 5 else f"{service.name}（Open311 上报）{description}".strip()
        location = address or (f"坐标 {lat},{long}" if lat is not None and long is not None else f"地址编号 {address_id}")
        urgency = attributes.get("urgency") if attributes.get("urgency") in ("一般", "紧急") else "一般"

        def start(business_key: str, ref: dict[str, Any]) -> InstanceView:
            variables: dict[str, Any] = {
                "channel": "Open311", "category_l1": service.category["l1"], "category_l2": service.category["l2"],
                "category_l3": service.category["l3"], "case_type": service.case_type, "description": text[:2000],
                "address": location[:200], "grid": grid, "reporter_name": name[:50], "reporter_mobile": mobile,
                "urgency": urgency, "emergency": "无",
                "open311": {"service_code": service.code, "service_name": service.name, "client": client,
                            "description": description or None, "address_string": address, "address_id": address_id,
                            "lat": lat, "long": long, "email": self._param("email"),
                            "device_id": self._param("device_id"), "account_id": self._param("account_id"),
                            "media_url": self._param("media_url"), "attributes": attributes},
                "intake_ref": ref,
            }
            if self._param("media_url"):
                variables["attachments"] = [{"name": "media_url", "url": self._param("media_url")}]
            # A resident with an account on the client's portal owns the case ("open311:<client>:<account_id>").
            owner = f"open311:{client}:{account}"[:128] if account else None
            return engine.start(PROCESS_KEY, self.actor, variables, business_key=business_key, region=grid, owner=owner)

        try:
            result = intake.submit(token, report, start)
        except IntakeConflict as exc:
            raise Open311Error(409, f"a different request was already submitted as {exc.external_id}") from exc
        except IntakeBusy as exc:
            raise Open311Error(409, str(exc)) from exc
        except FormValidationError as exc:
            raise Open311Error(400, exc.message) from exc
        except GongzhiError as exc:
            raise Open311Error(exc.http_status if exc.http_status < 500 else 500, exc.message) from exc
        body = [{"service_request_id": result.instance_id, "service_notice": service.notice,
                 "account_id": self._param("account_id")}]
        return render(fmt, "service_requests", "request", body, 201,
                      headers={} if result.created else {"Idempotent-Replayed": "true"})

    def _case(self, engine: Engine, request_id: str) -> InstanceView:
        try:
            view = engine.instance(request_id, self.reader)
        except UnknownInstance:
            view = None
        if view is None or view.process_key != PROCESS_KEY or not (view.business_key or "").startswith(SOURCE + ":"):
            raise Open311Error(404, f"service_request_id {request_id} not found")
        return view

    def _time(self, value: datetime | None) -> str | None:
        return value.astimezone(self.tz).isoformat(timespec="seconds") if value else None

    def _row(self, engine: Engine, view: InstanceView) -> dict[str, Any]:
        case = summarize(engine, view)
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

    def _query(self, engine: Engine) -> list[dict[str, Any]]:
        ids = self._param("service_request_id")
        if ids:  # the specification: this overrides every other parameter
            rows = []
            for request_id in [i.strip() for i in ids.split(",") if i.strip()][:MAX_RESULTS]:
                try:
                    rows.append(self._row(engine, self._case(engine, request_id)))
                except Open311Error:
                    continue
            return rows
        codes = {c.strip() for c in (self._param("service_code") or "").split(",") if c.strip()}
        statuses = {s.strip() for s in (self._param("status") or "").split(",") if s.strip()}
        if statuses - {"open", "closed"}:
            raise Open311Error(400, "status must be open or closed")
        start, end = _date("start_date", self._param("start_date")), _date("end_date", self._param("end_date"))
        if start is None and end is None:
            end = engine.clock.now()
            start = end - DEFAULT_WINDOW
        rows: list[dict[str, Any]] = []
        page = 1
        while len(rows) < MAX_RESULTS:
            batch = engine.instances(self.reader, process_key=PROCESS_KEY, page=page, per_page=PAGE)
            for item in batch.items:
                if not (item.business_key or "").startswith(SOURCE + ":"):
                    continue
                if (start and item.created_at < start) or (end and item.created_at > end):
                    continue
                if statuses and ("closed" if item.status in ("completed", "cancelled") else "open") not in statuses:
                    continue
                view = engine.instance(item.id, self.reader)
                if codes and (view.variables.get("open311") or {}).get("service_code") not in codes:
                    continue
                rows.append(self._row(engine, view))
                if len(rows) >= MAX_RESULTS:
                    break
            if page * PAGE >= batch.total:
                break
            page += 1
        return rows


plugin = Open311Adapter()
