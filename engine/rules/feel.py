"""FEEL lexer and Pratt parser producing a small AST.

Only the FEEL subset decision tables need is supported: literals (numbers,
strings, booleans, ``null``, ``@"..."`` temporals), names and paths
(``case.category``), arithmetic, comparison, ``and``/``or``, ``if then
else``, function calls and list literals. Names with spaces are not supported,
except the multi-word built-in functions (``date and time(...)``), which the
lexer recognises when a ``(`` follows.

Operator precedence follows the FEEL spec (DMN 1.3, table 51): ``or`` <
``and`` < comparison < ``+ -`` < ``* /`` < ``**`` < unary ``-`` < postfix.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = ["FeelError", "FeelEvalError", "FeelSyntaxError", "Parser", "names_in", "parse_expression"]


class FeelError(Exception):
    """A FEEL text could not be parsed or compiled (English technical detail)."""


class FeelSyntaxError(FeelError):
    pass


class FeelEvalError(FeelError):
    """Raised by built-ins on bad arguments; at run time it becomes ``null``."""


# --- AST ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any


@dataclass(frozen=True, slots=True)
class Name:
    name: str  # "?" is the implicit input value of a unary test


@dataclass(frozen=True, slots=True)
class Path:
    base: Any
    attr: str


@dataclass(frozen=True, slots=True)
class Negate:
    operand: Any


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # + - * / ** = != < <= > >= and or
    left: Any
    right: Any


@dataclass(frozen=True, slots=True)
class If:
    cond: Any
    then: Any
    orelse: Any


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class ListLit:
    items: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Interval:
    """``[a..b]``, ``(a..b]``, ``]a..b[``; only valid as a unary test."""

    low: Any
    high: Any
    low_closed: bool
    high_closed: bool


# --- lexer ------------------------------------------------------------------

MULTIWORD_FUNCTIONS = (
    "date and time",
    "starts with",
    "ends with",
    "string length",
    "upper case",
    "lower case",
    "list contains",
)
_MULTIWORD = re.compile(r"(" + "|".join(w.replace(" ", r"\s+") for w in MULTIWORD_FUNCTIONS) + r")(?=\s*\()")
_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_NAME = re.compile(r"[^\W\d]\w*")  # unicode letters, so 类别 is a valid name
_OPERATORS = ("..", "**", "<=", ">=", "!=", "=", "<", ">", "+", "-", "*", "/", "(", ")", "[", "]", ",", ".", "?")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "'": "'"}
KEYWORDS = {"if", "then", "else", "and", "or", "true", "false", "null"}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # num, str, temporal, name, func, op, eof
    value: Any
    pos: int


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
                out.append(chr(int(text[i + 2 : i + 6], 16)))
                i += 6
                continue
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    raise FeelSyntaxError(f"unterminated string starting at column {start + 1}")


def tokenize(text: str) -> Iterator[Token]:
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == '"':
            value, i2 = _read_string(text, i)
            yield Token("str", value, i)
            i = i2
        elif ch == "@" and text[i + 1 : i + 2] == '"':
            value, i2 = _read_string(text, i + 1)
            yield Token("temporal", value, i)
            i = i2
        elif (m := _MULTIWORD.match(text, i)) is not None:
            yield Token("func", " ".join(m.group(1).split()), i)
            i = m.end()
        elif text.startswith("..", i):
            yield Token("op", "..", i)
            i += 2
        elif (m := _NUMBER.match(text, i)) is not None:
            yield Token("num", Decimal(m.group()), i)
            i = m.end()
        elif (m := _NAME.match(text, i)) is not None:
            yield Token("name", m.group(), i)
            i = m.end()
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
            if op is None:
                raise FeelSyntaxError(f"unexpected character {ch!r} at column {i + 1}")
            yield Token("op", op, i)
            i += len(op)
    yield Token("eof", None, n)


# --- parser -----------------------------------------------------------------

_BINARY_POWER = {
    "or": 1,
    "and": 2,
    "=": 3,
    "!=": 3,
    "<": 3,
    "<=": 3,
    ">": 3,
    ">=": 3,
    "+": 4,
    "-": 4,
    "*": 5,
    "/": 5,
    "**": 6,
}
_NEGATION_POWER = 7


class Parser:
    """Pratt parser over a token list; :mod:`unary` drives it for unary tests."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = list(tokenize(text))
        self.pos = 0

    # token helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def at(self, kind: str, value: Any = None) -> bool:
        tok = self.tok
        return tok.kind == kind and (value is None or tok.value == value)

    def at_op(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.value in ops

    def advance(self) -> Token:
        tok = self.tok
        self.pos += 1
        return tok

    def expect_op(self, op: str) -> None:
        if not self.at_op(op):
            self.fail(f"expected '{op}'")
        self.advance()

    def expect_keyword(self, word: str) -> None:
        if not self.at("name", word):
            self.fail(f"expected '{word}'")
        self.advance()

    def fail(self, what: str) -> None:
        tok = self.tok
        found = "end of text" if tok.kind == "eof" else repr(self.text[tok.pos : tok.pos + 12])
        raise FeelSyntaxError(f"{what} at column {tok.pos + 1}, found {found}")

    def expect_end(self) -> None:
        if not self.at("eof"):
            self.fail("unexpected text")

    # grammar
    def expression(self, min_power: int = 0) -> Any:
        left = self.prefix()
        while True:
            op = self._binary_op()
            if op is None or _BINARY_POWER[op] <= min_power:
                return left
            self.advance()
            # ** is right-associative, the rest left-associative
            power = _BINARY_POWER[op] - (1 if op == "**" else 0)
            left = Binary(op, left, self.expression(power))

    def _binary_op(self) -> str | None:
        tok = self.tok
        if tok.kind == "op" and tok.value in _BINARY_POWER:
            return tok.value
        if tok.kind == "name" and tok.value in ("and", "or"):
            return tok.value
        return None

    def prefix(self) -> Any:
        tok = self.tok
        if tok.kind == "op" and tok.value == "-":
            self.advance()
            return Negate(self.expression(_NEGATION_POWER - 1))
        if tok.kind == "name" and tok.value == "if":
            return self._if()
        return self.postfix(self.primary())

    def _if(self) -> If:
        self.advance()
        cond = self.expression()
        self.expect_keyword("then")
        then = self.expression()
        self.expect_keyword("else")
        return If(cond, then, self.expression())

    def primary(self) -> Any:
        tok = self.advance()
        if tok.kind in ("num", "str"):
            return Literal(tok.value)
        if tok.kind == "temporal":
            return Call("@", (Literal(tok.value),))
        if tok.kind == "func":
            return Call(tok.value, self._arguments())
        if tok.kind == "name":
            return self._name(tok)
        if tok.kind == "op" and tok.value == "?":
            return Name("?")
        if tok.kind == "op" and tok.value == "(":
            inner = self.expression()
            self.expect_op(")")
            return inner
        if tok.kind == "op" and tok.value == "[":
            return self._list()
        self.pos -= 1
        self.fail("expected a value")
        raise AssertionError  # unreachable; fail() always raises

    def _name(self, tok: Token) -> Any:
        word = tok.value
        if word in ("true", "false"):
            return Literal(word == "true")
        if word == "null":
            return Literal(None)
        if word in KEYWORDS:
            self.pos -= 1
            self.fail(f"unexpected keyword '{word}'")
        if self.at_op("("):
            return Call(word, self._arguments())
        return Name(word)

    def _arguments(self) -> tuple[Any, ...]:
        self.expect_op("(")
        args: list[Any] = []
        if not self.at_op(")"):
            args.append(self.expression())
            while self.at_op(","):
                self.advance()
                args.append(self.expression())
        self.expect_op(")")
        return tuple(args)

    def _list(self) -> ListLit:
        items: list[Any] = []
        if not self.at_op("]"):
            items.append(self.expression())
            while self.at_op(","):
                self.advance()
                items.append(self.expression())
        self.expect_op("]")
        return ListLit(tuple(items))

    def postfix(self, node: Any) -> Any:
        while self.at_op("."):
            self.advance()
            if not self.at("name"):
                self.fail("expected a name after '.'")
            node = Path(node, self.advance().value)
        return node


def parse_expression(text: str) -> Any:
    """Parse a whole FEEL expression; raises :class:`FeelSyntaxError`."""
    if not text or not text.strip():
        raise FeelSyntaxError("empty expression")
    parser = Parser(text)
    node = parser.expression()
    parser.expect_end()
    return node


def names_in(node: Any) -> set[str]:
    """Root variable names an AST reads (``case`` for ``case.category``), without ``?``."""
    found: set[str] = set()

    def walk(n: Any) -> None:
        if isinstance(n, Name):
            if n.name != "?":
                found.add(n.name)
        elif isinstance(n, Path):
            walk(n.base)
        elif isinstance(n, Negate):
            walk(n.operand)
        elif isinstance(n, Binary):
            walk(n.left)
            walk(n.right)
        elif isinstance(n, If):
            for child in (n.cond, n.then, n.orelse):
                walk(child)
        elif isinstance(n, (Call, ListLit)):
            for child in n.args if isinstance(n, Call) else n.items:
                walk(child)
        elif isinstance(n, Interval):
            walk(n.low)
            walk(n.high)

    walk(node)
    return found
