"""Load DMN XML (1.1 to 1.5 namespaces) into a compiled :class:`DmnModel`.

Every expression is parsed and compiled here, once: decision tables, literal
expressions and boxed expressions (:mod:`boxed`), business knowledge models,
decision services, item definitions and imported models. Anything that makes a
decision impossible to evaluate (bad XML, unknown hit policy, an unparsable
cell, an unknown function, a requirement cycle) is collected as a
:class:`Problem` and raised together as :class:`DefinitionInvalid`, so a
modeler sees all mistakes in one go. A parse error names the decision, the
cell or entry, the file line and the column within the expression.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Union

from lxml import etree

from ..errors import DefinitionInvalid, Problem
from .boxed import EXPRESSION_TAGS, BoxedCompiler
from .compile import Compiled, Env, UnknownFunction, compile_node, constant
from .dmn_tables import TableLoader
from .dmn_types import TypeLoader
from .feel import FeelError, FeelSyntaxError, normalize_name, parse_expression
from .feeltypes import ANY, FeelType
from .functions import BUILTIN_NAMES, UserFunction
from .limits import DEFAULT_LIMITS, RuleLimits
from .model import (
    BoxedExpression,
    BusinessKnowledgeModel,
    Decision,
    DecisionService,
    DmnModel,
    LiteralExpression,
)
from .types import converter

DMN_NAMESPACES = {
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd": "1.1",
    "http://www.omg.org/spec/DMN/20180521/MODEL/": "1.2",
    "https://www.omg.org/spec/DMN/20191111/MODEL/": "1.3",
    "https://www.omg.org/spec/DMN/20211108/MODEL/": "1.4",
    "https://www.omg.org/spec/DMN/20230324/MODEL/": "1.5",
}

# No entity expansion or network access: DMN files come from modelers' uploads.
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)

Source = Union[bytes, str, "os.PathLike[str]"]
ImportSource = Union[bytes, str, "os.PathLike[str]", DmnModel]
Imports = Union[Mapping[str, ImportSource], Callable[[str, str], "ImportSource | None"]]

_SYNTAX_CN = (
    ("unterminated string", "字符串缺少结束引号"),
    ("unterminated comment", "注释缺少结束符 */"),
    ("unexpected character", "无法识别的字符"),
    ("unexpected keyword", "此处不能用关键字"),
    ("unexpected text", "表达式在此处应已结束"),
    ("expected a value", "此处应为一个值"),
    ("expected", "此处缺少应有的内容"),
    ("nested too deeply", "表达式嵌套过深"),
    ("empty expression", "表达式为空"),
)


def load_dmn(
    source: Source,
    filename: str | None = None,
    *,
    imports: Imports | None = None,
    limits: RuleLimits | None = None,
) -> DmnModel:
    """Load and compile a DMN file.

    ``source`` is XML bytes, XML text (a string starting with ``<``) or a path.
    ``imports`` finds the models that ``<import>`` elements name: a mapping from
    namespace (or locationURI) to a source or a loaded model, or a function
    ``(namespace, location_uri) -> source``; by default a path's imports are
    looked up relative to its folder. ``limits`` become the model's default
    :class:`RuleLimits`. Raises :class:`DefinitionInvalid` listing every problem.
    """
    data, filename, folder = _read(source, filename)
    try:
        root = etree.fromstring(data, _XML_PARSER)
    except etree.XMLSyntaxError as exc:
        problem = Problem(filename, f"DMN 文件不是有效的 XML：{exc.msg}", line=exc.lineno, code="xml")
        raise DefinitionInvalid([problem]) from exc
    loader = _Loader(filename, root, _resolver(imports, folder), limits or DEFAULT_LIMITS)
    model = loader.load()
    if loader.problems:
        raise DefinitionInvalid(loader.problems)
    return model


def _read(source: Source, filename: str | None) -> tuple[bytes, str, Path | None]:
    if isinstance(source, bytes):
        return source, filename or "<dmn>", None
    if isinstance(source, str) and source.lstrip().startswith("<"):
        return source.encode("utf-8"), filename or "<dmn>", None
    path = Path(source)
    return path.read_bytes(), filename or str(path), path.parent


def _resolver(imports: Imports | None, folder: Path | None) -> Callable[[str, str], ImportSource | None]:
    def find(namespace: str, location: str) -> ImportSource | None:
        if callable(imports):
            return imports(namespace, location)
        if imports is not None:
            return imports.get(namespace) or imports.get(location)
        if folder is None:
            return None
        if location and (folder / location).is_file():
            return folder / location
        for candidate in sorted(folder.glob("*.dmn")):  # same folder, matched by namespace
            try:
                root = etree.parse(str(candidate), _XML_PARSER).getroot()
            except etree.XMLSyntaxError:
                continue
            if root.get("namespace") == namespace:
                return candidate
        return None

    return find


def _text(element: Any, ns: str, child: str = "text") -> str | None:
    found = element.find(f"{{{ns}}}{child}")
    return None if found is None else (found.text or "")


class _Loader(TypeLoader, TableLoader):
    """Turns one ``definitions`` element into a model, collecting problems."""

    def __init__(
        self, filename: str, root: Any, resolve_import: Callable[[str, str], Any], limits: RuleLimits
    ) -> None:
        self.file = filename
        self.root = root
        self.ns = etree.QName(root).namespace or ""
        self.problems: list[Problem] = []
        self.resolve_import = resolve_import
        self.limits = limits
        self.boxed = BoxedCompiler(self)
        self.types: dict[str, FeelType] = {}
        self.imports: dict[str, DmnModel] = {}
        self.import_ns: dict[str, str] = {}  # namespace -> import name
        self.env = Env()
        self.current_env = self.env  # the env tables compile in (a BKM's parameters, a context's entries)

    def problem(self, message: str, element: Any, element_id: str | None, code: str = "invalid",
                line: int | None = None, **extra: Any) -> None:  # fmt: skip
        line = line or getattr(element, "sourceline", None)
        self.problems.append(Problem(self.file, message, element_id=element_id, line=line, code=code, extra=extra))

    def tag(self, name: str) -> str:
        return f"{{{self.ns}}}{name}"

    def text(self, element: Any) -> str | None:
        return _text(element, self.ns)

    def load(self) -> DmnModel:
        if etree.QName(self.root).localname != "definitions" or self.ns not in DMN_NAMESPACES:
            known = ", ".join(DMN_NAMESPACES)
            self.problem(
                f"不是 DMN 文件：根元素应为 DMN definitions（namespace {self.ns!r}; supported: {known}）",
                self.root,
                None,
                "namespace",
            )
            return DmnModel(self.file, {})
        self.load_imports()
        self.load_item_definitions()
        input_data = {
            el.get("id", ""): el.get("name") or el.get("id", "") for el in self.root.iter(self.tag("inputData"))
        }
        model = DmnModel(self.file, {}, input_data, self.ns, imports=self.imports, types=self.types,
                         limits=self.limits)  # fmt: skip
        self.env = self.current_env = self.environment(input_data)
        scope: dict[str, Any] = {}  # what BKM bodies see: the model's functions and imports
        for element in self.root.iter(self.tag("businessKnowledgeModel")):
            bkm = self.bkm(element, scope)
            if bkm is not None:
                model.bkms[bkm.id] = bkm
                model.functions[bkm.name] = bkm.function
        for element in self.root.iter(self.tag("decision")):
            decision = self.decision(element, input_data)
            if decision is not None:
                if decision.id in model.decisions:
                    self.problem(f"决策 id '{decision.id}' 重复", element, decision.id, "duplicate")
                model.decisions[decision.id] = decision
        for element in self.root.iter(self.tag("decisionService")):
            self.service(model, element, input_data)
        scope.update(model.functions)
        for name, imported in self.imports.items():
            scope[name] = dict(imported.functions)
        self.check_requirements(model)
        return model

    # --- imports -------------------------------------------------------------------

    def load_imports(self) -> None:
        for element in self.root.findall(self.tag("import")):
            namespace, location = element.get("namespace") or "", element.get("locationURI") or ""
            name = element.get("name") or ""
            if not str(element.get("importType") or "").rstrip("/").startswith("https://www.omg.org/spec/DMN") and \
                    element.get("importType") not in DMN_NAMESPACES:  # fmt: skip
                continue  # XML Schema or PMML imports: nothing to evaluate
            found = self.resolve_import(namespace, location)
            if found is None:
                self.problem(f"找不到导入的模型 '{name}'（namespace {namespace}, locationURI {location!r}）",
                             element, None, "import")  # fmt: skip
                continue
            try:
                model = found if isinstance(found, DmnModel) else load_dmn(found, imports=self.resolve_import)
            except DefinitionInvalid as exc:
                self.problems.extend(exc.problems)
                continue
            self.imports[name] = model
            self.import_ns[namespace] = name
            for type_name, ftype in model.types.items():
                if "." not in type_name:
                    self.types[f"{name}.{type_name}" if name else type_name] = ftype

    # --- expressions -------------------------------------------------------------

    def compile(self, text: str, element: Any, owner: Any, where: str, env: Env | None = None) -> Compiled:
        """Compile an expression; on failure record a located problem and return a null stand-in."""
        env = env or self.current_env
        try:
            return compile_node(parse_expression(text, env.parser_names(), BUILTIN_NAMES), env)
        except FeelError as exc:
            self.expression_problem(exc, text, element, owner, where)
            return constant(None, None)

    def expression_problem(self, exc: FeelError, text: str, element: Any, owner: Any, where: str) -> None:
        shown = text.strip()
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        owner_id = getattr(owner, "id", None)
        if isinstance(exc, UnknownFunction):
            hint = f"（您是否要用：{'、'.join(exc.close)}）" if exc.close else ""
            self.problem(f'{where}：无法解析 "{shown}"：未知的函数 \'{exc.name}\'{hint} ({exc})', element, owner_id,
                         "unknown-function")  # fmt: skip
            return
        if isinstance(exc, FeelSyntaxError) and exc.line is not None:
            what = next((cn for en, cn in _SYNTAX_CN if en in exc.detail), "语法错误")
            text_el = element.find(self.tag("text")) if element is not None else None
            start = getattr(text_el if text_el is not None else element, "sourceline", None)
            lead = len(text) - len(text.lstrip("\n"))  # lines before the expression inside <text>
            # the element's own line for a one-line text (what modelers search for), else the exact line
            line = start + lead + exc.line - 1 if start and exc.line > 1 else None
            self.problem(f'{where}：无法解析 "{shown}"：第 {exc.line} 行第 {exc.column} 列，{what} ({exc})',
                         element, owner_id, "unparsable", line=line, column=exc.column,
                         expression_line=exc.line)  # fmt: skip
            return
        self.problem(f'{where}：无法解析 "{shown}"：{exc}', element, owner_id, "unparsable")

    # --- business knowledge models and decision services ---------------------------

    def bkm(self, element: Any, scope: dict[str, Any]) -> BusinessKnowledgeModel | None:
        bkm_id = element.get("id") or ""
        name = normalize_name(element.get("name") or bkm_id)
        bkm = BusinessKnowledgeModel(bkm_id, name, element.sourceline, (), None)
        logic = element.find(self.tag("encapsulatedLogic"))
        if logic is None:
            self.problem(f"{bkm.title}：缺少函数定义（encapsulatedLogic）", element, bkm_id, "structure")
            return None
        kind = logic.get("kind") or "FEEL"
        if kind.upper() != "FEEL":
            self.problem(f"{bkm.title}：不支持 {kind} 函数，只支持 FEEL (kind={kind} is not supported)", logic,
                         bkm_id, "unsupported")  # fmt: skip
            return None
        params, types = self.boxed.parameters(logic, self.env)
        body_el = self.boxed.child_expression(logic)
        body = constant(None, None)
        if body_el is not None:
            body, _ = self.boxed.expression(body_el, self.env.bind(*params), bkm, bkm.title)
        variable = element.find(self.tag("variable"))
        result_type = self.type_of(variable.get("typeRef")) if variable is not None else None
        bkm.params = params
        bkm.function = UserFunction(name, params, body.fn, scope, types, result_type, kind="bkm")
        bkm.required_knowledge = [self.href(r.get("href"))[1] for r in element.iter(self.tag("requiredKnowledge"))]
        return bkm

    def href(self, href: str | None) -> tuple[str | None, str]:
        """(import name or None for this file, element id) of a DMN reference."""
        href = href or ""
        namespace, _, element_id = href.rpartition("#")
        if namespace and namespace != self.root.get("namespace"):
            return self.import_ns.get(namespace, namespace), element_id
        return None, element_id

    def service(self, model: DmnModel, element: Any, input_data: dict[str, str]) -> None:
        from .evaluate import ServiceFunction  # evaluate imports the model

        service_id = element.get("id") or ""
        refs = {tag: [self.href(r.get("href"))[1] for r in element.findall(self.tag(tag))]
                for tag in ("outputDecision", "encapsulatedDecision", "inputDecision", "inputData")}  # fmt: skip
        service = DecisionService(service_id, normalize_name(element.get("name") or service_id), element.sourceline,
                                  refs["outputDecision"], refs["encapsulatedDecision"], refs["inputDecision"],
                                  [input_data.get(i, i) for i in refs["inputData"]])  # fmt: skip
        missing = [d for d in (*service.output_decisions, *service.encapsulated_decisions, *service.input_decisions)
                   if d not in model.decisions]  # fmt: skip
        if missing or not service.output_decisions:
            what = f"引用了不存在的决策 {', '.join(missing)}" if missing else "没有输出决策（outputDecision）"
            self.problem(f"{service.title}：{what}", element, service_id, "reference")
            return
        variable = element.find(self.tag("variable"))
        service.result_type = self.type_of(variable.get("typeRef")) if variable is not None else None
        service.function = ServiceFunction(model, service)
        model.services[service_id] = service
        model.functions[service.name] = service.function

    # --- decisions -------------------------------------------------------

    def decision(self, element: Any, input_data: dict[str, str]) -> Decision | None:
        decision_id = element.get("id")
        if not decision_id:
            self.problem("决策缺少 id 属性", element, None, "structure")
            return None
        # logic is filled in below; the decision must exist first because cell messages quote its title
        shell = Decision(decision_id, element.get("name") or decision_id, element.sourceline, logic=None)  # type: ignore[arg-type]
        for req in element.iter(self.tag("informationRequirement")):
            self.requirement(shell, req, input_data)
        for req in element.iter(self.tag("requiredKnowledge")):
            shell.required_knowledge.append(self.href(req.get("href"))[1])
        variable = element.find(self.tag("variable"))
        if variable is not None and variable.get("typeRef") and normalize_name(variable.get("typeRef")) in self.types:
            shell.result_type = self.types[normalize_name(variable.get("typeRef"))]
        logic = next((c for c in element if isinstance(c.tag, str) and etree.QName(c).localname in EXPRESSION_TAGS),
                     None)  # fmt: skip
        kind = etree.QName(logic).localname if logic is not None else None
        if kind == "decisionTable":
            shell.logic = self.table(shell, logic)
        elif kind == "literalExpression":
            shell.logic = self.literal(shell, element, logic)
        elif kind is not None:
            self.boxed.free = set()
            compiled, text = self.boxed.expression(logic, self.env, shell, shell.title)
            type_ref = variable.get("typeRef") if variable is not None else None
            if shell.result_type is None and type_ref:
                shell.result_type = self.type_of(type_ref)
            shell.logic = BoxedExpression(kind, text, compiled, type_ref, logic.sourceline, set(self.boxed.free))
        else:
            self.problem(f"{shell.title}：没有决策逻辑（决策表、字面表达式或盒式表达式）", element, decision_id,
                         "unsupported")  # fmt: skip
            return None
        return shell

    def requirement(self, decision: Decision, req: Any, input_data: dict[str, str]) -> None:
        for child in req:
            if not isinstance(child.tag, str):
                continue
            import_name, href = self.href(child.get("href"))
            local = etree.QName(child).localname
            if local == "requiredDecision":
                if import_name is None:
                    decision.required_decisions.append(href)
                elif import_name in self.imports and href in self.imports[import_name].decisions:
                    decision.imported_decisions.append((import_name, href))
                else:
                    self.problem(f"{decision.title}：引用了不存在的导入决策 '{child.get('href')}'", child,
                                 decision.id, "reference")  # fmt: skip
            elif local == "requiredInput":
                if import_name is not None:
                    imported = self.imports.get(import_name)
                    if imported is None or href not in imported.input_data:
                        self.problem(f"{decision.title}：引用了不存在的导入输入数据 '{child.get('href')}'", child,
                                     decision.id, "reference")  # fmt: skip
                    else:
                        decision.required_inputs.append(import_name)
                elif href not in input_data:
                    self.problem(f"{decision.title}：引用了不存在的输入数据 '{href}'", child, decision.id, "reference")
                else:
                    decision.required_inputs.append(input_data[href])
                    self.input_type(decision, href, input_data[href])

    def input_type(self, decision: Decision, input_id: str, name: str) -> None:
        """An inputData whose variable names an item definition is type-checked when read."""
        for el in self.root.iter(self.tag("inputData")):
            if el.get("id") == input_id:
                variable = el.find(self.tag("variable"))
                type_ref = variable.get("typeRef") if variable is not None else None
                ftype = self.type_of(type_ref)
                if ftype is not None and ftype is not ANY:
                    decision.input_types[name] = ftype
                    convert = converter(type_ref)
                    if convert is not None:  # forms send dates as strings: convert as table columns do
                        decision.input_converters[name] = convert

    def literal(self, decision: Decision, element: Any, literal: Any) -> LiteralExpression:
        text = _text(literal, self.ns) or ""
        variable = element.find(self.tag("variable"))
        type_ref = literal.get("typeRef") or (variable.get("typeRef") if variable is not None else None)
        expression = self.compile(text, literal, decision, f"{decision.title} 字面表达式")
        result_type = self.type_of(type_ref)
        if result_type is decision.result_type:
            decision.result_type = None  # checked once, by the literal itself
        return LiteralExpression(text, expression, type_ref, converter(type_ref), literal.sourceline, result_type)

    # --- requirement graph ---------------------------------------------------

    def check_requirements(self, model: DmnModel) -> None:
        for decision in model.decisions.values():
            for req in decision.required_decisions:
                if req not in model.decisions:
                    self.problem(f"{decision.title}：依赖的决策 '{req}' 不存在", None, decision.id, "reference")
        visiting: list[str] = []
        done: set[str] = set()

        def visit(decision_id: str) -> None:
            if decision_id in done or decision_id not in model.decisions:
                return
            if decision_id in visiting:
                cycle = " → ".join([*visiting[visiting.index(decision_id) :], decision_id])
                self.problems.append(
                    Problem(
                        self.file,
                        f"决策依赖存在循环：{cycle}",
                        element_id=decision_id,
                        line=model.decisions[decision_id].line,
                        code="cycle",
                    )
                )
                return
            visiting.append(decision_id)
            for req in model.decisions[decision_id].required_decisions:
                visit(req)
            visiting.pop()
            done.add(decision_id)

        for decision_id in model.decisions:
            visit(decision_id)
