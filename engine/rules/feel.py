"""The FEEL parser (DMN 1.5, chapter 10): a Pratt parser over the lexer's tokens, building the AST of :mod:`syntax`.

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

from collections.abc import Iterable, Iterator
from typing import Any

from .lexer import _NAME_SYMBOLS, BUILTIN_TYPES, KEYWORDS, Token, _syntax, line_col, normalize_name, tokenize
from .syntax import (  # re-exported: the AST and the errors are part of what this module offers
    AtLiteral,
    Between,
    Binary,
    Call,
    ContextLit,
    FeelError,
    FeelEvalError,
    FeelSyntaxError,
    Filter,
    For,
    FuncDef,
    If,
    In,
    InstanceOf,
    Iteration,
    ListLit,
    Literal,
    Name,
    Negate,
    Path,
    Quantified,
    RangeLit,
    TypeSpec,
    UTCompare,
    UTExpr,
    UTNot,
    names_in,
)

__all__ = [
    "FeelError", "FeelEvalError", "FeelSyntaxError", "Parser", "names_in", "normalize_name", "parse_expression",
    "line_col", "tokenize", "Token", "KEYWORDS", "BUILTIN_TYPES",
]  # fmt: skip


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
