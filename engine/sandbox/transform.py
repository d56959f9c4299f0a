"""The AST transform on top of RestrictedPython's: guards compiled into the code, not traced around it.

RestrictedPython already routes attribute access through ``_getattr_``,
iteration (``for``, comprehensions, unpacking) through ``_getiter_`` and
augmented assignment through ``_inplacevar_``. This transformer adds:

- ``_tick_()`` as the first statement of every ``while`` body and every
  function, and before every ``lambda`` body (counted iterations and calls);
- ``_mul_``, ``_add_``, ``_pow_``, ``_lshift_``, ``_mod_`` for ``*``, ``+``,
  ``**``, ``<<``, ``%`` (results of bounded size);
- ``_fmt_`` for every f-string field (bounded width and precision);
- ``_str_`` / ``_bytes_`` / ``_int_`` for calls of ``str(...)``, ``bytes(...)``
  and ``int(...)``, so the names themselves stay the types (``isinstance(x, str)``
  keeps working);
- ``_seq_`` around list, tuple and set displays that unpack (``[*a, *a]``);
- ``_handler_()`` as the first statement of every ``except`` block, so a
  limit error is re-raised, never swallowed; and it refuses ``return``,
  ``break`` and ``continue`` in ``finally`` (they would discard the error).
"""

from __future__ import annotations

import ast
from typing import Any

from RestrictedPython.transformer import RestrictingNodeTransformer

__all__ = ["BoundedTransformer", "GUARD_NAMES"]

_BINOPS = {ast.Mult: "_mul_", ast.Add: "_add_", ast.Pow: "_pow_", ast.LShift: "_lshift_", ast.Mod: "_mod_"}
_CALLS = {"str": "_str_", "bytes": "_bytes_", "int": "_int_"}
GUARD_NAMES = frozenset({"_tick_", "_handler_", "_fmt_", "_seq_", *_BINOPS.values(), *_CALLS.values()})


def _call(name: str, args: list[ast.expr], where: ast.AST) -> ast.Call:
    return ast.copy_location(ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[]), where)


def _statement(name: str, where: ast.AST) -> ast.Expr:
    return ast.copy_location(ast.Expr(_call(name, [], where)), where)


class BoundedTransformer(RestrictingNodeTransformer):
    """RestrictedPython's policy plus the guards above."""

    def visit_Module(self, node: ast.Module) -> Any:
        return ast.fix_missing_locations(super().visit_Module(node))

    def visit_Expression(self, node: ast.Expression) -> Any:
        return ast.fix_missing_locations(super().visit_Expression(node))

    # --- counted iterations and calls ---------------------------------------------------

    def visit_While(self, node: ast.While) -> Any:
        node = super().visit_While(node)
        node.body.insert(0, _statement("_tick_", node))
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        node = super().visit_FunctionDef(node)
        node.body.insert(0, _statement("_tick_", node))
        return node

    def visit_Lambda(self, node: ast.Lambda) -> Any:
        node = super().visit_Lambda(node)
        node.body = ast.copy_location(ast.BoolOp(op=ast.Or(), values=[_call("_tick_", [], node), node.body]), node)
        return node

    # --- bounded results --------------------------------------------------------------------

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = super().visit_BinOp(node)
        guard = _BINOPS.get(type(node.op))
        return _call(guard, [node.left, node.right], node) if guard else node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:
        node = super().visit_FormattedValue(node)
        spec = node.format_spec or ast.Constant("")
        field = _call("_fmt_", [node.value, ast.Constant(node.conversion), spec], node)
        return ast.copy_location(ast.FormattedValue(value=field, conversion=-1, format_spec=None), node)

    def visit_Call(self, node: ast.Call) -> Any:
        node = super().visit_Call(node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _CALLS:
            node.func = ast.copy_location(ast.Name(_CALLS[node.func.id], ast.Load()), node.func)
        return node

    def _display(self, node: Any, visited: Any) -> Any:
        loading = isinstance(getattr(node, "ctx", ast.Load()), ast.Load)
        if loading and any(isinstance(e, ast.Starred) for e in visited.elts):
            return _call("_seq_", [visited], node)
        return visited

    def visit_List(self, node: ast.List) -> Any:
        return self._display(node, super().visit_List(node))

    def visit_Tuple(self, node: ast.Tuple) -> Any:
        return self._display(node, super().visit_Tuple(node))

    def visit_Set(self, node: ast.Set) -> Any:
        return self._display(node, super().visit_Set(node))

    # --- errors that must not be swallowed ----------------------------------------------------

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> Any:
        node = super().visit_ExceptHandler(node)
        node.body.insert(0, _statement("_handler_", node))
        return node

    def visit_Try(self, node: ast.Try) -> Any:
        for statement in node.finalbody:
            for found in _exits(statement, in_loop=False):
                self.error(found, "finally 中不允许 return、break 或 continue（它们会吞掉错误）")
        return super().visit_Try(node)


def _exits(node: ast.AST, in_loop: bool) -> list[ast.AST]:
    """``return`` statements, and ``break``/``continue`` outside inner loops, in ``node`` (not in inner functions)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
        return []
    if isinstance(node, ast.Return) or (isinstance(node, (ast.Break, ast.Continue)) and not in_loop):
        return [node]
    inner = in_loop or isinstance(node, (ast.For, ast.While))
    found: list[ast.AST] = []
    for child in ast.iter_child_nodes(node):
        found.extend(_exits(child, inner if child not in getattr(node, "orelse", []) else in_loop))
    return found
