"""Objects plugins hand to the engine: service-task handlers and instance events."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Protocol, Sequence

if TYPE_CHECKING:  # pragma: no cover - the web layer's types; this module never imports Flask
    from flask import Blueprint

    from .exports import ExportHeading

from ..errors import InvalidInput, NotAllowed
from ..security.identity import Actor

__all__ = ["ServiceTask", "ServiceCall", "InstanceEvent", "Channel", "Delivery", "Demo", "DemoResult", "Report", "PortalAdapter", "FormFormat",
           "AdminAction"]


@dataclass(frozen=True)
class ServiceCall:
    """What a service-task handler receives."""

    operator: str
    params: Mapping[str, Any]
    instance_id: str
    element_id: str
    data: Mapping[str, Any]
    now: datetime
    task_id: str = ""  # the service task's own id: distinct for each loop or multi-instance pass
    # The engine running the task, for read-only queries (instances, history, variables).
    # Handlers that start or move other instances do so only as asynchronous service tasks.
    engine: Any = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class ServiceTask:
    """A handler for BPMN service tasks whose operator is ``name``.

    The handler returns a JSON value, stored in the task's result variable.
    """

    name: str
    handler: Callable[[ServiceCall], Any]
    description: str = ""


@dataclass(frozen=True)
class InstanceEvent:
    """Something that happened to an instance, broadcast after the commit."""

    kind: str  # a gongzhi.Action: start | complete | message | deliver | timer | service | cancel
    instance_id: str
    process_key: str
    at: datetime
    actor_id: str
    element_id: str | None = None
    task_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    region: str = ""
    status: str = "running"  # the instance's status after the command (a gongzhi.InstanceStatus)
    business_key: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "instance_id": self.instance_id, "process_key": self.process_key,
            "at": self.at.isoformat(), "actor_id": self.actor_id, "element_id": self.element_id,
            "task_id": self.task_id, "region": self.region, "status": self.status, "business_key": self.business_key,
            "data": dict(self.data),
        }


@dataclass(frozen=True)
class Delivery:
    """One outbox message on its way to a channel; ``event_id`` is stable across retries."""

    event_id: str
    channel: str
    event: Mapping[str, Any]
    attempt: int


@dataclass(frozen=True)
class Channel:
    """Where instance events are delivered (webhooks, portals), at least once, through the outbox.

    ``accepts`` picks the events this channel wants; ``deliver`` raises to ask for a retry.
    """

    name: str
    deliver: Callable[[Delivery], None]
    accepts: Callable[[InstanceEvent], bool] = lambda event: True


@dataclass(frozen=True)
class FormFormat:
    """A JSON Schema ``format`` forms may name (``"format": "<name>"``), checked with every submission.

    ``check(text)`` raises ``ValueError`` with a message for people when the text is not of the
    format; the message becomes the field's error. A step whose form accepted the data then never
    refuses it for the same reason: a service task reading the field can rely on its shape.
    ``example`` is one text the check accepts (for generated test data and documentation).
    """

    name: str
    check: Callable[[str], object]
    description: str = ""
    example: str = ""


@dataclass(frozen=True)
class DemoResult:
    """What a demo produced: the instances to narrate, and figures to print as tables."""

    instances: list[str]
    figures: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)


@dataclass(frozen=True)
class Demo:
    """A story for ``gongzhi demo``: ``run(engine, clock)`` drives real instances through the runtime."""

    name: str
    title: str
    run: Callable[[Any, Any], DemoResult]
    order: int = 100


# A spreadsheet runs a cell that starts like a formula; residents write report titles (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?%?")


def _inert(text: str) -> str:
    """``text`` as a spreadsheet shows it, never runs it: a leading quote before a formula-like start."""
    return "'" + text if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text) else text


@dataclass(frozen=True)
class Report:
    """A domain report, served under ``/api/v1/reports/{name}`` (JSON, ``?format=csv``, ``?format=xlsx``).

    ``compute(engine, actor, **params)`` returns the figures: a list of flat rows, or
    one object (a summary; its ``rows``, when it has a list of them, are what the
    exports show). It reads through ``engine.read`` with the ``actor`` it is given,
    so what it counts is what that actor may see. ``params`` documents the accepted
    parameters (name -> description); ``columns`` fixes the column order.

    ``scope(actor, params)`` narrows the parameters for a non-admin actor (e.g. to
    their own street) or raises NotAllowed; a report without one is for admins
    only. ``run`` always needs an actor: internal callers pass ``SYSTEM``.

    ``headings`` names columns in Chinese for the exports, which people open: when
    given, an export has exactly the headed columns (codes stay in the JSON);
    ratios in ``percents`` read "100%", codes in ``named`` read as their names, and
    every cell reads as a person writes it (see ``gongzhi.humanize.cell``).
    """

    name: str
    title: str
    description: str
    params: Mapping[str, str]
    columns: tuple[str, ...]
    compute: Callable[..., Any]
    scope: Callable[[Any, dict[str, Any]], dict[str, Any]] | None = None
    headings: Mapping[str, str] = field(default_factory=dict)
    percents: frozenset[str] = frozenset()
    named: frozenset[str] = frozenset()  # columns of codes shown by their Chinese names (humanize.name_of)
    units: Mapping[str, str] = field(default_factory=dict)  # column -> unit in its heading: "派单（件）"
    book: tuple[tuple[str, str], ...] = ()  # (sheet title, report name): the levels of its assessment workbook

    def run(self, engine: Any, actor: Actor, **params: Any) -> Any:
        """The figures as ``actor`` may see them (scoped by ``scope``; NotAllowed without one)."""
        if not isinstance(actor, Actor):
            raise InvalidInput(f"报表“{self.title}”需要读者（内部调用请传 SYSTEM）", report=self.name)
        if not actor.is_admin:
            if self.scope is None:
                raise NotAllowed(f"报表“{self.title}”不按区域限定，只有管理员可以查看", report=self.name)
            params = self.scope(actor, dict(params))
        data = self.compute(engine, actor, **params)
        # The figures are masked here, once, for Python callers and HTTP alike: a report may read
        # more than the read model (which masks what it hands out) — a directory's phone numbers, say.
        masker = engine.access.masker(actor, None, None) if hasattr(engine, "access") else None
        return data if masker is None else masker.value(data)

    # --- exports ----------------------------------------------------------------------

    def export_columns(self, rows: list[Mapping[str, Any]]) -> list[str]:
        """The exported columns: the headed ones in ``columns`` order, else every column."""
        columns = list(self.columns)
        for row in rows:
            columns.extend(k for k in row if k not in columns)
        return [c for c in columns if c in self.headings] if self.headings else columns

    def export_rows(self, data: Any) -> list[Mapping[str, Any]]:
        """What an export shows of ``data``: its rows, the ``rows`` of a summary, or the summary itself."""
        if isinstance(data, Mapping):
            inner = data.get("rows")
            return list(inner) if isinstance(inner, list) else [data]
        return [r if isinstance(r, Mapping) else {"value": r} for r in data or ()]

    def heading(self, column: str) -> str:
        """A column's heading in the exports: its Chinese name, with its unit when it has one."""
        name = self.headings.get(column, column)
        return f"{name}（{self.units[column]}）" if column in self.units else name

    def cell(self, column: str, value: Any) -> str:
        """One exported cell as a person reads it."""
        from ..humanize import cell, name_of

        if column in self.named and value is not None:
            return name_of(value)
        return cell(value, column in self.percents)

    def to_csv(self, data: Any) -> str:
        """The figures as CSV with Chinese headings (no BOM: the HTTP layer adds it for spreadsheets)."""
        rows = self.export_rows(data)
        columns = self.export_columns(rows)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([_inert(self.heading(c)) for c in columns])
        for row in rows:
            writer.writerow([_inert(self.cell(c, row.get(c))) for c in columns])
        return out.getvalue()

    def to_xlsx(self, data: Any, heading: "ExportHeading | None" = None,
                sheets: Sequence[tuple[str, "Report", Any]] = ()) -> bytes:
        """The figures as a workbook with Chinese headings, a title block and level sheets (see ``hooks.xlsx``)."""
        from .xlsx import workbook

        return workbook(self, data, heading, sheets)

    def to_pdf(self, data: Any, heading: "ExportHeading") -> bytes:
        """The figures as a PDF for filing, Chinese in ReportLab's built-in font (see ``hooks.pdf``)."""
        from .pdf import document

        return document(self, data, heading)

class PortalAdapter(Protocol):
    """A portal adapter (``gongzhi_register_adapters``): the web app mounts ``blueprint(engine)`` under
    ``/adapters/{name}/``; see ``gongzhi.adapters.base.Adapter``."""

    name: str

    def blueprint(self, engine: object) -> "Blueprint":
        """The adapter's routes; called only by the web app."""


@dataclass(frozen=True)
class AdminAction:
    """An operation a plugin offers administrators over HTTP: ``POST /api/v1/admin-actions/{name}``
    (``gongzhi_register_admin_actions``), documented in the OpenAPI document with its ``params``.

    ``run(engine, actor, **params)`` does it and returns a JSON object. The HTTP layer lets only
    admins call it and refuses parameters not in ``params`` (422); ``run`` raises ``InvalidInput``
    for values it cannot use, before it changes anything, and should be safe to repeat (a retried
    request)."""

    name: str
    title: str
    description: str
    params: Mapping[str, str]
    run: Callable[..., Mapping[str, Any]]
