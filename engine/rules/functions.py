"""FEEL function values, scopes and invocation; the registry of built-in functions.

Three kinds of function share one calling convention (positional or named
arguments): built-ins (registered by the ``lib_*`` modules with their spec
parameter names), user functions (``function(a, b) a + b``, boxed function
definitions) and business knowledge models / decision services, which record
each call in the explanation. Every user-function call counts against
``max_iterations`` and ``max_depth`` of the current :class:`~limits.Run`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import DecimalException
from typing import Any

from ..errors import LimitExceeded
from .feel import FeelEvalError, normalize_name
from .feeltypes import coerce
from .limits import TraceEntry, current_run, exceeded
from .values import feel_text


class Frame(dict):  # type: ignore[type-arg]
    """A scope: its own names, then its parent's (a context, a call, an iteration)."""

    __slots__ = ("parent",)

    def __init__(self, parent: Mapping[str, Any], entries: Mapping[str, Any] | None = None) -> None:
        if entries:
            super().__init__(entries)
        else:
            super().__init__()
        self.parent = parent

    def __missing__(self, key: str) -> Any:
        return self.parent[key]

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self.parent


# What a built-in may raise on bad arguments; FEEL turns each into null.
RUNTIME_ERRORS = (FeelEvalError, DecimalException, ValueError, TypeError, OverflowError, ArithmeticError, IndexError)


class Function:
    """Base of FEEL function values."""

    name: str = ""
    params: tuple[str, ...] = ()

    def call(self, args: list[Any], named: dict[str, Any] | None = None) -> Any:
        raise NotImplementedError

    def __call__(self, *args: Any) -> Any:
        return self.call(list(args))

    def __repr__(self) -> str:
        return f"<FEEL function {self.name or '(anonymous)'}({', '.join(self.params)})>"


def invoke(fn: Any, args: list[Any], named: dict[str, Any] | None = None) -> Any:
    """Call a FEEL value; invoking something that is not a function yields null."""
    if isinstance(fn, Function):
        return fn.call(args, named)
    return None


# --- built-ins -------------------------------------------------------------------


class Signature:
    """One overload: parameter names; ``name?`` is optional, ``name...`` takes the rest."""

    __slots__ = ("names", "required", "varargs")

    def __init__(self, spec: tuple[str, ...]) -> None:
        self.names = tuple(p.rstrip("?").removesuffix("...") for p in spec)
        self.required = sum(1 for p in spec if not p.endswith(("?", "...")))
        self.varargs = bool(spec) and spec[-1].endswith("...")

    def accepts(self, count: int) -> bool:
        return count >= self.required and (self.varargs or count <= len(self.names))


class Builtin(Function):
    def __init__(self, name: str, fn: Callable[..., Any], signatures: list[tuple[str, ...]], pure: bool) -> None:
        self.name, self.fn, self.pure = name, fn, pure
        self.signatures = [Signature(s) for s in signatures]
        self.params = self.signatures[0].names

    def accepts(self, count: int) -> bool:
        return any(s.accepts(count) for s in self.signatures)

    def positional(self, named: dict[str, Any]) -> list[Any] | None:
        """Named arguments put in the order of the overload they fit, or None if none fits."""
        given = {normalize_name(k): v for k, v in named.items()}
        for sig in self.signatures:
            if set(given) <= set(sig.names) and all(n in given for n in sig.names[: sig.required]):
                args = [given.get(n) for n in sig.names]
                while args and sig.names[len(args) - 1] not in given:
                    args.pop()  # trailing optional parameters left out
                return args
        return None

    def call(self, args: list[Any], named: dict[str, Any] | None = None) -> Any:
        if named is not None:
            positional = self.positional(named)
            if positional is None:
                return None
            args = positional
        if not self.accepts(len(args)):
            return None
        try:
            return self.fn(*args)
        except RUNTIME_ERRORS:  # FEEL: a failing function yields null
            return None


BUILTINS: dict[str, Builtin] = {}
BUILTIN_NAMES: set[str] = set()
IMPURE: set[str] = set()


def builtin(name: str, *signatures: tuple[str, ...], pure: bool = True) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a built-in under its spec name with its parameter names (one tuple per overload)."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        BUILTINS[name] = Builtin(name, fn, list(signatures) or [()], pure)
        BUILTIN_NAMES.add(name)
        if not pure:
            IMPURE.add(name)
        return fn

    return register


# --- user functions, BKMs and decision services -------------------------------------


class UserFunction(Function):
    """A FEEL function: parameters, a compiled body, the scope it was defined in.

    ``kind`` is ``"feel"`` for function literals and boxed definitions, ``"bkm"``
    for business knowledge models (calls are recorded in the explanation).
    """

    def __init__(
        self,
        name: str,
        params: tuple[str, ...],
        body: Callable[[Mapping[str, Any]], Any],
        scope: Mapping[str, Any],
        types: tuple[Any, ...] | None = None,
        result_type: Any = None,
        kind: str = "feel",
    ) -> None:
        self.name, self.params, self.body, self.scope = name, params, body, scope
        self.types = types or (None,) * len(params)
        self.result_type, self.kind = result_type, kind

    def bind(self, args: list[Any], named: dict[str, Any] | None) -> dict[str, Any] | None:
        if named is not None:
            given = {normalize_name(k): v for k, v in named.items()}
            if not set(given) <= set(self.params):
                return None
            return {p: given.get(p) for p in self.params}
        if len(args) > len(self.params):
            return None
        return {p: (args[i] if i < len(args) else None) for i, p in enumerate(self.params)}

    def call(self, args: list[Any], named: dict[str, Any] | None = None) -> Any:
        run = current_run()
        run.tick()
        bound = self.bind(args, named)
        entry = None
        if self.kind != "feel":
            entry = run.record(TraceEntry("call", self.name, detail={"callee": self.kind, "args": dict(bound or {})}))
        if bound is None:
            return None
        if run.depth >= run.limits.max_depth:
            raise exceeded("max_depth", run.limits.max_depth, run.depth + 1)
        run.depth += 1
        run.enter(entry)
        try:
            for param, ftype in zip(self.params, self.types, strict=True):
                if ftype is not None:
                    bound[param], warning = coerce(bound[param], ftype)
                    if warning:
                        run.record(TraceEntry("warning", f"{self.name or '函数'} 的参数 '{param}'",
                                              detail={"message": warning}))  # fmt: skip
            result = self.body(Frame(self.scope, bound))
        except RecursionError as exc:  # Python's own stack ran out first: same answer, a limit
            raise exceeded("max_depth", run.limits.max_depth, run.depth) from exc
        finally:
            run.leave(entry)
            run.depth -= 1
        if self.result_type is not None:
            result, warning = coerce(result, self.result_type)
            if warning:
                run.record(TraceEntry("warning", f"{self.name or '函数'} 的结果", detail={"message": warning}))
        if entry is not None:
            entry.value = result
        return result


def describe_call(entry: TraceEntry) -> str:
    args = ", ".join(f"{k} = {feel_text(v)}" for k, v in entry.detail.get("args", {}).items())
    return f"{entry.label}({args})"


__all__ = [
    "BUILTINS", "BUILTIN_NAMES", "Builtin", "Frame", "Function", "IMPURE", "LimitExceeded", "UserFunction",
    "builtin", "invoke",
]  # fmt: skip

# The library registers itself on import.
from . import lib_contexts, lib_conversion, lib_lists, lib_numbers, lib_ranges, lib_strings, lib_temporal  # noqa: E402,F401
