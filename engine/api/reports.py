"""Domain reports contributed by plugins through ``gongzhi_register_reports``.

A plugin returns :class:`gongzhi.Report` objects — the one report contract (see
``gongzhi.hooks.objects.Report``)::

    @hookimpl
    def gongzhi_register_reports():
        return [Report("cases-per-grid", "各网格案件数", "...", {"month": "月份 YYYY-MM"},
                       ("grid", "cases"), compute=per_grid, scope=own_street, headings={...})]

Anything else fails at start-up with a ConfigurationError. Here the HTTP layer
drops undeclared query parameters and turns a report's refusal of its parameters
into a 422 ``report-parameter-error``; the exports are the Report's own.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

from ..errors import ConfigurationError, GongzhiError, InvalidInput
from ..hooks.manager import Registry
from ..hooks.objects import Report
from ..security.identity import Actor

__all__ = ["ReportParameterError", "collect_reports", "run_report"]

logger = logging.getLogger("gongzhi.api")


class ReportParameterError(InvalidInput):
    """The report could not use its query parameters (problem type ``report-parameter-error``).

    Its own type because the rules are the report's: a request can match the
    OpenAPI document (every parameter is a string) and still be refused here.
    """


def collect_reports(pm: Any) -> Registry[Report]:
    """Reports from every plugin, keyed by name (a duplicate name, or something not a Report, fails at start-up)."""
    registry = Registry.collect(pm, "gongzhi_register_reports", "report")
    for name, item in registry.items():
        if not isinstance(item, Report):
            raise ConfigurationError(
                f"report '{name}' registered by '{registry.owners[name]}' is a {type(item).__name__}, not a "
                "gongzhi.Report: build it as Report(name, title, description, params, columns, compute, ...)")
    for name, item in registry.items():
        unknown = [other for _, other in item.book if other not in registry]
        if unknown:
            raise ConfigurationError(f"report '{name}' registered by '{registry.owners[name]}' names unknown reports "
                                     f"{unknown} in its book (sheet title, report name)")
    return registry


def run_report(report: Report, engine: Any, actor: Actor, params: Mapping[str, str]) -> Any:
    """Run ``report`` for ``actor`` with the parameters it declares; bad parameters are a 422, not a 500."""
    params = {k: v for k, v in params.items() if k in report.params}
    try:
        return report.run(engine, actor, **params)
    except ReportParameterError:
        raise
    except InvalidInput as exc:  # the report checked its own parameters
        raise ReportParameterError(exc.message, errors=exc.context.get("errors") or [], report=report.name) from exc
    except GongzhiError:
        raise
    except (ValueError, TypeError, KeyError, ArithmeticError) as exc:  # parameters the report could not use
        message = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        # The client's mistake, not a fault: one line, no stack trace (the 422 says the same).
        logger.info("report %s refused params %r: %s: %r", report.name, dict(params), type(exc).__name__, message)
        raise ReportParameterError(f"报表参数无效：{message}", errors=[{"field": "query", "message": message}],
                                   report=report.name) from exc
