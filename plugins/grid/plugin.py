"""The grid plugin: visits (走访) and mobilisation (入户组织动员) on the grid directory, through Gongzhi's hooks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gongzhi import FormFormat, NotFound, Notifier, Outbox, Report, Resource, ServiceTask, hookimpl
from gongzhi.grid import of as grid_of
from gongzhi.humanize import register_names

from .register import Register
from .reports import reports
from .services import check_grid, check_mobilisable, service_tasks
from .whistle import check_member, whistle_service_tasks
from .whistle_reports import whistle_reports

__all__ = ["GridPlugin", "plugin"]

GROUP_PREFIX = "grid_member_"


class GridPlugin:
    """Register with ``Engine(plugins=[GridPlugin(...)])`` or through the ``gongzhi`` entry point.

    ``register``: the visit register (a :class:`Register` or a YAML path; default: the bundled 青禾区 one);
    ``notifier``: receives reminders (default: an in-memory :class:`Outbox`).
    Cycles, what a round covers, deadlines and reminders are DMN tables in ``bpmn/grid/grid_rules.dmn``.
    The grid tree and its people come from the engine's directory (``gongzhi.grid``).
    """

    def __init__(self, register: Register | str | Path | None = None, notifier: Notifier | None = None) -> None:
        self._register = Resource(register, Register, Register.load, "走访对象名册")
        self.notifier: Notifier = notifier or Outbox()
        self._engine: Any = None  # set when the engine is ready: the form formats read its grid directory

    @property
    def register(self) -> Register:
        return self._register()

    @hookimpl
    def gongzhi_register_service_tasks(self) -> list[ServiceTask]:
        return [*service_tasks(lambda: self.register, self.notifier), *whistle_service_tasks()]

    @hookimpl
    def gongzhi_register_reports(self) -> list[Report]:
        return [*reports(), *whistle_reports()]

    @hookimpl
    def gongzhi_register_demos(self) -> list[Any]:
        from .demo import demos
        from .demo_visits import demos as visit_demos

        return [*demos(), *visit_demos()]

    @hookimpl
    def gongzhi_register_form_formats(self) -> list[FormFormat]:
        # The start forms accept only what the processes can use: a form that validates is never
        # refused by the service task after it (an unknown grid, a community without micro-grids).
        return [FormFormat("grid-code", lambda text: check_grid(grid_of(self._engine), text),
                           "网格目录中的网格（区域路径）", "990101/001/001/01"),
                FormFormat("grid-community", lambda text: check_mobilisable(grid_of(self._engine), text),
                           "网格目录中划分了微网格的社区（区域路径）", "990101/001/001"),
                FormFormat("grid-member", lambda text: check_member(grid_of(self._engine), text),
                           "网格目录中的人员编号", "G0002")]

    @hookimpl
    def gongzhi_engine_ready(self, engine: Any) -> None:
        self._engine = engine
        def person(code: str) -> str | None:
            # People read a grid member's masked name, never the group code of their login.
            if not code.startswith(GROUP_PREFIX):
                return None
            try:
                member = grid_of(engine).members.get(code[len(GROUP_PREFIX):])
            except NotFound:  # an engine without grid data names nobody
                return None
            return f"网格员{member.view(False)['name']}" if member else None

        register_names("grid-members", person)


plugin = GridPlugin()
