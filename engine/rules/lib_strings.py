"""String functions (DMN 1.5 §10.3.4.3), with XPath/XML Schema regular expressions.

``matches``, ``replace`` and ``split`` take XML Schema regexes and the XPath
flags ``s m i x q``; elementpath translates the pattern and the ``regex``
module runs it with a timeout (``regex_timeout_seconds``), so a pattern that
backtracks catastrophically stops with ``LimitExceeded`` instead of hanging.
Positions count Unicode code points and start at 1; negative ones count from the end.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from typing import Any

import regex
from elementpath.regex import RegexError, translate_pattern

from .feel import FeelEvalError
from .functions import builtin
from .lib_conversion import require
from .limits import current_run, exceeded

_FLAGS = {"s": re.S, "m": re.M, "i": re.I}


@builtin("substring", ("string", "start position", "length?"))
def substring(text: Any, start: Any, length: Any = None) -> str:
    require(text, str, "substring")
    first = int(require(start, Decimal, "substring").to_integral_value())
    if first == 0:
        raise FeelEvalError("substring(): start position 0")
    begin = first - 1 if first > 0 else len(text) + first
    if length is None:
        return text[max(begin, 0) :]
    count = int(require(length, Decimal, "substring").to_integral_value())
    if count < 0:
        raise FeelEvalError("substring(): negative length")
    end = begin + count
    return text[max(begin, 0) : max(end, 0)]


@builtin("string length", ("string",))
def string_length(text: Any) -> Decimal:
    return Decimal(len(require(text, str, "string length")))


@builtin("upper case", ("string",))
def upper_case(text: Any) -> str:
    return require(text, str, "upper case").upper()


@builtin("lower case", ("string",))
def lower_case(text: Any) -> str:
    return require(text, str, "lower case").lower()


@builtin("substring before", ("string", "match"))
def substring_before(text: Any, match: Any) -> str:
    text, match = require(text, str, "substring before"), require(match, str, "substring before")
    index = text.find(match)
    return "" if index < 0 else text[:index]


@builtin("substring after", ("string", "match"))
def substring_after(text: Any, match: Any) -> str:
    text, match = require(text, str, "substring after"), require(match, str, "substring after")
    if match == "":
        return text
    index = text.find(match)
    return "" if index < 0 else text[index + len(match) :]


@builtin("contains", ("string", "match"))
def contains(text: Any, match: Any) -> bool:
    return require(match, str, "contains") in require(text, str, "contains")


@builtin("starts with", ("string", "match"))
def starts_with(text: Any, match: Any) -> bool:
    return require(text, str, "starts with").startswith(require(match, str, "starts with"))


@builtin("ends with", ("string", "match"))
def ends_with(text: Any, match: Any) -> bool:
    return require(text, str, "ends with").endswith(require(match, str, "ends with"))


def _strip_whitespace(pattern: str) -> str:
    """XPath flag x: whitespace outside character classes is not part of the pattern."""
    out, depth, escaped = [], 0, False
    for ch in pattern:
        if escaped:
            out.append(ch)
            escaped = False
            continue
        if ch == "\\":
            escaped = True
        elif ch == "[":
            depth += 1
        elif ch == "]" and depth:
            depth -= 1
        elif ch.isspace() and not depth:
            continue
        out.append(ch)
    return "".join(out)


@functools.lru_cache(maxsize=512)
def compile_regex(pattern: str, flags: str) -> Any:
    """An XPath regex compiled once per (pattern, flags); FeelEvalError if either is invalid."""
    if any(f not in "smixq" for f in flags):
        raise FeelEvalError(f"invalid regular expression flags {flags!r}")
    if "q" in flags:
        source = re.escape(pattern)
    else:
        if "x" in flags:
            pattern = _strip_whitespace(pattern)
        try:
            mode = (re.M if "m" in flags else 0) | (re.S if "s" in flags else 0)
            source = translate_pattern(pattern, flags=mode, xsd_version="1.1")
        except (RegexError, ValueError) as exc:
            raise FeelEvalError(f"invalid regular expression {pattern!r}: {exc}") from exc
    mode = 0
    for f in flags:
        mode |= _FLAGS.get(f, 0)
    try:
        return regex.compile(source, mode | regex.V0)
    except regex.error as exc:
        raise FeelEvalError(f"invalid regular expression {pattern!r}: {exc}") from exc


def _timed(action: Any, *args: Any) -> Any:
    seconds = current_run().limits.regex_timeout_seconds
    try:
        return action(*args, timeout=seconds)
    except TimeoutError as exc:
        raise exceeded("regex_timeout_seconds", seconds) from exc


def _flags(flags: Any, label: str) -> str:
    return "" if flags is None else require(flags, str, label)


@builtin("matches", ("input", "pattern", "flags?"))
def matches(text: Any, pattern: Any, flags: Any = None) -> bool:
    compiled = compile_regex(require(pattern, str, "matches"), _flags(flags, "matches"))
    return _timed(compiled.search, require(text, str, "matches")) is not None


def _replacement(text: str) -> str:
    """XPath replacement syntax ($1, \\$, \\\\) in Python's (\\g<1>)."""
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in "\\$":
            out.append("\\\\" if text[i + 1] == "\\" else "$")
            i += 2
        elif ch == "$" and i + 1 < len(text) and text[i + 1].isdigit():
            j = i + 1
            while j < len(text) and text[j].isdigit():
                j += 1
            out.append(f"\\g<{text[i + 1 : j]}>")
            i = j
        elif ch in "\\$":
            raise FeelEvalError(f"invalid replacement string {text!r}")
        else:
            out.append(ch)
            i += 1
    return "".join(out)


@builtin("replace", ("input", "pattern", "replacement", "flags?"))
def replace(text: Any, pattern: Any, replacement: Any, flags: Any = None) -> str:
    flag_text = _flags(flags, "replace")
    compiled = compile_regex(require(pattern, str, "replace"), flag_text)
    if compiled.match(""):
        raise FeelEvalError("replace(): the pattern matches the empty string")
    repl = require(replacement, str, "replace")
    repl = repl.replace("\\", "\\\\") if "q" in flag_text else _replacement(repl)
    try:
        result = _timed(compiled.sub, repl, require(text, str, "replace"))
    except (regex.error, IndexError) as exc:
        raise FeelEvalError(f"replace(): {exc}") from exc
    return current_run().check_string(result)


@builtin("split", ("string", "delimiter", "flags?"))
def split(text: Any, delimiter: Any, flags: Any = None) -> list[str]:
    compiled = compile_regex(require(delimiter, str, "split"), _flags(flags, "split"))
    if compiled.match(""):
        raise FeelEvalError("split(): the delimiter matches the empty string")
    text = require(text, str, "split")
    run, parts, last = current_run(), [], 0
    for found in _timed(compiled.finditer, text):
        parts.append(text[last : found.start()])
        last = found.end()
        run.check_size(len(parts))
    parts.append(text[last:])
    return parts


@builtin("string join", ("list", "delimiter?"))
def string_join(items: Any, delimiter: Any = None) -> str:
    require(items, list, "string join")
    sep = "" if delimiter is None else require(delimiter, str, "string join")
    if any(v is not None and type(v) is not str for v in items):
        raise FeelEvalError("string join() needs a list of strings")
    return current_run().check_string(sep.join(v for v in items if v is not None))
