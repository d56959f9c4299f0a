"""What the core asks of an organisation directory (``gongzhi_directory``).

The core names regions, groups and departments for people (``gongzhi.humanize``,
the console's sign-in, ``GET /api/v1/directory``) through this Protocol only; a
plugin's directory may hold much more (the whistle plugin's holds property
companies). A directory that also holds the grid layer (micro-grids, dedicated grids,
boundaries, grid people, locating; ``gongzhi.grid``) is ``GridAware`` as well; the core reaches
that layer through ``grid_directory_of`` (or ``gongzhi.grid.of``) and works without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Protocol, runtime_checkable

if TYPE_CHECKING:
    from ..grid import GridDirectory

__all__ = ["Directory", "GridAware", "Unit", "Department", "grid_directory_of"]


class Unit(Protocol):
    """One node of the administrative tree: district, street, community, grid."""

    path: str  # region path, e.g. ``990101/001/002/03``: what actors and cases are scoped by
    code: str
    name: str
    level: str
    parent: str | None
    households: int | None


class Department(Protocol):
    """A functional department whose staff are the members of ``group``."""

    code: str
    name: str
    group: str


@runtime_checkable
class Directory(Protocol):
    """Regions, groups and departments, keyed by their codes."""

    units: Mapping[str, Unit]  # region path -> unit
    departments: Mapping[str, Department]  # department code -> department
    groups: Mapping[str, str]  # group code -> Chinese name

    def unit(self, path: str) -> Unit | None:
        """The unit at ``path``, or None."""

    def display_name(self, code: str) -> str | None:
        """The Chinese name of a region path, group or department code, or None when unknown."""

    def department_of_group(self, group: str) -> Department | None:
        """The department whose staff group is ``group``, or None."""


@runtime_checkable
class GridAware(Protocol):
    """A directory that also holds the grid layer (``gongzhi.grid``): micro-grids, dedicated grids,
    boundaries, grid people, "where is this?" and a version. Optional: a ``Directory`` without it
    still works everywhere, and ``gongzhi.grid.of`` answers NoGridData for it."""

    @property
    def grid_directory(self) -> "GridDirectory":
        """The grid directory (``gongzhi.grid.GridDirectory``) behind this directory's regions."""


def grid_directory_of(directory: Any) -> "GridDirectory | None":
    """The grid directory of ``directory``, or None when it has none (not GridAware, or no grid data)."""
    if directory is None or not isinstance(directory, GridAware):
        return None
    return directory.grid_directory


def provided(pm: object) -> Directory | None:
    """The directory the first plugin answering ``gongzhi_directory`` provides; a wrong shape fails at once."""
    from ..errors import ConfigurationError

    directory = pm.hook.gongzhi_directory()  # type: ignore[attr-defined]
    if directory is not None and not isinstance(directory, Directory):
        missing = [name for name in ("units", "departments", "groups", "unit", "display_name", "department_of_group")
                   if not hasattr(directory, name)]
        raise ConfigurationError(f"gongzhi_directory returned {type(directory).__name__}, which lacks {', '.join(missing)} "
                                 "(see gongzhi.hooks.directory.Directory)")
    return directory
