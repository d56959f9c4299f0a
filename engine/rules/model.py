"""The compiled decision model: decisions, tables, rules and results.

Everything here is built once by :mod:`dmn` at load time; evaluation only
calls the compiled closures these objects hold.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import Problem, UnknownDecision
from .compile import Compiled
from .limits import DEFAULT_LIMITS, RuleLimits, TraceEntry
from .unary import UnaryTests
from .values import feel_text, to_json

HIT_POLICIES = ("UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER")
AGGREGATIONS = ("SUM", "MIN", "MAX", "COUNT")


@dataclass
class InputClause:
    id: str
    label: str
    expression: Compiled
    expression_text: str
    type_ref: str | None
    convert: Callable[[Any], Any] | None
    values: UnaryTests | None
    line: int | None

    @property
    def display(self) -> str:
        """What a modeler sees as the column header."""
        return self.label or self.expression_text


@dataclass
class OutputClause:
    id: str
    label: str
    name: str
    type_ref: str | None
    convert: Callable[[Any], Any] | None
    values: list[Any] | None  # outputValues literals, highest priority first
    default: Compiled | None
    line: int | None

    @property
    def key(self) -> str:
        """Key of this output in result dicts: name, else label, else id."""
        return self.name or self.label or self.id

    @property
    def display(self) -> str:
        return self.label or self.name or self.id


@dataclass
class Cell:
    """Source of one table cell, kept for validation messages."""

    text: str
    line: int | None


@dataclass
class Rule:
    id: str
    index: int  # 1-based, as modelers count rows
    tests: list[UnaryTests]
    outputs: list[Compiled]
    input_cells: list[Cell]
    output_cells: list[Cell]
    line: int | None
    # (column index, test) for the cells that are not "-": the hot loop skips the rest
    checks: list[tuple[int, Callable[[Any, dict[str, Any]], Any]]] = field(default_factory=list)
    description: str = ""  # the modeler's annotation column: why the rule exists


@dataclass
class DecisionTable:
    id: str
    hit_policy: str
    aggregation: str | None
    inputs: list[InputClause]
    outputs: list[OutputClause]
    rules: list[Rule]
    line: int | None

    def __post_init__(self) -> None:
        self.first_only = self.hit_policy == "FIRST"

    @property
    def keys(self) -> list[str]:
        """Output keys in column order (cached: the evaluator reads them for every match)."""
        cached = self.__dict__.get("_keys")
        if cached is None or len(cached) != len(self.outputs):
            cached = self.__dict__["_keys"] = [o.key for o in self.outputs]
        return cached


@dataclass
class LiteralExpression:
    text: str
    expression: Compiled
    type_ref: str | None
    convert: Callable[[Any], Any] | None
    line: int | None
    result_type: Any = None  # FeelType of type_ref: a non-conforming result becomes null with a warning


@dataclass
class BoxedExpression:
    """Decision logic other than a table or a plain literal: a context, list, relation, invocation,
    function definition, conditional, iterator or filter, compiled into one closure.

    ``text`` is a FEEL-like summary for catalogues; ``free_names`` the names it reads from outside.
    """

    kind: str
    text: str
    expression: Compiled
    type_ref: str | None
    line: int | None
    free_names: set[str] = field(default_factory=set)


@dataclass
class Decision:
    id: str
    name: str
    line: int | None
    logic: DecisionTable | LiteralExpression | BoxedExpression
    required_decisions: list[str] = field(default_factory=list)  # decision ids
    required_inputs: list[str] = field(default_factory=list)  # inputData names
    imported_decisions: list[tuple[str, str]] = field(default_factory=list)  # (import name, decision id)
    required_knowledge: list[str] = field(default_factory=list)  # BKM / decision service names
    result_type: Any = None  # FeelType of the variable's typeRef, when it names a type
    input_types: dict[str, Any] = field(default_factory=dict)  # inputData name -> FeelType
    input_converters: dict[str, Callable[[Any], Any]] = field(default_factory=dict)  # lenient typeRef conversion

    @property
    def plain_table(self) -> bool:
        """A decision table with no required decisions and no typed inputs (cached: read on every evaluation)."""
        cached = self.__dict__.get("_plain")
        if cached is None:
            cached = self.__dict__["_plain"] = isinstance(self.logic, DecisionTable) and not (
                self.required_decisions or self.imported_decisions or self.input_types
            )
        return cached

    @property
    def title(self) -> str:
        """How messages name the decision: ``决策 'triage'（分诊）``."""
        if self.name and self.name != self.id:
            return f"决策 '{self.id}'（{self.name}）"
        return f"决策 '{self.id}'"


@dataclass
class RuleMatch:
    """One rule that contributed to a result, with its outputs by output name."""

    rule_id: str
    index: int
    outputs: dict[str, Any]


@dataclass
class DecisionResult:
    """The outcome of evaluating one decision, with everything needed to explain it."""

    decision_id: str
    decision_name: str
    result: Any
    matched_rules: list[str]
    outputs: list[dict[str, Any]]
    inputs: dict[str, Any]
    required: list[DecisionResult] = field(default_factory=list)
    matches: list[RuleMatch] = field(default_factory=list)
    raw_result: Any = field(default=None, repr=False, compare=False)  # FEEL value, fed to dependents
    trace: Sequence[TraceEntry] = ()  # context entries, BKM calls, nested tables, warnings

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form: Decimals as numbers, dates and durations as ISO 8601 strings."""
        return {
            "decision_id": self.decision_id,
            "decision_name": self.decision_name,
            "result": to_json(self.result),
            "matched_rules": list(self.matched_rules),
            "inputs": to_json(self.inputs),
            "outputs": to_json(self.outputs),
            "required": [r.as_dict() for r in self.required],
            "explanation": [trace_dict(e) for e in self.trace],
        }

    def explain(self) -> list[str]:
        """The explanation in Chinese, one line per step (what ``gongzhi decide --explain`` prints)."""
        from .explain import explain  # explain imports this module

        return explain(self)


