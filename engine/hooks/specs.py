"""Hook specifications: what plugins can add to or observe in Gongzhi.

Registration hooks are called once when an engine starts; each returns a list
of objects that the engine keeps in registries keyed by name (a duplicate name
fails at start-up, naming both plugins). Event hooks broadcast and their
results are ignored. Built-in behaviour is registered through these same hooks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    from ..security.identity import Actor
    from .objects import Channel, Demo, InstanceEvent, ServiceTask

hookspec = pluggy.HookspecMarker("gongzhi")
hookimpl = pluggy.HookimplMarker("gongzhi")


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
def gongzhi_register_reports() -> list[Any]:
    """Domain reports, keyed by name, served under /api/v1/reports/."""


@hookspec
def gongzhi_register_adapters() -> list[Any]:
    """Portal adapters, keyed by name, mounted under /adapters/{name}/; only the web app builds their blueprints."""


@hookspec
def gongzhi_register_audit_sinks() -> list[Any]:
    """Places outside the database that keep signed audit checkpoints, keyed by name."""


# --- providers: the first non-None answer wins --------------------------------


@hookspec(firstresult=True)
def gongzhi_authenticate(request: Any) -> "Actor | None":
    """Turn an incoming request into an Actor, or None to let the next plugin try."""


@hookspec(firstresult=True)
def gongzhi_directory() -> Any:
    """The organisation directory: regions, departments, property companies."""


@hookspec(firstresult=True)
def gongzhi_calendar() -> Any:
    """The working-day calendar used for deadlines counted in working days."""


# --- observation: called for every event, results ignored ---------------------


@hookspec
def gongzhi_engine_ready(engine: Any) -> None:
    """An engine (web process or worker) is set up: plugins whose channels need it keep a reference."""


@hookspec
def gongzhi_instance_event(event: "InstanceEvent") -> None:
    """An instance moved: started, task completed, timer fired, closed."""
