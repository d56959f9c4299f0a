"""FEEL lexer and Pratt parser (DMN 1.5, chapter 10) producing a small AST.

The whole expression language is parsed: literals (numbers, strings with
escapes, ``@"..."`` temporals), names with spaces, paths ``a.b``, filters
``l[item > 3]``, invocations with positional or named arguments, lists,
contexts ``{a: 1, b: a + 1}``, ranges ``[1..10)``, ``if``/``for``/``some``/
``every``, ``between``, ``in``, ``instance of``, function definitions and
comments. :mod:`unary` drives the same parser for unary tests.

Names with spaces (``Monthly Salary``, ``date and time``) are FEEL's hard part:
a name is the longest run of tokens that is a *known* name in scope (input
data, decisions, BKMs, context entries seen so far, parameters, built-in
functions when a ``(`` follows); failing that, a run of plain words that are
not keywords. Operator precedence follows the spec: ``if``/``for``/quantified/
``function`` < ``or`` < ``and`` < comparison/``between``/``in`` <
``instance of`` < ``+ -`` < ``* /`` < ``**`` < unary ``-`` < postfix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = ["FeelError", "FeelEvalError", "FeelSyntaxError", "Parser", "names_in", "parse_expression"]


class FeelError(Exception):
    """A FEEL text could not be parsed or compiled (English technical detail)."""


class FeelSyntaxError(FeelError):
    """A parse error; ``line`` and ``column`` are 1-based within the expression text."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.line, self.column, self.detail = line, column, detail or message


class FeelEvalError(FeelError):
    """Raised by built-ins on bad arguments; at run time it becomes ``null``."""


# --- AST ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any


@dataclass(frozen=True, slots=True)
class AtLiteral:
    text: str  # @"2026-01-01", folded at compile time


@dataclass(frozen=True, slots=True)
class Name:
    name: str  # "?" is the implicit input value of a unary test


@dataclass(frozen=True, slots=True)
class Path:
    base: Any
    attr: str


@dataclass(frozen=True, slots=True)
class Filter:
    base: Any
    cond: Any


@dataclass(frozen=True, slots=True)
class Negate:
    operand: Any


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # + - * / ** = != < <= > >= and or
    left: Any
    right: Any


@dataclass(frozen=True, slots=True)
class Between:
    value: Any
    low: Any
    high: Any


@dataclass(frozen=True, slots=True)
class In:
    value: Any
    tests: tuple[Any, ...]  # positive unary tests (UT* nodes)


@dataclass(frozen=True, slots=True)
class TypeSpec:
    """A FEEL type: ``number``, ``list<string>``, ``context<a: number>``, ``function<number>->string``."""

    name: str
    args: tuple[Any, ...] = ()  # element type / (key, TypeSpec) pairs / parameter types + result


@dataclass(frozen=True, slots=True)
class InstanceOf:
    value: Any
    type: TypeSpec


@dataclass(frozen=True, slots=True)
class If:
    cond: Any
    then: Any
    orelse: Any


@dataclass(frozen=True, slots=True)
class Iteration:
    name: str
    domain: Any
    end: Any = None  # ``for i in 1..n``: domain is the start, end the stop


@dataclass(frozen=True, slots=True)
class For:
    iterations: tuple[Iteration, ...]
    body: Any


@dataclass(frozen=True, slots=True)
class Quantified:
    kind: str  # "some" or "every"
    iterations: tuple[Iteration, ...]
    cond: Any


@dataclass(frozen=True, slots=True)
class Call:
    callee: Any
    args: tuple[Any, ...]
    named: tuple[tuple[str, Any], ...] | None = None  # named arguments, in written order

    @property
    def name(self) -> str | None:
        return self.callee.name if isinstance(self.callee, Name) else None


@dataclass(frozen=True, slots=True)
class ListLit:
    items: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class ContextLit:
    entries: tuple[tuple[str, Any], ...]


@dataclass(frozen=True, slots=True)
class RangeLit:
    """``[a..b]``; ``low``/``high`` is None for the open side of ``< 10`` / ``>= 5``."""

    low: Any
    high: Any
    low_closed: bool
    high_closed: bool


@dataclass(frozen=True, slots=True)
class FuncDef:
    params: tuple[tuple[str, TypeSpec | None], ...]
    body: Any
    external: bool = False


# unary tests
@dataclass(frozen=True, slots=True)
class UTCompare:
    op: str
    endpoint: Any


@dataclass(frozen=True, slots=True)
class UTExpr:
    expr: Any  # a range, a list (membership), a value (equality) or a boolean using ?


