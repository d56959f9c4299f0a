"""The prelude every inbound adapter shares: checking the caller's secret, taking a report in
once, and saying why a call was refused — in one way, whatever the portal's own format.

Flask-free: the web side (``gongzhi.adapters.web``) renders a ``Refused`` in the
portal's format (GeoReport errors, the hotline's ``{"code", "message"}``, a WeChat
reply); everything that decides *whether* to refuse lives here.
"""

from __future__ import annotations

import hmac
from typing import Any, Callable, Iterable, Mapping

from gongzhi import FormValidationError, GongzhiError, InstanceView

from .intake import Intake, IntakeBusy, IntakeConflict, IntakeResult

__all__ = ["Refused", "admit", "secret_matches", "bearer_token", "grid_of"]


class Refused(Exception):
    """An inbound call refused: the HTTP status, a message for people, and what kind of refusal.

    ``kind`` lets a portal format pick its own codes: ``unauthorized``, ``unconfigured``,
    ``bad-request``, ``not-found``, ``conflict`` (the id was used for another report),
    ``busy`` (the same report is being taken in), ``invalid`` (the process refused the data;
    ``errors`` says which fields), ``error`` (anything else). ``code``: the portal's own code, if set.
    """

    def __init__(self, status: int, message: str, *, kind: str = "error", code: int | None = None,
                 errors: list[Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.code = status, message, kind, code
        self.errors = errors or []


def secret_matches(given: str | None, accepted: Iterable[str]) -> bool:
    """Whether ``given`` is one of the ``accepted`` secrets, compared in constant time."""
    if not given:
        return False
    found = False
    for secret in accepted:  # no early exit: the time taken does not tell which one matched
        found |= hmac.compare_digest(given.encode(), str(secret).encode())
    return found


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    scheme, _, token = (header or "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def admit(intake: Intake, external_id: str, report: Mapping[str, Any],
          start: Callable[[str, dict[str, Any]], InstanceView]) -> IntakeResult:
    """``intake.submit`` with every way it can fail turned into a ``Refused``."""
    try:
        return intake.submit(external_id, report, start)
    except IntakeConflict as exc:
        raise Refused(409, f"编号 {exc.external_id} 已用于内容不同的另一份报告", kind="conflict") from exc
    except IntakeBusy as exc:
        raise Refused(409, str(exc), kind="busy") from exc
    except FormValidationError as exc:
        raise Refused(422, exc.message, kind="invalid", errors=list(getattr(exc, "errors", None) or [])) from exc
    except GongzhiError as exc:
        raise Refused(min(exc.http_status, 500), exc.message) from exc


def grid_of(engine: Any, lon: float | None, lat: float | None, address: str | None) -> tuple[str | None, dict[str, Any] | None]:
    """The grid a report lies in, from its coordinates (else its address), and where it was located.

    ``(None, None)`` when the directory cannot say (no grid data, an address no rule knows), so
    the adapter falls back to its ``default_grid``. A point in the district but in no grid (or an
    address rule naming a street or a community) gives the street's path: the case starts in the
    street, whose 指定网格 task in ``whistle_dispatch`` moves it into one of its grids.
    ``(None, location)`` only when no street holds it (the district): ``default_grid`` is the last
    resort. A point outside the district is refused: no street there can take it.
    """
    from gongzhi.grid import AddressUnmatched, NoGridData, OutsideDistrict, locate
    from gongzhi.grid import of as grid_directory

    if (lon is None or lat is None) and not address:
        return None, None
    try:
        found = locate(engine, lon, lat, address) if lon is not None and lat is not None else locate(engine, address=address)
    except OutsideDistrict as exc:
        raise Refused(400, exc.message, kind="bad-request", errors=exc.context.get("errors")) from exc
    except (AddressUnmatched, NoGridData):
        return None, None
    grids = grid_directory(engine)
    unit = grids.unit(found.region)
    if unit is not None and unit.level in ("street", "community"):  # in no grid: its street assigns one
        street = grids.ancestor(unit.path, "street")
        return (street.path if street is not None else None), found.as_dict()
    while unit is not None and unit.level not in ("grid",):  # a micro-grid's case is its grid's
        unit = grids.unit(unit.parent) if unit.parent else None
    return (unit.path if unit is not None else None), found.as_dict()
