"""The FEEL lexer: tokens with their offsets, string escapes, comments, line and column numbers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .syntax import FeelSyntaxError

_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_NAME = re.compile(r"[^\W\d]\w*")  # unicode letters, so 类别 is a valid name
_OPERATORS = (
    "..", "**", "<=", ">=", "!=", "->", "=", "<", ">", "+", "-", "*", "/",
    "(", ")", "[", "]", "{", "}", ",", ".", ":", "?",
)  # fmt: skip
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "'": "'", "b": "\b", "f": "\f"}
KEYWORDS = frozenset(
    "if then else and or true false null for in return some every satisfies between instance of function "
    "external".split()
)
# tokens that may sit inside a name without spaces: Pre-bureau, a/b, it's (spec: additional name symbols)
_NAME_SYMBOLS = frozenset({".", "/", "-", "'", "+", "*"})
BUILTIN_TYPES = (
    "number", "string", "boolean", "date", "time", "date and time", "days and time duration",
    "years and months duration", "dayTimeDuration", "yearMonthDuration", "dateTime", "duration",
    "Any", "Null", "context", "list", "range", "function",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # num, str, temporal, name, op, eof
    value: Any
    pos: int
    end: int


def line_col(text: str, pos: int) -> tuple[int, int]:
    """1-based line and column of offset ``pos``."""
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _syntax(text: str, pos: int, what: str) -> FeelSyntaxError:
    line, col = line_col(text, pos)
    found = "end of text" if pos >= len(text) else repr(text[pos : pos + 12])
    detail = f"{what} at line {line}, column {col}, found {found}" if "\n" in text else \
        f"{what} at column {col}, found {found}"  # fmt: skip
    return FeelSyntaxError(detail, line, col, what)


def _read_string(text: str, start: int) -> tuple[str, int]:
    """Read a double-quoted string at ``start``; return (value, index after closing quote)."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == '"':
            return "".join(out), i + 1
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[i + 2 : i + 6]):
                code = int(text[i + 2 : i + 6], 16)
                i += 6
                low = text[i + 2 : i + 6] if text.startswith("\\u", i) else ""
                if 0xD800 <= code < 0xDC00 and re.fullmatch(r"[dD][c-fC-F][0-9a-fA-F]{2}", low):
                    code = 0x10000 + ((code - 0xD800) << 10) + (int(low, 16) - 0xDC00)  # surrogate pair
                    i += 6
                out.append(chr(code))
                continue
            if nxt == "U" and re.fullmatch(r"[0-9a-fA-F]{6}", text[i + 2 : i + 8]):
                out.append(chr(int(text[i + 2 : i + 8], 16)))
                i += 8
                continue
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    raise _syntax(text, start, "unterminated string")


def tokenize(text: str) -> Iterator[Token]:
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise _syntax(text, i, "unterminated comment")
            i = end + 2
        elif ch == '"':
            value, i2 = _read_string(text, i)
            yield Token("str", value, i, i2)
            i = i2
        elif ch == "@" and text[i + 1 : i + 2] == '"':
            value, i2 = _read_string(text, i + 1)
            yield Token("temporal", value, i, i2)
            i = i2
        elif text.startswith("..", i):
            yield Token("op", "..", i, i + 2)
            i += 2
        elif (m := _NUMBER.match(text, i)) is not None:
            yield Token("num", Decimal(m.group()), i, m.end())
            i = m.end()
        elif (m := _NAME.match(text, i)) is not None:
            yield Token("name", m.group(), i, m.end())
            i = m.end()
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
            if op is None:
                raise _syntax(text, i, f"unexpected character {ch!r}")
            yield Token("op", op, i, i + len(op))
            i += len(op)
    yield Token("eof", None, n, n)


def normalize_name(name: str) -> str:
    """Names compare with runs of whitespace collapsed: ``Monthly   Salary`` is ``Monthly Salary``."""
    return " ".join(name.split())
