"""Boxed expressions (DMN 1.5 chapter 7): XML elements compiled into closures.

Contexts (entries see earlier entries; an entry without a variable is the
result), lists, relations, invocations of BKMs and functions, FEEL function
definitions (Java and PMML kinds are refused), conditionals, ``for``/``some``/
``every`` iterators and filters, with decision tables and literal expressions
nested anywhere — as DMN 1.5 defines them and as dmn-js and Camunda Modeler
save them. Every context entry's value is recorded in the explanation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lxml import etree

from . import compile as feel
from .compile import Compiled, Env, constant
from .feel import FeelError, For, Iteration, Name, Quantified, names_in, normalize_name
from .feeltypes import FeelType, coerce
from .functions import Frame, UserFunction, invoke
from .limits import TraceEntry, current_run

EXPRESSION_TAGS = (
    "literalExpression", "context", "list", "relation", "invocation", "functionDefinition", "decisionTable",
    "conditional", "for", "some", "every", "filter",
)  # fmt: skip


class BoxedCompiler:
    """Compiles the expression elements of one DMN file; ``loader`` reports problems and compiles tables."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.free: set[str] = set()  # names read from outside, for validation
        self.collecting = True  # off inside filter conditions, whose names may be keys of the items

    def localname(self, element: Any) -> str:
        return etree.QName(element).localname if isinstance(element.tag, str) else ""

    def child_expression(self, element: Any) -> Any:
        """The first expression element inside ``element`` (a wrapper such as <then> or a context entry)."""
        for child in element:
            if self.localname(child) in EXPRESSION_TAGS:
                return child
        return None

    def child(self, element: Any, name: str) -> Any:
        return element.find(self.loader.tag(name))

    def expression(self, element: Any, env: Env, owner: Any, where: str) -> tuple[Compiled, str]:
        """Compile one expression element; returns (compiled, FEEL-like text for catalogues)."""
        kind = self.localname(element)
        handler: Callable[..., tuple[Compiled, str]] | None = getattr(self, "_" + kind.lower(), None)
        if handler is None:
            self.loader.problem(f"{where}：不支持的表达式 <{kind}>", element, owner.id, "unsupported")
            return constant(None, None), ""
        compiled, text = handler(element, env, owner, where)
        ftype = self.loader.type_of(element.get("typeRef")) if kind != "decisionTable" else None
        if ftype is not None:  # an expression's own typeRef: its value is coerced like a variable's
            compiled = Compiled(_typed(compiled.fn, ftype, f"{where} <{kind}>"), compiled.node)
        return compiled, text

    def wrapped(self, element: Any, name: str, env: Env, owner: Any, where: str) -> tuple[Compiled, str]:
        """The expression inside child ``<name>`` (conditional and iterator parts)."""
        part = self.child(element, name)
        inner = self.child_expression(part) if part is not None else None
        if inner is None:
            self.loader.problem(f"{where}：缺少 <{name}> 表达式", element, owner.id, "structure")
            return constant(None, None), "null"
        return self.expression(inner, env, owner, f"{where} <{name}>")

    # --- the kinds ---------------------------------------------------------------

    def _literalexpression(self, element: Any, env: Env, owner: Any, where: str) -> tuple[Compiled, str]:
        text = self.loader.text(element) or ""
        if not text.strip():
            return constant(None, None), "null"
        compiled = self.loader.compile(text, element, owner, where, env)
        if compiled.node is not None and self.collecting:
            self.free |= names_in(compiled.node) - env.locals
        return compiled, text.strip()

    def _decisiontable(self, element: Any, env: Env, owner: Any, where: str) -> tuple[Compiled, str]:
        from .evaluate import table_value  # evaluate imports the model, which imports this module

        table = self.loader.table(owner, element, env)
        return Compiled(lambda ctx: table_value(owner, table, ctx), None), f"<decision table {table.hit_policy}>"

    def _context(self, element: Any, env: Env, owner: Any, where: str) -> tuple[Compiled, str]:
        entries: list[tuple[str, Compiled, FeelType | None]] = []
        result: Compiled | None = None
        texts = []
        inner = env
        for entry in element.findall(self.loader.tag("contextEntry")):
            variable = self.child(entry, "variable")
            value_el = self.child_expression(entry)
            name = normalize_name(variable.get("name") or "") if variable is not None else None
            if name is not None:
                inner = inner.bind(name)  # bound for its own value too: a function entry may call itself
            label = f"{where} 上下文条目 '{name}'" if name else f"{where} 上下文结果"
            compiled, text = (
                self.expression(value_el, inner, owner, label) if value_el is not None else (constant(None, None), "null")
            )
            if name is None:
                result = compiled
                texts.append(text)
                continue
            entries.append((name, compiled, self.loader.type_of(variable.get("typeRef"), inner)))
            texts.append(f"{name}: {text}")
        summary = "{" + ", ".join(texts) + "}"
        return Compiled(_build_context(entries, result), None), summary

    def _list(self, element: Any, env: Env, owner: Any, where: str) -> tuple[Compiled, str]:
        items = [self.expression(c, env, owner, f"{where} 列表第 {i} 项")
                 for i, c in enumerate((c for c in element if self.localname(c) in EXPRESSION_TAGS), 1)]  # fmt: skip
        fns = [c.fn for c, _ in items]
        return Compiled(lambda ctx: [f(ctx) for f in fns], None), "[" + ", ".join(t for _, t in items) + "]"

    def _relation(self, element: Any, env: Env, owner: Any, where: str) -> tuple[Compiled, str]:
        columns = [normalize_name(c.get("name") or "") for c in element.findall(self.loader.tag("column"))]
        rows = []
        for r, row in enumerate(element.findall(self.loader.tag("row")), 1):
            cells = [c for c in row if self.localname(c) in EXPRESSION_TAGS]
            if len(cells) != len(columns):
                self.loader.problem(f"{where} 关系第 {r} 行：{len(cells)} 个单元格，但有 {len(columns)} 列",
                                    row, owner.id, "structure")  # fmt: skip
            rows.append([self.expression(c, env, owner, f"{where} 关系第 {r} 行")[0].fn for c in cells])

        def build(ctx: Mapping[str, Any]) -> list[dict[str, Any]]:
            return [{col: fn(ctx) for col, fn in zip(columns, row, strict=False)} for row in rows]

        return Compiled(build, None), f"<relation {', '.join(columns)}>"

    def _invocation(self, element: Any, env: Env, owner: Any, where: str) -> tuple[Compiled, str]:
        callee_el = self.child_expression(element)
        name_text = (self.loader.text(callee_el) or "").strip() if callee_el is not None else ""
        if not name_text:
            self.loader.problem(f"{where}：调用缺少被调用的函数名", element, owner.id, "structure")
            return constant(None, None), "null"
        callee, _ = self.expression(callee_el, env, owner, f"{where} 调用")
        if isinstance(callee.node, Name):
            self._check_callable(normalize_name(callee.node.name), env, element, owner, where)
        bindings = []
        for binding in element.findall(self.loader.tag("binding")):
            param = self.child(binding, "parameter")
            name = normalize_name(param.get("name") or "") if param is not None else ""
            value_el = self.child_expression(binding)
            compiled = (self.expression(value_el, env, owner, f"{where} 参数 '{name}'")[0]
                        if value_el is not None else constant(None, None))  # fmt: skip
            bindings.append((name, compiled.fn))
        callee_fn = callee.fn

        def call(ctx: Mapping[str, Any]) -> Any:
            return invoke(callee_fn(ctx), [], {name: fn(ctx) for name, fn in bindings})

        return Compiled(call, None), f"{name_text}({', '.join(n for n, _ in bindings)})"

    def _check_callable(self, name: str, env: Env, element: Any, owner: Any, where: str) -> None:
        if name in env.functions or name in env.locals or name in feel.BUILTINS:
            return
        import difflib

        close = difflib.get_close_matches(name, sorted(env.functions | set(feel.BUILTINS)), n=4, cutoff=0.5)
        hint = f"（您是否要调用：{'、'.join(close)}）" if close else ""
        self.loader.problem(f"{where}：调用了未知的函数 '{name}'{hint} (unknown function)", element, owner.id,
                            "unknown-function")  # fmt: skip

    def _functiondefinition(self, element: Any, env: Env, owner: Any, where: str) -> tuple[Compiled, str]:
        kind = element.get("kind") or "FEEL"
        if kind.upper() != "FEEL":
            self.loader.problem(f"{where}：不支持 {kind} 函数，只支持 FEEL 函数 (kind={kind} is not supported)",
                                element, owner.id, "unsupported")  # fmt: skip
            return constant(None, None), "null"
        params, types = self.parameters(element, env)
        body_el = self.child_expression(element)
        if body_el is None:
            self.loader.problem(f"{where}：函数定义缺少函数体", element, owner.id, "structure")
            return constant(None, None), "null"
        body, text = self.expression(body_el, env.bind(*params), owner, where)
        body_fn = body.fn
        return (
            Compiled(lambda ctx: UserFunction("", params, body_fn, ctx, types), None),
            f"function({', '.join(params)}) {text}",
        )

    def parameters(self, element: Any, env: Env) -> tuple[tuple[str, ...], tuple[FeelType | None, ...]]:
        found = element.findall(self.loader.tag("formalParameter"))
        params = tuple(normalize_name(p.get("name") or "") for p in found)
        types = tuple(self.loader.type_of(p.get("typeRef"), env) for p in found)
        return params, types

    def _conditional(self, element: Any, env: Env, owner: Any, where: str) -> tuple[Compiled, str]:
        (cond, ct), (then, tt), (orelse, et) = (
            self.wrapped(element, part, env, owner, where) for part in ("if", "then", "else")
        )
        cf, tf, ef = cond.fn, then.fn, orelse.fn
        return Compiled(lambda ctx: tf(ctx) if cf(ctx) is True else ef(ctx), None), f"if {ct} then {tt} else {et}"

    def _iterator(self, element: Any, env: Env, owner: Any, where: str, part: str) -> tuple[Iteration, Any, str]:
        """(the iteration, the compiled body as an AST stand-in, FEEL-like text) of for/some/every."""
        variable = normalize_name(element.get("iteratorVariable") or "")
        if not variable:
            self.loader.problem(f"{where}：迭代缺少 iteratorVariable", element, owner.id, "structure")
        domain, domain_text = self.wrapped(element, "in", env, owner, where)
        body, body_text = self.wrapped(element, part, env.bind(variable, "partial"), owner, where)
        text = f"{variable} in {domain_text} {part} {body_text}"
        return Iteration(variable, _Wrapped(domain)), _Wrapped(body), text

    def _for(self, element: Any, env: Env, owner: Any, where: str) -> tuple[Compiled, str]:
        iteration, body, text = self._iterator(element, env, owner, where, "return")
        return feel.compile_node(For((iteration,), body), env), f"for {text}"

    def _quantified(self, element: Any, env: Env, owner: Any, where: str, kind: str) -> tuple[Compiled, str]:
        iteration, body, text = self._iterator(element, env, owner, where, "satisfies")
        return feel.compile_node(Quantified(kind, (iteration,), body), env), f"{kind} {text}"

    def _some(self, element: Any, env: Env, owner: Any, where: str) -> tuple[Compiled, str]:
        return self._quantified(element, env, owner, where, "some")

    def _every(self, element: Any, env: Env, owner: Any, where: str) -> tuple[Compiled, str]:
        return self._quantified(element, env, owner, where, "every")

    def _filter(self, element: Any, env: Env, owner: Any, where: str) -> tuple[Compiled, str]:
        from .feel import Filter

        base, bt = self.wrapped(element, "in", env, owner, where)
        saved, self.collecting = self.collecting, False
        try:
            cond, ct = self.wrapped(element, "match", env.bind("item"), owner, where)
        finally:
            self.collecting = saved
        return feel.compile_node(Filter(_Wrapped(base), _Wrapped(cond)), env), f"{bt}[{ct}]"


