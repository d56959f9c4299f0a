"""The grid directory (微网实格): district → street → community → grid → micro-grid, plus dedicated grids.

Flask-free. A directory plugin builds a :class:`GridDirectory` from the files an integrator
edits (see the README, "Setting up a new district") and exposes it as ``grid_directory``
(``gongzhi.hooks.directory.GridAware``); the core reaches it through :func:`of`::

    from gongzhi import grid
    where = grid.locate(engine, lon=120.125, lat=30.221)   # a Location
    where.region, [g.name for g in where.grids], where.version
"""

from __future__ import annotations

from typing import Any

from .directory import GridDirectory
from .errors import AddressUnmatched, GridInvalid, GridProblem, NoGridData, OutsideDistrict
from .load import DEFAULT_HOUSEHOLD_LIMITS, AddressRule, GridSettings, read_files, read_grid_files
from .model import DEDICATED_KINDS, KINDS, LEVELS, ROLES, Assignment, GridUnit, Location, Member

__all__ = [
    "GridDirectory", "GridUnit", "Member", "Assignment", "Location", "GridSettings", "AddressRule",
    "GridInvalid", "GridProblem", "OutsideDistrict", "AddressUnmatched", "NoGridData",
    "LEVELS", "KINDS", "DEDICATED_KINDS", "ROLES", "DEFAULT_HOUSEHOLD_LIMITS", "of", "locate", "read_files",
    "read_grid_files",
]


def of(source: Any) -> GridDirectory:
    """The grid directory of an engine, or of a directory; NoGridData when it has none."""
    from ..hooks.directory import grid_directory_of

    directory = getattr(source, "directory", source) if not isinstance(source, GridDirectory) else source
    grids = directory if isinstance(directory, GridDirectory) else grid_directory_of(directory)
    if grids is None:
        raise NoGridData()
    return grids


def locate(source: Any, lon: object = None, lat: object = None, address: str | None = None) -> Location:
    """Where a point (or an address) lies in the grid directory of ``source`` (an engine or a directory)."""
    return of(source).locate(lon, lat, address)
