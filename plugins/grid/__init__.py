"""Grid visits (走访) and mobilisation (入户组织动员): the service tasks and reports behind ``bpmn/grid``.

Register with ``Engine(plugins=[GridPlugin()])`` or the ``gongzhi`` entry point
``grid = "gongzhi.plugins.grid:plugin"``. Needs a directory with grid data (``gongzhi.grid``),
such as the whistle plugin's bundled 青禾区; a finding becomes a ``whistle_dispatch`` case.
"""

from .plugin import GridPlugin, plugin
from .register import Register, Target
from .reports import grid_rows, mobilisation_rows, reports, visit_rows
from .services import check_reached, member_group, mobilisation_plan, record_visit, visit_plan

__all__ = ["GridPlugin", "plugin", "Register", "Target", "reports", "visit_rows", "grid_rows", "mobilisation_rows",
           "visit_plan", "mobilisation_plan", "check_reached", "record_visit", "member_group"]