class _Wrapped:
    """An already-compiled boxed part standing where the FEEL compiler expects an AST node."""

    __slots__ = ("compiled",)

    def __init__(self, compiled: Compiled) -> None:
        self.compiled = compiled


feel._HANDLERS[_Wrapped] = lambda node, env: node.compiled


def _typed(fn: Callable[[Mapping[str, Any]], Any], ftype: FeelType, what: str) -> Callable[[Mapping[str, Any]], Any]:
    def typed(ctx: Mapping[str, Any]) -> Any:
        value, warning = coerce(fn(ctx), ftype)
        if warning:
            current_run().record(TraceEntry("warning", what, detail={"message": warning}))
        return value

    return typed


def _build_context(
    entries: list[tuple[str, Compiled, FeelType | None]], result: Compiled | None
) -> Callable[[Mapping[str, Any]], Any]:
    fns = [(name, c.fn, ftype) for name, c, ftype in entries]
    result_fn = result.fn if result is not None else None

    def build(ctx: Mapping[str, Any]) -> Any:
        run = current_run()
        frame = Frame(ctx)
        for name, fn, ftype in fns:
            entry = run.record(TraceEntry("entry", name))
            run.enter(entry)
            try:
                value = fn(frame)
                if ftype is not None:
                    value, warning = coerce(value, ftype)
                    if warning:
                        run.record(TraceEntry("warning", f"上下文条目 '{name}'", detail={"message": warning}))
            finally:
                run.leave(entry)
            frame[name] = value
            if entry is not None:
                entry.value = value
        if result_fn is not None:
            return result_fn(frame)
        return dict(frame)

    return build


__all__ = ["BoxedCompiler", "EXPRESSION_TAGS", "FeelError"]
