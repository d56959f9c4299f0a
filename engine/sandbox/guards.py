"""The operations compiled code calls instead of Python's own, with results of bounded size.

``Guards`` holds the operations whose results could grow without bound —
``*``, ``+``, ``**``, ``<<``, ``%``, ``range``, string methods, f-string widths,
``math.factorial`` … — each checked against ``Limits`` *before* the work is
done, raising ``LimitExceeded`` (``sequence_size`` or ``int_bits``). Counting
iterations and calls is ``meter``'s job.
"""

from __future__ import annotations

import math
import operator
import re
from decimal import Decimal
from functools import partial
from types import ModuleType
from typing import Any, Iterable

from RestrictedPython.Guards import safer_getattr

from ..errors import LimitExceeded
from ..limits import Limits, exceeded

__all__ = ["Guards", "weight", "GROWING_METHODS"]

_SEQUENCES = (str, bytes, bytearray, list, tuple)
_FLOATS = frozenset({float, complex})  # an operand of these types makes * and + numeric (or a TypeError)
_TEXT = (str, bytes, bytearray)
_CONTAINERS = (list, tuple, dict, set, frozenset)


def weight(value: Any, cap: int) -> int:
    """How big ``value`` is when written out: one per item, plus the length of each text.

    Shared references count every time (that is what serializing them costs);
    the walk stops as soon as the total passes ``cap``, so it costs at most ``cap`` steps.
    """
    total, stack = 0, [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is bytes or kind is bytearray:
            total += len(item) + 1
        elif kind is list or kind is tuple or kind is set or kind is frozenset:
            total += len(item) + 1
            if total > cap:
                return total
            stack.extend(item)
        elif kind is dict:
            total += 2 * len(item) + 1
            if total > cap:
                return total
            stack.extend(item.keys())
            stack.extend(item.values())
        else:
            total += 1
        if total > cap:
            return total
    return total


# printf-style conversions: %[(name)][flags][width][.precision][length]type
_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")
_SPEC_NUMBER = re.compile(r"\d+")
GROWING_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs", "replace", "join", "translate",
                             "extend"})


