"""Counting what one evaluation does: loop iterations, function calls, and the time left.

``Meter`` is the budget of one evaluation (a script, an expression, a template
render). Compiled code calls ``tick()`` at the top of every ``while`` body and
function, and iterates through ``iterate()`` (RestrictedPython's ``_getiter_``);
the deadline is looked at every ``CHECK_EVERY`` units, so the hot path pays a
subtraction and a comparison. A tripped meter keeps raising, and every
``except`` block of a script starts with ``handler()``, so a script cannot
swallow the error and go on.
"""

from __future__ import annotations

import sys
import time
from itertools import chain, compress, repeat
from operator import length_hint
from typing import Any, Iterator

from ..errors import LimitExceeded
from ..limits import Limits, deadline_error, exceeded

__all__ = ["Meter", "handler", "CHECK_EVERY"]

# Iterations between two looks at the clock. One iteration may do up to ``sequence_size`` work in C
# (``sum(range(n))``), so the clock is read often: it costs ~40 ns, a few ns per iteration.
CHECK_EVERY = 16


class Meter:
    """Iterations and calls one evaluation may still make, and the deadline it must meet."""

    __slots__ = ("limits", "limit", "left", "check_at", "deadline")

    def __init__(self, limits: Limits, deadline: float | None = None, limit: str = "script_iterations") -> None:
        self.limits = limits
        self.limit = limit  # the Limits field that counts: script_iterations, or template_iterations
        self.left = getattr(limits, limit)
        self.check_at = max(self.left - CHECK_EVERY + 1, 0)
        self.deadline = deadline

    def tick(self) -> None:
        """One loop iteration or function call (compiled into ``while`` bodies and function entries)."""
        self.left -= 1
        if self.left < self.check_at:
            self._settle()

    def charge(self, count: int) -> None:
        self.left -= count
        if self.left < self.check_at:
            self._settle()

    def _settle(self) -> None:
        if self.left < 0:
            raise exceeded(self.limit, getattr(self.limits, self.limit))
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise deadline_error(self.limits)
        self.check_at = max(self.left - CHECK_EVERY + 1, 0)

    def iterate(self, iterable: Any) -> Iterator[Any]:
        """``_getiter_``: iterate ``iterable``, counting each item at C speed.

        Items pass through ``itertools.compress`` against a stream of tickets
        charged in blocks; when the iterable ends, the unused tickets of the
        last block are given back, so the count is exact (a loop left with
        ``break`` keeps at most one block of ``CHECK_EVERY`` charged).
        """
        tickets = _Tickets(self)
        return compress(chain(iterable, tickets.refund()), chain.from_iterable(tickets))


class _Tickets:
    """Blocks of ``CHECK_EVERY`` tickets; charging each block settles the meter (and reads the clock)."""

    __slots__ = ("meter", "block")

    def __init__(self, meter: Meter) -> None:
        self.meter = meter
        self.block: Any = None

    def __iter__(self) -> "_Tickets":
        return self

    def __next__(self) -> Any:
        meter = self.meter
        size = min(CHECK_EVERY, meter.left) if meter.left > 0 else 1  # never charge past the limit early
        meter.charge(size)
        self.block = repeat(True, size)
        return self.block

    def refund(self) -> Iterator[Any]:
        if self.block is not None:
            self.meter.left += length_hint(self.block)
            self.block = None
        return
        yield  # an empty generator: runs (and refunds) when the iterable is exhausted


def handler() -> None:
    """``_handler_``: the first statement of every ``except`` block; a limit error is never swallowed."""
    error = sys.exc_info()[1]
    if isinstance(error, LimitExceeded):
        raise error
