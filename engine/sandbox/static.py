"""What validation can know about a script or expression without running it.

Refused here, before deployment (each finding carries the line inside the code):

- imports, and names that reach outside the sandbox or around its guards
  (``open``, ``eval``, ``exec``, ``compile``, ``getattr``, ``setattr``,
  ``globals``, ``vars``, ``__import__`` …);
- strings that name dunder attributes (``'__class__'``), the raw material of
  attribute tricks;
- ``while`` loops whose test is constant-true and whose own body has no
  ``break`` or ``return``;
- giant literals, and constant expressions whose value would exceed the limits
  (``9**9**9``, ``'x' * 10**10``), folded with the runtime's own guards, so
  checking them costs nothing.
"""

from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from ..errors import LimitExceeded
from ..limits import Limits
from .guards import Guards

__all__ = ["Finding", "static_findings", "FORBIDDEN_NAMES"]

FORBIDDEN_NAMES = frozenset({
    "open", "eval", "exec", "compile", "getattr", "setattr", "delattr", "hasattr", "globals", "locals", "vars",
    "dir", "__import__", "__builtins__", "breakpoint", "input", "help", "exit", "quit", "memoryview", "super",
    "classmethod", "staticmethod", "property",
})
_DUNDER = re.compile(r"__[A-Za-z]\w*__")


@dataclass(frozen=True)
class Finding:
    line: int  # 1-based, inside the code
    message: str
    kind: str = "unsafe"  # "compile": the code does not compile at all


class _NotConstant(Exception):
    pass


def static_findings(tree: ast.AST, limits: Limits, guards: Guards) -> list[Finding]:
    finder = _Finder(limits, guards)
    finder.visit(tree)
    return finder.findings


class _Finder(ast.NodeVisitor):
    def __init__(self, limits: Limits, guards: Guards) -> None:
        self.limits = limits
        self.guards = guards
        self.findings: list[Finding] = []

    def add(self, node: ast.AST, message: str) -> None:
        self.findings.append(Finding(getattr(node, "lineno", 1), message))

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        names = ", ".join(a.name for a in node.names)
        self.add(node, f"脚本中不允许 import（{names}）")

    visit_ImportFrom = visit_Import

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in FORBIDDEN_NAMES:
            self.add(node, f"不允许使用 '{node.id}'（它会绕过沙箱）")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in ("format", "format_map"):
            self.add(node, f"不允许使用 str.{node.attr}（请用 f-string 或 + 拼接）")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, (str, bytes)):
            if len(value) > self.limits.literal_size:
                self.add(node, f"常量过长（{len(value)} 个字符，上限 {self.limits.literal_size}，literal_size）")
            text = value if isinstance(value, str) else value.decode("latin-1")
            if _DUNDER.search(text):
                self.add(node, f"不允许使用双下划线名称的字符串（{_DUNDER.search(text).group()}）")
        elif isinstance(value, int) and value.bit_length() > self.limits.int_bits:
            self.add(node, f"整数常量过大（上限 {self.limits.int_bits} 位，int_bits）")

    def visit_While(self, node: ast.While) -> None:
        try:
            always = bool(_fold(node.test, self.guards))
        except (_NotConstant, LimitExceeded):
            always = False
        if always and not any(_leaves(s) for s in node.body):
            self.add(node, "循环条件恒为真，循环体内却没有 break 或 return：会无限循环")
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        try:
            _fold(node, self.guards)
        except LimitExceeded as exc:
            self.add(node, f"常量表达式的结果过大：{exc.message}")
            return
        except _NotConstant:
            pass
        self.generic_visit(node)


def _leaves(node: ast.AST) -> bool:
    """A ``break`` or ``return`` that leaves the enclosing loop (not one of an inner loop or function)."""
    if isinstance(node, (ast.Break, ast.Return)):
        return True
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
        return False
    if isinstance(node, (ast.For, ast.While, ast.AsyncFor)):  # its breaks are its own; a return leaves both
        return any(isinstance(n, ast.Return) for n in _own_nodes(node))
    return any(_leaves(child) for child in ast.iter_child_nodes(node))


def _own_nodes(node: ast.AST) -> Iterable[ast.AST]:
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            yield child
            yield from _own_nodes(child)


_UNARY: dict[type, Callable[[Any], Any]] = {ast.Not: operator.not_, ast.USub: operator.neg, ast.UAdd: operator.pos,
                                            ast.Invert: operator.invert}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


def _fold(node: ast.AST, guards: Guards) -> Any:
    """The value of a constant expression, computed with the runtime guards; _NotConstant otherwise."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_fold(node.operand, guards))
    if isinstance(node, ast.BinOp):
        left, right = _fold(node.left, guards), _fold(node.right, guards)
        operation = _BINARY.get(type(node.op))
        if operation is None:
            raise _NotConstant()
        try:
            return operation(guards, left, right)
        except LimitExceeded:
            raise
        except Exception as exc:  # 1 / 0 and the like: left for the runtime to report
            raise _NotConstant() from exc
    if isinstance(node, ast.BoolOp):
        values = [_fold(v, guards) for v in node.values]
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        left = _fold(node.left, guards)
        for op, comparator in zip(node.ops, node.comparators):
            right = _fold(comparator, guards)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    raise _NotConstant()


_BINARY: dict[type, Callable[[Guards, Any, Any], Any]] = {
    ast.Mult: Guards.mul, ast.Add: Guards.add, ast.Pow: Guards.power, ast.LShift: Guards.lshift, ast.Mod: Guards.mod,
    ast.Sub: lambda g, a, b: a - b, ast.Div: lambda g, a, b: a / b, ast.FloorDiv: lambda g, a, b: a // b,
    ast.RShift: lambda g, a, b: a >> b, ast.BitOr: lambda g, a, b: a | b, ast.BitAnd: lambda g, a, b: a & b,
    ast.BitXor: lambda g, a, b: a ^ b,
}
