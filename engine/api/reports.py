"""Domain reports contributed by plugins through ``gongzhi_register_reports``.

A plugin returns ``Report`` objects (or anything with the same attributes):

    @hookimpl
    def gongzhi_register_reports():
        return [Report("overdue_by_street", "各街道超期工单", run=overdue_by_street)]

``run(engine, actor, params)`` gets the query-string parameters (strings) and
returns JSON: a list of flat rows (also served as CSV with ``?format=csv``) or
an object. It must scope what it reads to ``actor`` (``actor.can_see``).
"""

from __future__ import annotations

import csv
import inspect
import io
import logging
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import orjson

from ..errors import GongzhiError, InvalidInput, NotAllowed
from ..security.identity import Actor
from ..hooks.manager import Registry
from ..hooks.objects import Report as CoreReport

__all__ = ["Report", "ReportParameterError", "collect_reports", "run_report", "to_csv"]

logger = logging.getLogger("gongzhi.api")


class ReportParameterError(InvalidInput):
    """The report could not use its query parameters (problem type ``report-parameter-error``).

    Its own type because the rules are the report's: a request can match the
    OpenAPI document (every parameter is a string) and still be refused here.
    """


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    run: Callable[[Any, Actor, Mapping[str, str]], Any]
    description: str = ""


def collect_reports(pm: Any) -> Registry[Any]:
    """Reports from every plugin, keyed by name (a duplicate name fails at start-up)."""
    return Registry.collect(pm, "gongzhi_register_reports", "report")


def run_report(report: Any, engine: Any, actor: Actor, params: Mapping[str, str]) -> Any:
    """Run ``report`` for ``actor``; bad parameters are a 422, not a 500.

    Reports whose ``run`` takes no ``actor`` (``run(engine, **params)``) cannot
    scope their figures to a region, so only admins may see them. When a report
    declares ``params`` (name -> description), other query parameters are dropped.
    """
    declared = getattr(report, "params", None)
    if declared:
        params = {k: v for k, v in params.items() if k in declared}
    try:
        if isinstance(report, CoreReport):
            return report.run(engine, actor, **params)
        if "actor" in inspect.signature(report.run).parameters:
            return report.run(engine, actor, dict(params))
        if not actor.is_admin:
            raise NotAllowed(f"报表“{getattr(report, 'title', report.name)}”不按区域限定，只有管理员可以查看",
                             report=report.name)
        return report.run(engine, **params)
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


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return str(value)


def to_csv(data: Any) -> str:
    """Rows (a list of objects) as CSV with a header; an object becomes one row.

    Starts with a UTF-8 BOM so spreadsheet software shows Chinese correctly.
    """
    rows = data if isinstance(data, list) else [data]
    rows = [r if isinstance(r, Mapping) else {"value": r} for r in rows]
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return "\ufeff" + out.getvalue()