@dataclass(frozen=True, slots=True)
class UTNot:
    tests: tuple[Any, ...]


# --- lexer ------------------------------------------------------------------

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
    "between": 3,
    "in": 3,
    "instance": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
    "**": 7,
}
_NEGATION_POWER = 8
COMPARISON_POWER = 3  # unary-test endpoints bind tighter than comparisons
_MAX_NAME_TOKENS = 16


class Parser:
    """Pratt parser over a token list.

    ``known`` are the names in scope (any spelling of whitespace); ``functions``
    are names that count as known only when a ``(`` follows (the built-ins).
    """

    def __init__(self, text: str, known: Iterable[str] = (), functions: Iterable[str] = ()) -> None:
        self.text = text
        self.tokens = list(tokenize(text))
        self.pos = 0
        self.scopes: list[set[str]] = [{normalize_name(k) for k in known}]
        self.functions = {normalize_name(f) for f in functions}
        self.no_filter = False  # inside a range's upper endpoint, '[' closes the range

    # token helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def at(self, kind: str, value: Any = None) -> bool:
        tok = self.tok
        return tok.kind == kind and (value is None or tok.value == value)

    def at_op(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.value in ops

    def at_keyword(self, word: str) -> bool:
        return self.tok.kind == "name" and self.tok.value == word

    def advance(self) -> Token:
        tok = self.tok
        self.pos += 1
        return tok

    def expect_op(self, op: str) -> None:
        if not self.at_op(op):
            self.fail(f"expected '{op}'")
        self.advance()

    def expect_keyword(self, word: str) -> None:
        if not self.at_keyword(word):
            self.fail(f"expected '{word}'")
        self.advance()

    def fail(self, what: str) -> None:
        raise _syntax(self.text, self.tok.pos, what)

    def expect_end(self) -> None:
        if not self.at("eof"):
            self.fail("unexpected text")

    # scopes
    def is_known(self, name: str) -> bool:
        return any(name in scope for scope in self.scopes)

    def push(self, names: Iterable[str] = ()) -> set[str]:
        scope = {normalize_name(n) for n in names}
        self.scopes.append(scope)
        return scope

    def pop(self) -> None:
        self.scopes.pop()

    # names
    def _name_candidates(self) -> Iterator[tuple[int, str]]:
        """(index after the last token, text) for each run of tokens that could form a name."""
        text = self.tokens[self.pos].value
        yield self.pos + 1, text
        prev = self.tokens[self.pos]
        for j in range(self.pos + 1, min(self.pos + _MAX_NAME_TOKENS, len(self.tokens))):
            tok = self.tokens[j]
            if tok.kind == "name" or (tok.kind == "num" and self.text[tok.pos : tok.end].isdigit()):
                part = self.text[tok.pos : tok.end]
            elif tok.kind == "op" and tok.value in _NAME_SYMBOLS:
                part = tok.value
            else:
                return
            gap = self.text[prev.end : tok.pos]
            if gap and not gap.isspace():
                return  # a comment between the tokens
            text += (" " if gap else "") + part
            prev = tok
            yield j + 1, text

    def read_name(self, allow_keywords: bool = False) -> str:
        """The longest known name at the current token, else a run of plain non-keyword words.

        ``allow_keywords`` lets the first word be a keyword (``{in: 1}``, ``x.of``); a keyword
        after it always ends the name, so ``a.b and c`` stays a conjunction.
        """
        best: tuple[int, str] | None = None
        for end, text in self._name_candidates():
            if self.is_known(text):
                best = (end, text)
            elif text in self.functions and self.tokens[end].kind == "op" and self.tokens[end].value == "(":
                best = (end, text)
        if best is not None:
            self.pos = best[0]
            return best[1]
        words = [self.advance().value]
        while (
            self.at("name")
            and self.tok.value not in KEYWORDS
            and self.text[self.tokens[self.pos - 1].end : self.tok.pos].isspace()
        ):
            words.append(self.advance().value)
        return " ".join(words)

    # grammar
    def expression(self, min_power: int = 0) -> Any:
        left = self.prefix()
        while True:
            op = self._binary_op()
            if op is None or _BINARY_POWER[op] <= min_power:
                return left
            self.advance()
            if op == "between":
                low = self.expression(COMPARISON_POWER)
                self.expect_keyword("and")
                left = Between(left, low, self.expression(COMPARISON_POWER))
            elif op == "in":
                left = In(left, self.in_tests())
            elif op == "instance":
                self.expect_keyword("of")
                left = InstanceOf(left, self.type_spec())
            else:
                # ** is right-associative, the rest left-associative
                power = _BINARY_POWER[op] - (1 if op == "**" else 0)
                left = Binary(op, left, self.expression(power))

    def _binary_op(self) -> str | None:
        tok = self.tok
        if tok.kind == "op" and tok.value in _BINARY_POWER:
            return tok.value
        if tok.kind == "name" and tok.value in ("and", "or", "between", "in", "instance"):
            return tok.value
        return None

    def prefix(self) -> Any:
        tok = self.tok
        if tok.kind == "op" and tok.value == "-":
            self.advance()
            return Negate(self.expression(_NEGATION_POWER - 1))
        if tok.kind == "name":
            if tok.value == "if":
                return self._if()
            if tok.value == "for":
                return self._for()
            if tok.value in ("some", "every") and self.peek().kind == "name":
                return self._quantified()
            if tok.value == "function" and self.peek().kind == "op" and self.peek().value == "(":
                return self._function()
        return self.postfix(self.primary())

    def _if(self) -> If:
        self.advance()
        cond = self.expression()
        self.expect_keyword("then")
        then = self.expression()
        self.expect_keyword("else")
        return If(cond, then, self.expression())

    def _iterations(self, allow_range: bool) -> tuple[Iteration, ...]:
        iterations = []
        while True:
            if not self.at("name") or self.tok.value in KEYWORDS:
                self.fail("expected a variable name")
            name = self.read_name()
            self.expect_keyword("in")
            domain = self.expression()
            end = None
            if allow_range and self.at_op(".."):
                self.advance()
                end = self.expression()
            iterations.append(Iteration(name, domain, end))
            self.scopes[-1].add(normalize_name(name))  # later domains and the body see it
            if not self.at_op(","):
                return tuple(iterations)
            self.advance()

    def _for(self) -> For:
        self.advance()
        self.push(["partial"])
        try:
            iterations = self._iterations(allow_range=True)
            self.expect_keyword("return")
            return For(iterations, self.expression())
        finally:
            self.pop()

    def _quantified(self) -> Quantified:
        kind = self.advance().value
        self.push()
        try:
            iterations = self._iterations(allow_range=False)
            self.expect_keyword("satisfies")
            return Quantified(kind, iterations, self.expression())
        finally:
            self.pop()

    def _function(self) -> FuncDef:
        self.advance()
        self.expect_op("(")
        params: list[tuple[str, TypeSpec | None]] = []
        while not self.at_op(")"):
            if not self.at("name"):
                self.fail("expected a parameter name")
            name = self.read_name()
            spec = None
            if self.at_op(":"):
                self.advance()
                spec = self.type_spec()
            params.append((name, spec))
            if not self.at_op(","):
                break
            self.advance()
        self.expect_op(")")
        external = self.at_keyword("external")
        if external:
            self.advance()
        self.push(n for n, _ in params)
        try:
            return FuncDef(tuple(params), self.expression(), external)
        finally:
            self.pop()

    def primary(self) -> Any:
        tok = self.tok
        if tok.kind in ("num", "str"):
            self.advance()
            return Literal(tok.value)
        if tok.kind == "temporal":
            self.advance()
            return AtLiteral(tok.value)
        if tok.kind == "name":
            return self._name_or_keyword()
        if tok.kind == "op":
            if tok.value == "?":
                self.advance()
                return Name("?")
            if tok.value in ("(", "[", "]"):
                return self._bracketed()
            if tok.value == "{":
                return self._context()
            if tok.value in ("<", "<=", ">", ">="):
                self.advance()
                endpoint = self.expression(COMPARISON_POWER)
                if tok.value.startswith("<"):
                    return RangeLit(None, endpoint, False, tok.value == "<=")
                return RangeLit(endpoint, None, tok.value == ">=", False)
        self.fail("expected a value")
        raise AssertionError  # unreachable; fail() always raises

    def _name_or_keyword(self) -> Any:
        word = self.tok.value
        if word in ("true", "false"):
            self.advance()
            return Literal(word == "true")
        if word == "null":
            self.advance()
            return Literal(None)
        if word in KEYWORDS:
            self.fail(f"unexpected keyword '{word}'")
        return Name(self.read_name())

    def _grouped(self, parse: Any) -> Any:
        """Parse inside brackets: a '[' there is a filter again, whatever the outer range said."""
        saved, self.no_filter = self.no_filter, False
        try:
            return parse()
        finally:
            self.no_filter = saved

    def _bracketed(self) -> Any:
        """``(e)``, ``[a, b]``, or a range ``[a..b]`` / ``(a..b)`` / ``]a..b[``."""
        opener = self.advance().value
        if opener == "[" and self.at_op("]"):
            self.advance()
            return ListLit(())
        first = self._grouped(self.expression)
        if self.at_op(".."):
            self.advance()
            saved, self.no_filter = self.no_filter, True
            try:
                high = self.expression()
            finally:
                self.no_filter = saved
            if not self.at_op("]", "[", ")"):
                self.fail("expected ']', '[' or ')' to close the range")
            high_closed = self.advance().value == "]"
            return RangeLit(first, high, opener == "[", high_closed)
        if opener == "(":
            self.expect_op(")")
            return first
        if opener == "]":
            self.fail("expected '..' in a range")
        items = [first]
        while self.at_op(","):
            self.advance()
            items.append(self._grouped(self.expression))
        self.expect_op("]")
        return ListLit(tuple(items))

    def _context(self) -> ContextLit:
        self.advance()
        entries: list[tuple[str, Any]] = []
        scope = self.push()
        try:
            while not self.at_op("}"):
                if self.at("str"):
                    key = self.advance().value
                elif self.at("name"):
                    key = self.read_name(allow_keywords=True)
                else:
                    self.fail("expected a context key")
                self.expect_op(":")
                scope.add(normalize_name(key))  # a function entry may call itself
                entries.append((key, self._grouped(self.expression)))
                if not self.at_op(","):
                    break
                self.advance()
            self.expect_op("}")
        finally:
            self.pop()
        return ContextLit(tuple(entries))

    def _arguments(self) -> tuple[tuple[Any, ...], tuple[tuple[str, Any], ...] | None]:
        self.expect_op("(")
        args: list[Any] = []
        named: list[tuple[str, Any]] = []
        while not self.at_op(")"):
            if self._named_argument_ahead():
                name = self.read_name(allow_keywords=True)
                self.expect_op(":")
                named.append((name, self._grouped(self.expression)))
            else:
                args.append(self._grouped(self.expression))
            if not self.at_op(","):
                break
            self.advance()
        self.expect_op(")")
        if args and named:
            self.fail("positional and named arguments cannot be mixed")
        return tuple(args), (tuple(named) if named else None)

    def _named_argument_ahead(self) -> bool:
        j = self.pos
        while self.tokens[j].kind == "name":
            j += 1
        return j > self.pos and self.tokens[j].kind == "op" and self.tokens[j].value == ":"

    def postfix(self, node: Any) -> Any:
        while True:
            if self.at_op("."):
                self.advance()
                if not self.at("name"):
                    self.fail("expected a name after '.'")
                node = Path(node, self.read_name(allow_keywords=True))
            elif self.at_op("[") and not self.no_filter:
                self.advance()
                cond = self._filter_condition()
                self.expect_op("]")
                node = Filter(node, cond)
            elif self.at_op("("):
                args, named = self._arguments()
                node = Call(node, args, named)
            else:
                return node

    def _filter_condition(self) -> Any:
        self.push(["item"])
        try:
            return self._grouped(self.expression)
        finally:
            self.pop()

    # unary tests
    def unary_tests(self) -> tuple[Any, ...] | None:
        """A whole input-entry cell: None for ``-`` (any), else a tuple of tests (alternatives)."""
        if self.at_op("-") and self.peek().kind == "eof":
            self.advance()
            return None
        if self.at_keyword("not") and self.peek().kind == "op" and self.peek().value == "(":
            start = self.pos
            self.advance(), self.advance()
            try:
                inner = self.positive_unary_tests()
                self.expect_op(")")
                if self.at("eof"):
                    return (UTNot(inner),)
            except FeelSyntaxError:
                pass
            self.pos = start  # not(...) followed by more: an ordinary expression such as not(x) = y
        return self.positive_unary_tests()

    def positive_unary_tests(self) -> tuple[Any, ...]:
        tests = [self.positive_unary_test()]
        while self.at_op(","):
            self.advance()
            tests.append(self.positive_unary_test())
        return tuple(tests)

    def positive_unary_test(self) -> Any:
        if self.at_op("<", "<=", ">", ">="):
            op = self.advance().value
            return UTCompare(op, self.expression(COMPARISON_POWER))
        return UTExpr(self.expression())

    def in_tests(self) -> tuple[Any, ...]:
        """Right of ``in``: one positive unary test, or a parenthesised list of them."""
        if self.at_op("("):
            start = self.pos
            try:
                test = self.positive_unary_test()
                return (test,)
            except FeelSyntaxError:
                self.pos = start
            self.advance()
            tests = self._grouped(self.positive_unary_tests)
            self.expect_op(")")
            return tests
        if self.at_op("<", "<=", ">", ">="):
            op = self.advance().value
            return (UTCompare(op, self.expression(COMPARISON_POWER)),)
        return (UTExpr(self.expression(COMPARISON_POWER)),)

    # types
    def type_spec(self) -> TypeSpec:
        if self.at("name") and self.tok.value in ("list", "range") and self.peek().value == "<":
            name = self.advance().value
            self.advance()
            inner = self.type_spec()
            self.expect_op(">")
            return TypeSpec(name, (inner,))
        if self.at("name") and self.tok.value == "context" and self.peek().value == "<":
            self.advance(), self.advance()
            fields: list[tuple[str, TypeSpec]] = []
            while not self.at_op(">"):
                key = self.read_name(allow_keywords=True)
                self.expect_op(":")
                fields.append((key, self.type_spec()))
                if not self.at_op(","):
                    break
                self.advance()
            self.expect_op(">")
            return TypeSpec("context", tuple(fields))
        if self.at("name") and self.tok.value == "function" and self.peek().value == "<":
            self.advance(), self.advance()
            params: list[TypeSpec] = []
            while not self.at_op(">"):
                params.append(self.type_spec())
                if not self.at_op(","):
                    break
                self.advance()
            self.expect_op(">")
            self.expect_op("->")
            return TypeSpec("function", (*params, self.type_spec()))
        if not self.at("name"):
            self.fail("expected a type name")
        best = None
        for end, text in self._name_candidates():
            if text in BUILTIN_TYPES or self.is_known(text):
                best = (end, text)
        if best is not None:
            self.pos = best[0]
            return TypeSpec(best[1])
        return TypeSpec(self.read_name())


def parse_expression(text: str, known: Iterable[str] = (), functions: Iterable[str] | None = None) -> Any:
    """Parse a whole FEEL expression; raises :class:`FeelSyntaxError` with line and column."""
    if not text or not text.strip():
        raise FeelSyntaxError("empty expression", 1, 1)
    if functions is None:
        from .functions import BUILTIN_NAMES  # the library imports this module

        functions = BUILTIN_NAMES
    parser = Parser(text, known, functions)
    try:
        node = parser.expression()
        parser.expect_end()
    except RecursionError as exc:
        raise FeelSyntaxError("expression nested too deeply", 1, 1) from exc
    return node


def names_in(node: Any) -> set[str]:
    """Free root variable names an AST reads (``case`` for ``case.category``), without ``?``.

    Names bound inside the expression (iteration variables, parameters, context
    entries) are not free; neither are names in filter conditions, which may be
    keys of the filtered items.
    """
    found: set[str] = set()
    _free(node, frozenset(), found)
    return found


def _free(n: Any, bound: frozenset[str], found: set[str]) -> None:
    if isinstance(n, Name):
        if n.name != "?" and n.name not in bound:
            found.add(n.name)
    elif isinstance(n, (Literal, AtLiteral, TypeSpec)) or n is None:
        return
    elif isinstance(n, Path):
        _free(n.base, bound, found)
    elif isinstance(n, Filter):
        _free(n.base, bound, found)
    elif isinstance(n, (For, Quantified)):
        inner = set(bound) | {"partial"}
        for it in n.iterations:
            _free(it.domain, frozenset(inner), found)
            _free(it.end, frozenset(inner), found)
            inner.add(it.name)
        _free(n.body if isinstance(n, For) else n.cond, frozenset(inner), found)
    elif isinstance(n, FuncDef):
        _free(n.body, bound | {p for p, _ in n.params}, found)
    elif isinstance(n, ContextLit):
        inner = set(bound)
        for key, value in n.entries:
            inner.add(key)
            _free(value, frozenset(inner), found)
    elif isinstance(n, Call):
        if not isinstance(n.callee, Name):  # a called name is a function, not a variable
            _free(n.callee, bound, found)
        for a in n.args:
            _free(a, bound, found)
        for _, a in n.named or ():
            _free(a, bound, found)
    elif isinstance(n, (tuple, list)):
        for child in n:
            _free(child, bound, found)
    elif hasattr(n, "__slots__"):
        for slot in n.__slots__:
            child = getattr(n, slot)
            if not isinstance(child, (str, bool, Decimal)):
                _free(child, bound, found)
