"""The embeddable blueprint. Routes live in ``routes/``; they register on ``api`` below."""

from __future__ import annotations

from flask import Blueprint, request

from .context import state
from .operations import OperationRegistry
from .problems import register_error_handlers

__all__ = ["blueprint", "api"]

blueprint = Blueprint("gongzhi_api", __name__)
api = OperationRegistry(blueprint)
register_error_handlers(blueprint)


@blueprint.before_request
def _limit_body() -> None:
    # Per request, so an integrator's app-wide MAX_CONTENT_LENGTH is left alone.
    request.max_content_length = state().max_content_length


# Importing the route modules registers their operations on ``api``.
from .routes import definitions, grids, incidents, instances, jobs, misc, sources, tasks  # noqa: E402,F401
from .routes import admin_actions  # noqa: E402,F401