def trace_dict(entry: TraceEntry) -> dict[str, Any]:
    """JSON-ready form of one explanation entry."""
    out: dict[str, Any] = {"kind": entry.kind, "label": entry.label}
    if entry.kind in ("entry", "call", "table"):
        out["value"] = to_json(entry.value) if not callable(entry.value) else feel_text(entry.value)
    for key, value in entry.detail.items():
        out[key] = to_json(value)
    if entry.children:
        out["children"] = [trace_dict(c) for c in entry.children]
    return out


@dataclass
class BusinessKnowledgeModel:
    """A BKM: a named function (parameters and a boxed body) that decisions and other BKMs call."""

    id: str
    name: str
    line: int | None
    params: tuple[str, ...]
    function: Any  # functions.UserFunction, kind "bkm"
    required_knowledge: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"业务知识模型 '{self.name or self.id}'"


@dataclass
class DecisionService:
    """Output decisions evaluated from input data and input decisions supplied by the caller."""

    id: str
    name: str
    line: int | None
    output_decisions: list[str]
    encapsulated_decisions: list[str]
    input_decisions: list[str]
    input_data: list[str]  # inputData names
    function: Any = None  # functions.Function that invokes it
    result_type: Any = None  # FeelType of the service's variable typeRef

    @property
    def title(self) -> str:
        if self.name and self.name != self.id:
            return f"决策服务 '{self.id}'（{self.name}）"
        return f"决策服务 '{self.id}'"


@dataclass
class DmnModel:
    """A loaded DMN file: its decisions by id, ready to evaluate."""

    file: str
    decisions: dict[str, Decision]
    input_data: dict[str, str] = field(default_factory=dict)  # inputData id -> name
    namespace: str = ""
    bkms: dict[str, BusinessKnowledgeModel] = field(default_factory=dict)  # by id
    services: dict[str, DecisionService] = field(default_factory=dict)  # by id
    functions: dict[str, Any] = field(default_factory=dict)  # BKM and service functions by name
    imports: dict[str, DmnModel] = field(default_factory=dict)  # import name -> model
    types: dict[str, Any] = field(default_factory=dict)  # item definition name -> FeelType
    limits: RuleLimits = DEFAULT_LIMITS

    def find(self, id_or_name: str) -> Decision:
        """Decision by id, else by name; raises :class:`UnknownDecision` listing the ids."""
        decision = self.decisions.get(id_or_name)
        if decision is not None:
            return decision
        for candidate in self.decisions.values():
            if candidate.name == id_or_name:
                return candidate
        raise UnknownDecision(id_or_name, sorted(self.decisions) + sorted(self.services))

    def find_service(self, id_or_name: str) -> DecisionService | None:
        for service in self.services.values():
            if id_or_name in (service.id, service.name):
                return service
        return None

    def validate(self, known_names: set[str] | None = None) -> list[Problem]:
        """Semantic problems (unknown names, type mismatches); see :func:`validate.validate`."""
        from .validate import validate  # validate imports this module

        return validate(self, known_names)

    def evaluate(
        self,
        id_or_name: str,
        inputs: Mapping[str, Any],
        *,
        limits: RuleLimits | None = None,
        now: dt.datetime | None = None,
    ) -> DecisionResult:
        """Evaluate a decision (and, first, the decisions it requires) or a decision service against ``inputs``.

        ``limits`` overrides the model's :class:`RuleLimits` for this call; ``now`` (an aware
        date and time) is what FEEL's ``now()`` and ``today()`` return, e.g. the engine's clock.
        """
        from .evaluate import evaluate, evaluate_service  # evaluate imports this module

        decision = self.decisions.get(id_or_name)
        if decision is None:
            service = self.find_service(id_or_name)
            if service is not None:
                return evaluate_service(self, service, inputs, limits, now)
            decision = self.find(id_or_name)
        return evaluate(self, decision, inputs, limits, now)
