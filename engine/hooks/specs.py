"""Hook specifications: what plugins can add to or observe in Gongzhi.

Registration hooks are called once when an engine starts; each returns a list
of objects that the engine keeps in registries keyed by name (a duplicate name
fails at start-up, naming both plugins). Event hooks broadcast and their
results are ignored. Built-in behaviour is registered through these same hooks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Protocol

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    from ..calendar import WorkingCalendar
    from ..runtime.audit.sinks import CheckpointSink
    from ..runtime.engine import Engine
    from ..security.identity import Actor
    from .directory import Directory
    from .objects import AdminAction, Channel, Demo, FormFormat, InstanceEvent, PortalAdapter, Report, ServiceTask

hookspec = pluggy.HookspecMarker("gongzhi")
hookimpl = pluggy.HookimplMarker("gongzhi")


class IncomingRequest(Protocol):
    """What ``gongzhi_authenticate`` may read of an HTTP request (a Werkzeug request has all of it)."""

    method: str
    path: str
    headers: Mapping[str, str]


# --- registration: called once at start-up, results kept in registries -------


@hookspec
def gongzhi_register_service_tasks() -> list["ServiceTask"]:
    """Service-task handlers, keyed by the operator name used in BPMN."""


@hookspec
def gongzhi_register_channels() -> list["Channel"]:
    """Outbox channels, keyed by name, that receive instance events at least once."""


@hookspec
def gongzhi_register_demos() -> list["Demo"]:
    """Stories that ``gongzhi demo`` runs end to end and tells, keyed by name."""


@hookspec
def gongzhi_definition_paths() -> list[str]:
    """Folders of BPMN, DMN and form files to load besides the bundled ones."""


@hookspec
def gongzhi_register_form_formats() -> list["FormFormat"]:
    """JSON Schema formats forms may name (a CSV with a 满意度 column, ...), keyed by format name."""


@hookspec
def gongzhi_register_reports() -> list["Report"]:
    """Domain reports, keyed by name, served under /api/v1/reports/."""


@hookspec
def gongzhi_register_adapters() -> list["PortalAdapter"]:
    """Portal adapters, keyed by name, mounted under /adapters/{name}/; only the web app builds their blueprints."""


@hookspec
def gongzhi_register_admin_actions() -> list["AdminAction"]:
    """Operations for administrators, keyed by name, served as POST /api/v1/admin-actions/{name}."""


@hookspec
def gongzhi_register_audit_sinks() -> list["CheckpointSink"]:
    """Places outside the database that keep signed audit checkpoints, keyed by name."""


# --- providers: the first non-None answer wins --------------------------------


@hookspec(firstresult=True)
def gongzhi_authenticate(request: IncomingRequest) -> "Actor | None":
    """Turn an incoming request into an Actor, or None to let the next plugin try."""


@hookspec(firstresult=True)
def gongzhi_directory() -> "Directory | None":
    """The organisation directory: regions, departments, property companies."""


@hookspec(firstresult=True)
def gongzhi_calendar() -> "WorkingCalendar | None":
    """The working-day calendar used for deadlines counted in working days."""


# --- observation: called for every event, results ignored ---------------------


@hookspec
def gongzhi_engine_ready(engine: "Engine") -> None:
    """An engine (web process or worker) is set up, once per engine: plugins whose channels need it keep a reference."""


@hookspec
def gongzhi_instance_event(event: "InstanceEvent") -> None:
    """An instance moved: started, task completed, timer fired, closed."""
