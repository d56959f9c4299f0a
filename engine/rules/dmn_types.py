"""Loading item definitions into FEEL types: structures, collections, function items, constraints.

A mixin of the DMN loader (:mod:`dmn`); the types it builds are kept by name
in ``self.types`` (imported ones as ``import.name``) for typeRefs and ``instance of``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .compile import Env
from .feel import FeelError, Parser, normalize_name
from .feeltypes import ANY, ConstrainedType, ContextType, FeelType, FunctionType, ListType, builtin_type, resolve
from .unary import parse_unary_tests


def _text(element: Any, ns: str, child: str = "text") -> str | None:
    found = element.find(f"{{{ns}}}{child}")
    return None if found is None else (found.text or "")


class TypeLoader:
    """Item definitions of one DMN file (mixed into the loader)."""

    ns: str
    root: Any
    types: dict[str, FeelType]
    problem: Any
    tag: Any

    def load_item_definitions(self) -> None:
        elements = {el.get("name") or "": el for el in self.root.findall(self.tag("itemDefinition"))}
        building: set[str] = set()

        def named(name: str) -> FeelType | None:
            if name in self.types:
                return self.types[name]
            if name in elements and name not in building:
                building.add(name)
                self.types[name] = self.item_type(elements[name], named)
                return self.types[name]
            return None

        for name in elements:
            named(name)

    def item_type(self, element: Any, named: Callable[[str], FeelType | None]) -> FeelType:
        name = element.get("name") or ""
        components = element.findall(self.tag("itemComponent"))
        type_ref = (_text(element, self.ns, "typeRef") or "").strip()
        function_item = element.find(self.tag("functionItem"))
        if components:
            base: FeelType = ContextType({normalize_name(c.get("name") or ""): self.item_type(c, named)
                                          for c in components}, name=name)  # fmt: skip
        elif function_item is not None:
            params = [self.ref_type(p.get("typeRef"), named) or ANY for p in function_item.findall(self.tag("parameters"))]
            base = FunctionType(params, self.ref_type(function_item.get("outputTypeRef"), named) or ANY)
        else:
            base = (self.ref_type(type_ref, named) if type_ref else None) or ANY
        for tag in ("allowedValues", "typeConstraint"):
            constraint = element.find(self.tag(tag))
            text = (_text(constraint, self.ns) or "").strip() if constraint is not None else ""
            if text:
                try:
                    tests = parse_unary_tests(text)
                except FeelError as exc:
                    self.problem(f"类型 '{name}' 的允许值：无法解析 \"{text}\"：{exc}", constraint, name, "unparsable")
                    continue
                base = ConstrainedType(name, base, lambda v, t=tests: t.matches(v, {"?": v}), text)
        if element.get("isCollection") == "true":
            return ListType(base, name or None)
        return base

    def ref_type(self, type_ref: str | None, named: Callable[[str], FeelType | None]) -> FeelType | None:
        if not type_ref:
            return None
        return named(type_ref.strip()) or builtin_type(type_ref) or self.spec_type(type_ref)

    def spec_type(self, type_ref: str) -> FeelType | None:
        """A typeRef written in FEEL type syntax: ``list<number>``, ``context<a: string>``."""
        try:
            parser = Parser(type_ref, self.types)
            spec = parser.type_spec()
            parser.expect_end()
        except FeelError:
            return None
        return resolve(spec, self.types)

    def type_of(self, type_ref: str | None, env: Env | None = None) -> FeelType | None:
        """The FEEL type a typeRef names, or None (unknown names are not checked)."""
        if not type_ref:
            return None
        return self.types.get(type_ref.strip()) or builtin_type(type_ref) or self.spec_type(type_ref)

    def environment(self, input_data: dict[str, str]) -> Env:
        names = set(input_data.values())
        for tag in ("decision",):
            for el in self.root.iter(self.tag(tag)):
                names.update(filter(None, (el.get("name"), el.get("id"))))
        functions = {el.get("name") or el.get("id") or "" for tag in ("businessKnowledgeModel", "decisionService")
                     for el in self.root.iter(self.tag(tag))}  # fmt: skip
        functions |= set(self.imports)
        for el in self.root.iter(self.tag("itemComponent")):
            names.add(el.get("name") or "")
        for model in self.imports.values():  # members reachable as import.Name
            names.update(model.functions)
            names.update(d.name for d in model.decisions.values())
            names.update(model.input_data.values())
        return Env(functions=frozenset(normalize_name(f) for f in functions if f), types=self.types,
                   known=frozenset(normalize_name(n) for n in names if n))  # fmt: skip