class Guards:
    """Operations with bounded results, for one set of limits (built once per ``Limits``)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.max_len = limits.sequence_size
        self.max_bits = limits.int_bits
        self.math = self._math_module()

    # --- errors ---------------------------------------------------------------------

    def too_long(self) -> LimitExceeded:
        return exceeded("sequence_size", self.max_len)

    def too_big(self) -> LimitExceeded:
        return exceeded("int_bits", self.max_bits)

    def check_weight(self, value: Any, cap: int | None = None) -> None:
        cap = self.max_len if cap is None else cap
        if isinstance(value, _CONTAINERS) and weight(value, cap) > cap:
            raise self.too_long()

    # --- binary operators -------------------------------------------------------------

    def mul(self, a: Any, b: Any) -> Any:
        if type(a) in _FLOATS or type(b) in _FLOATS:
            return a * b
        if isinstance(a, int) and isinstance(b, int):
            if a.bit_length() + b.bit_length() > self.max_bits:
                raise self.too_big()
        elif isinstance(b, int) and isinstance(a, _SEQUENCES):
            self._repeat(a, b)
        elif isinstance(a, int) and isinstance(b, _SEQUENCES):
            self._repeat(b, a)
        return a * b

    def _repeat(self, seq: Any, times: int) -> None:
        if times <= 1:
            return
        if len(seq) * times > self.max_len:
            raise self.too_long()
        if isinstance(seq, (list, tuple)) and seq:  # [big] * n: the copies share big, writing it out does not
            per_copy = weight(seq, self.max_len // times + 1) - 1
            if per_copy * times > self.max_len:
                raise self.too_long()

    def add(self, a: Any, b: Any) -> Any:
        if type(a) is int or type(b) is int or type(a) in _FLOATS:  # numbers never concatenate
            return a + b
        if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES) and len(a) + len(b) > self.max_len:
            raise self.too_long()
        return a + b

    def _check_pow(self, a: Any, b: Any) -> None:
        if isinstance(a, int) and isinstance(b, int) and b > 1 and a not in (0, 1, -1):
            if a.bit_length() * b > self.max_bits:
                raise self.too_big()

    def power(self, a: Any, b: Any, mod: Any = None) -> Any:
        if mod is None:
            self._check_pow(a, b)
            return a ** b
        return pow(a, b, mod)

    def lshift(self, a: Any, b: Any) -> Any:
        if isinstance(a, int) and isinstance(b, int) and a and b > 0 and a.bit_length() + b > self.max_bits:
            raise self.too_big()
        return a << b

    def mod(self, a: Any, b: Any) -> Any:
        if isinstance(a, _TEXT):
            self.check_printf(a, b)
        return a % b

    def check_printf(self, template: Any, args: Any) -> None:
        text = template if isinstance(template, str) else bytes(template).decode("latin-1")
        values = args if isinstance(args, tuple) else (args,)
        star = max((v for v in values if isinstance(v, int)), default=0)
        total = len(text)
        for match in _PRINTF.finditer(text):
            for number in match.groups():
                if number == "*":
                    total += max(star, 0)
                elif number:
                    total += int(number) if len(number) <= 9 else self.max_len + 1
        for value in values:
            total += weight(value, self.max_len) if isinstance(value, _CONTAINERS) else 0
            self._whole(value)  # %d of a Decimal makes an int
        if total > self.max_len:
            raise self.too_long()

    def inplace(self, op: str, x: Any, y: Any) -> Any:
        """``_inplacevar_``: ``x op= y`` with the same checks as the plain operators, in place where Python is."""
        if op == "+=":
            if type(x) is not int and isinstance(x, _SEQUENCES) and isinstance(y, _SEQUENCES):
                if len(x) + len(y) > self.max_len:
                    raise self.too_long()
            x += y
            return x
        if op == "*=":
            if isinstance(x, int) and isinstance(y, int):
                return self.mul(x, y)
            if isinstance(y, int) and isinstance(x, _SEQUENCES):
                self._repeat(x, y)
            x *= y
            return x
        if op == "**=":
            return self.power(x, y)
        if op == "<<=":
            return self.lshift(x, y)
        if op == "%=":
            return self.mod(x, y)
        return _INPLACE[op](x, y)

    # --- builtins -----------------------------------------------------------------------

    def range(self, *args: Any) -> range:
        span = range(*args)
        try:
            size = len(span)
        except OverflowError:
            size = self.max_len + 1
        if size > self.max_len:
            raise self.too_long()
        return span

    def sum(self, iterable: Iterable[Any], start: Any = 0) -> Any:
        if isinstance(start, _SEQUENCES):  # sum(lists, []) concatenates: bound the result
            items = list(iterable)
            total = len(start)
            for item in items:
                total += len(item) if isinstance(item, _SEQUENCES) else 1
            if total > self.max_len:
                raise self.too_long()
            return sum(items, start)
        return sum(iterable, start)

    def repr(self, value: Any) -> str:
        self.check_weight(value)
        return repr(value)

    def str(self, *args: Any, **kwargs: Any) -> str:
        """``str(...)`` calls (compiled to ``_str_``): ``str`` itself stays the type, for ``isinstance``."""
        if len(args) == 1 and not kwargs:
            self.check_weight(args[0])
        return str(*args, **kwargs)

    def _whole(self, value: Any) -> None:
        """A Decimal about to become an int: ``int(Decimal('1e999999'))`` would take a minute."""
        if isinstance(value, Decimal) and value.is_finite() and value.adjusted() * 3.33 > self.max_bits:
            raise self.too_big()

    def int(self, *args: Any, **kwargs: Any) -> int:
        """``int(...)`` calls (compiled to ``_int_``)."""
        if args:
            self._whole(args[0])
        return int(*args, **kwargs)

    def round(self, number: Any, *args: Any) -> Any:
        if not args:
            self._whole(number)
        return round(number, *args)

    def bytes(self, *args: Any, **kwargs: Any) -> bytes:
        """``bytes(...)`` calls (compiled to ``_bytes_``): ``bytes(n)`` is n zero bytes."""
        if args and isinstance(args[0], int) and args[0] > self.max_len:
            raise self.too_long()
        return bytes(*args, **kwargs)

    def format_value(self, value: Any, conversion: int, spec: str) -> str:
        """An f-string field ``{value!conversion:spec}`` (compiled to ``_fmt_``), width and precision bounded."""
        if conversion != -1 or not spec:
            self.check_weight(value)
        if isinstance(value, Decimal) and value.is_finite() and abs(value.adjusted()) > self.max_len:
            raise self.too_long()
        if conversion == ord("r"):
            value = repr(value)
        elif conversion == ord("s"):
            value = str(value)
        elif conversion == ord("a"):
            value = ascii(value)
        for number in _SPEC_NUMBER.findall(spec):
            if len(number) > 9 or int(number) > self.max_len:
                raise self.too_long()
        return format(value, spec)

    def display(self, value: Any) -> Any:
        """``[*a, *b]``, ``(*a, *b)``, ``{*a, *b}`` (compiled to ``_seq_``): the result's length bounded."""
        if len(value) > self.max_len:
            raise self.too_long()
        return value

    # --- attributes: methods that grow strings and lists ------------------------------------

    def getattr(self, obj: Any, name: str, default: Any = None) -> Any:
        """``_getattr_``: RestrictedPython's ``safer_getattr``, with growing methods bounded."""
        if name in GROWING_METHODS:
            if isinstance(obj, _TEXT) or (isinstance(obj, list) and name == "extend"):
                return partial(self.grow, name, obj)
            if obj is str or obj is bytes:
                return partial(self._unbound, name)
        return safer_getattr(obj, name, default)

    def _unbound(self, name: str, obj: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(obj, _TEXT):
            return self.grow(name, obj, *args, **kwargs)
        return getattr(type(obj), name)(obj, *args, **kwargs)

    def grow(self, name: str, obj: Any, *args: Any, **kwargs: Any) -> Any:
        method = getattr(obj, name)
        if name == "join" or name == "extend":
            items = args[0] if args and isinstance(args[0], (list, tuple)) else list(args[0]) if args else []
            args = (items, *args[1:])
        try:
            size = _GROWTH[name](obj, *args, **kwargs)
        except (TypeError, ValueError, IndexError, KeyError, AttributeError):
            size = 0  # the real call below raises the proper error
        if size > self.max_len:
            raise self.too_long()
        return method(*args, **kwargs)

    # --- math -----------------------------------------------------------------------------

    def _math_module(self) -> ModuleType:
        module = ModuleType("math", "math, with factorial, comb, perm, prod and lcm bounded by int_bits")
        module.__dict__.update({k: v for k, v in vars(math).items() if not k.startswith("_")})
        module.__dict__.update(factorial=self.factorial, comb=self.comb, perm=self.perm, prod=self.prod, lcm=self.lcm)
        for name in ("floor", "ceil", "trunc"):
            module.__dict__[name] = self._to_whole(getattr(math, name))
        return module

    def _to_whole(self, function: Any) -> Any:
        def bounded(value: Any) -> Any:
            self._whole(value)
            return function(value)

        bounded.__name__ = function.__name__
        return bounded

    def _bits(self, estimate: float) -> None:
        if estimate > self.max_bits:
            raise self.too_big()

    def factorial(self, n: int) -> int:
        if isinstance(n, int) and n > 20:
            self._bits(_log2_factorial(n))
        return math.factorial(n)

    def comb(self, n: int, k: int) -> int:
        if isinstance(n, int) and isinstance(k, int) and 0 < k < n:
            k = min(k, n - k)  # log2 C(n, k) <= k * log2(e * n / k)
            self._bits(k * math.log2(math.e * n / k))
        return math.comb(n, k)

    def perm(self, n: int, k: int | None = None) -> int:
        if k is None:
            return self.factorial(n)
        if isinstance(n, int) and isinstance(k, int) and 0 < k <= n:
            self._bits(k * math.log2(n))
        return math.perm(n, k)

    def prod(self, iterable: Iterable[Any], *, start: Any = 1) -> Any:
        items = list(iterable)
        self._bits(sum(abs(i).bit_length() for i in [start, *items] if isinstance(i, int)))
        return math.prod(items, start=start)

    def lcm(self, *integers: int) -> int:
        self._bits(sum(abs(i).bit_length() for i in integers if isinstance(i, int)))
        return math.lcm(*integers)


def _log2_factorial(n: int) -> float:
    try:
        return math.lgamma(n + 1) / math.log(2)
    except OverflowError:
        return math.inf


def _pad(obj: Any, width: Any, *_: Any) -> int:
    return max(len(obj), width.__index__())


def _expandtabs(obj: Any, tabsize: Any = 8) -> int:
    tab = "\t" if isinstance(obj, str) else b"\t"
    return len(obj) + obj.count(tab) * max(tabsize.__index__(), 0)


def _replace(obj: Any, old: Any, new: Any, count: Any = -1) -> int:
    found = obj.count(old) if len(old) else len(obj) + 1
    if count.__index__() >= 0:
        found = min(found, count.__index__())
    return len(obj) + found * (len(new) - len(old))


def _join(obj: Any, items: list[Any]) -> int:
    return sum(len(item) for item in items) + len(obj) * max(len(items) - 1, 0)


def _translate(obj: Any, table: Any) -> int:
    if isinstance(obj, str) and isinstance(table, dict):
        longest = max((len(v) for v in table.values() if isinstance(v, str)), default=1)
        return len(obj) * max(longest, 1)
    return len(obj)


def _extend(obj: list[Any], items: list[Any]) -> int:
    return len(obj) + len(items)


_GROWTH = {"ljust": _pad, "rjust": _pad, "center": _pad, "zfill": _pad, "expandtabs": _expandtabs,
           "replace": _replace, "join": _join, "translate": _translate, "extend": _extend}

_INPLACE = {"-=": operator.isub, "/=": operator.itruediv, "//=": operator.ifloordiv, ">>=": operator.irshift,
            "|=": operator.ior, "&=": operator.iand, "^=": operator.ixor, "@=": operator.imatmul}
