"""小区公告栏 (community notice-board kiosk): a complete third-party adapter in one file.

A kiosk in a residential compound lets residents report problems; it sends each
report once or several times (it retries on a bad connection) and polls for the
status it shows on the screen. This adapter:

- receives ``POST /adapters/noticeboard/reports`` (JSON), de-duplicated on the
  kiosk's report number by the adapter's ``intake()`` (``gongzhi.adapters.intake.Intake``,
  through ``gongzhi.adapters.inbound.admit``), and starts a case of the adapter's process
  (``self.process_key``: the bundled profile's, whistle dispatch);
- answers ``GET /adapters/noticeboard/reports/<report_no>`` with the case status,
  described by ``gongzhi.adapters.cases.summarize``;
- counts the events of its cases through an outbox channel (``deliver`` is where
  a real adapter would call the kiosk vendor's API, through
  ``gongzhi.adapters.transport.Sender``).

Flask is imported inside ``blueprint()``, which only the web app calls: an engine or a
worker that loads this plugin through its entry point does not load the web stack.

Register it with the entry point ``noticeboard = "gongzhi_noticeboard:plugin"``
(see ``pyproject.toml`` next to this folder), or pass
``NoticeBoardAdapter({...})`` to ``Engine(plugins=[...])``. Configuration key:
``adapter_noticeboard`` (``kiosk_keys``: list of accepted ``X-Kiosk-Key`` values;
``grid``: the compound's grid code).
"""

from __future__ import annotations

from typing import Any, Mapping

from gongzhi import Channel, Delivery, InstanceEvent, InstanceView, hookimpl
from gongzhi.adapters.base import AdapterPlugin
from gongzhi.adapters.cases import summarize
from gongzhi.adapters.inbound import Refused, admit, secret_matches

__all__ = ["NoticeBoardAdapter", "plugin"]


class NoticeBoardAdapter(AdapterPlugin):
    """小区公告栏: residents' reports from compound kiosks, and their status for the kiosk screen."""

    name = "noticeboard"  # mounted under /adapters/noticeboard/, configured by adapter_noticeboard
    title = "小区公告栏"

    def __init__(self, config: Mapping[str, Any] | str | None = None) -> None:
        super().__init__(config)
        self.delivered: list[dict[str, Any]] = []

    def configure(self, config: Mapping[str, Any]) -> None:
        self.kiosk_keys = [str(k) for k in config.get("kiosk_keys") or ()]
        self.grid = config.get("grid")

    # Outbound: an outbox channel. ``accepts`` runs inside the engine's transaction: keep it cheap.
    @hookimpl
    def gongzhi_register_channels(self) -> list[Channel]:
        return [Channel("noticeboard", self.deliver, self.accepts)]

    def accepts(self, event: InstanceEvent) -> bool:
        return self.bound and event.process_key == self.process_key

    def deliver(self, delivery: Delivery) -> None:
        view = self.engine.instance(delivery.event["instance_id"], self.actor)
        if self.owns(view.business_key):
            # A real adapter calls the vendor here; raising asks the worker to retry later.
            self.delivered.append({"event_id": delivery.event_id, "kind": delivery.event["kind"]})

    # Inbound: what a report means, without the web.
    def take_in(self, body: Mapping[str, Any]) -> dict[str, Any]:
        if not all(isinstance(body.get(k), str) and body[k] for k in ("report_no", "text", "mobile", "address")):
            raise Refused(400, "report_no, text, mobile and address are required", kind="bad-request")

        def start(business_key: str, ref: dict[str, Any]) -> InstanceView:
            return self.engine.start(self.process_key, self.actor, {
                "channel": "政务门户", "category_l1": "物业管理", "category_l2": "公告栏上报", "category_l3": "待分类",
                "case_type": "诉求", "description": body["text"], "address": body["address"], "grid": self.grid,
                "reporter_name": body.get("name") or "居民", "reporter_mobile": body["mobile"],
                "urgency": "一般", "emergency": "无", "intake_ref": ref,
            }, business_key=business_key, region=self.grid)

        result = admit(self.intake(), body["report_no"], body, start)
        return {"report_no": body["report_no"], "case_id": result.instance_id}

    # Inbound over HTTP: the blueprint, built once per Flask app with the engine it serves.
    def blueprint(self, engine: Any) -> Any:
        from flask import jsonify, request  # here, not at the top: only the web app builds blueprints
        from gongzhi.adapters.web import inbound_blueprint, json_object

        bp = inbound_blueprint("noticeboard", __name__, lambda exc: (jsonify({"error": exc.message}), exc.status))

        @bp.before_request
        def _kiosk_key() -> None:
            if not secret_matches(request.headers.get("X-Kiosk-Key"), self.kiosk_keys):
                raise Refused(401, "unknown kiosk", kind="unauthorized")

        @bp.post("/reports")
        def report():  # type: ignore[no-untyped-def]
            return jsonify(self.take_in(json_object())), 201

        @bp.get("/reports/<report_no>")
        def status(report_no: str):  # type: ignore[no-untyped-def]
            view = self.intake().find(report_no)
            if view is None:
                raise Refused(404, "not found", kind="not-found")
            case = summarize(engine, view, self.profile)
            return jsonify({"report_no": report_no, "open": case.open, "stage": case.stage, "unit": case.agency})

        return bp


plugin = NoticeBoardAdapter()  # the entry point's object: configured from adapter_noticeboard
