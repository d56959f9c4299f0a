"""小区公告栏 (community notice-board kiosk): a complete third-party adapter in one file.

A kiosk in a residential compound lets residents report problems; it sends each
report once or several times (it retries on a bad connection) and polls for the
status it shows on the screen. This adapter:

- receives ``POST /adapters/noticeboard/reports`` (JSON), de-duplicated on the
  kiosk's report number with ``gongzhi.adapters.intake.Intake``, and starts a
  ``whistle_dispatch`` case;
- answers ``GET /adapters/noticeboard/reports/<report_no>`` with the case status,
  described by ``gongzhi.adapters.cases.summarize``;
- counts the events of its cases through an outbox channel (``deliver`` is where
  a real adapter would call the kiosk vendor's API, through
  ``gongzhi.adapters.transport.Sender``).

Register it with the entry point ``noticeboard = "gongzhi_noticeboard:plugin"``
(see ``pyproject.toml`` next to this folder), or pass
``NoticeBoardAdapter({...})`` to ``Engine(plugins=[...])``. Configuration key:
``adapter_noticeboard`` (``kiosk_keys``: list of accepted ``X-Kiosk-Key`` values;
``grid``: the compound's grid code).
"""

from __future__ import annotations

import hmac
from typing import Any, Mapping

from flask import Blueprint, jsonify, request
from gongzhi import Channel, Delivery, InstanceEvent, InstanceView, hookimpl
from gongzhi.adapters.base import AdapterPlugin
from gongzhi.adapters.cases import summarize
from gongzhi.adapters.intake import Intake, IntakeBusy, IntakeConflict

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
        return self.bound and event.process_key == "whistle_dispatch"

    def deliver(self, delivery: Delivery) -> None:
        view = self.engine.instance(delivery.event["instance_id"], self.actor)
        if (view.business_key or "").startswith("noticeboard:"):
            # A real adapter calls the vendor here; raising asks the worker to retry later.
            self.delivered.append({"event_id": delivery.event_id, "kind": delivery.event["kind"]})

    # Inbound: the blueprint, built once per Flask app with the engine it serves.
    def blueprint(self, engine: Any) -> Blueprint:
        bp = Blueprint("noticeboard", __name__)
        intake = Intake(engine, "noticeboard", self.actor)

        @bp.before_request
        def _kiosk_key():  # type: ignore[no-untyped-def]
            given = request.headers.get("X-Kiosk-Key", "")
            if not any(hmac.compare_digest(given, key) for key in self.kiosk_keys):
                return jsonify({"error": "unknown kiosk"}), 401
            return None

        @bp.post("/reports")
        def report():  # type: ignore[no-untyped-def]
            body = request.get_json(silent=True) or {}
            if not all(isinstance(body.get(k), str) and body[k] for k in ("report_no", "text", "mobile", "address")):
                return jsonify({"error": "report_no, text, mobile and address are required"}), 400

            def start(business_key: str, ref: dict[str, Any]) -> InstanceView:
                return engine.start("whistle_dispatch", self.actor, {
                    "channel": "政务门户", "category_l1": "物业管理", "category_l2": "公告栏上报", "category_l3": "待分类",
                    "case_type": "诉求", "description": body["text"], "address": body["address"], "grid": self.grid,
                    "reporter_name": body.get("name") or "居民", "reporter_mobile": body["mobile"],
                    "urgency": "一般", "emergency": "无", "intake_ref": ref,
                }, business_key=business_key, region=self.grid)

            try:
                result = intake.submit(body["report_no"], body, start)
            except IntakeConflict:
                return jsonify({"error": "report_no already used for another report"}), 409
            except IntakeBusy:
                return jsonify({"error": "being processed, retry"}), 409
            return jsonify({"report_no": body["report_no"], "case_id": result.instance_id}), 201

        @bp.get("/reports/<report_no>")
        def status(report_no: str):  # type: ignore[no-untyped-def]
            view = intake.find(report_no)
            if view is None:
                return jsonify({"error": "not found"}), 404
            case = summarize(engine, view)
            return jsonify({"report_no": report_no, "open": case.open, "stage": case.stage, "unit": case.agency})

        return bp


plugin = NoticeBoardAdapter()  # the entry point's object: configured from adapter_noticeboard
