"""Evaluate decisions: input conversion, rule matching, hit policies, DRG chaining.

Hit policies follow DMN 1.3 §8.2.11. Where the spec leaves room, Gongzhi is
strict rather than convenient: a second match in a UNIQUE table and
disagreeing matches in an ANY table raise :class:`HitPolicyViolation` instead
of silently picking one, because a government rule must never depend on
rule order by accident.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..errors import DecisionError, HitPolicyViolation, LimitExceeded
from . import ops
from .feel import FeelEvalError
from .feeltypes import coerce
from .functions import BUILTINS, Frame, Function
from .limits import RuleLimits, Run, TraceEntry, activate, current_run, deactivate, exceeded
from .model import (
    Decision,
    DecisionResult,
    DecisionService,
    DecisionTable,
    DmnModel,
    InputClause,
    LiteralExpression,
    OutputClause,
    Rule,
    RuleMatch,
)
from .values import to_feel_inputs, to_python, type_name


def evaluate(
    model: DmnModel,
    decision: Decision,
    inputs: Mapping[str, Any],
    limits: RuleLimits | None = None,
    now: dt.datetime | None = None,
) -> DecisionResult:
    """Evaluate ``decision``; required decisions run first, each once per call."""
    run, token = activate(Run(limits or model.limits, now))
    try:
        ctx = to_feel_inputs(inputs)
        if model.functions or model.imports:
            ctx = base_context(model, ctx)
        result = _evaluate(model, decision, ctx, {}, run, owned=True)
        if run.entries and not result.trace:  # a plain table whose cells called BKMs: their trace
            result.trace = run.entries
        if token and run.dropped:
            result.trace = [*result.trace, _truncated(run)]
        return result
    except LimitExceeded as exc:
        raise _located(exc, decision.title, decision.id) from exc
    finally:
        deactivate(token)


def _truncated(run: Run) -> TraceEntry:
    return TraceEntry("truncated", f"另有 {run.dropped} 条解释未记录（超过 max_trace_entries = "
                                   f"{run.limits.max_trace_entries}）")


def _located(exc: LimitExceeded, title: str, element_id: str) -> LimitExceeded:
    if "decision_id" in exc.context:
        return exc
    context = {k: v for k, v in exc.context.items() if k not in ("limit", "maximum")}
    return LimitExceeded(
        f"{title}：{exc.message}", limit=exc.context["limit"], maximum=exc.context["maximum"],
        **{**context, "decision_id": element_id, "element_id": element_id},
    )


def base_context(model: DmnModel, ctx: dict[str, Any]) -> dict[str, Any]:
    """Caller inputs plus what the model defines: its BKMs and services, its imports as contexts."""
    if model.functions:
        ctx.update(model.functions)
    for name, imported in model.imports.items():
        given = ctx.get(name)
        ctx[name] = {**imported.functions, **(given if type(given) is dict else {})}
    return ctx


def _evaluate(
    model: DmnModel,
    decision: Decision,
    base: Mapping[str, Any],
    cache: dict[str, DecisionResult],
    run: Run,
    owned: bool = False,
) -> DecisionResult:
    if decision.plain_table:  # the hot path: a table needing nothing else, nothing to trace around it
        return _table(decision, decision.logic, base if owned else dict(base))  # type: ignore[arg-type]
    # a private copy: unary tests bind "?" in it; the top decision may use the fresh input dict itself
    ctx: dict[str, Any] = base if owned and not decision.required_decisions else dict(base)  # type: ignore[assignment]
    logic = decision.logic
    required = []
    for req_id in decision.required_decisions:
        if req_id not in cache:
            cache[req_id] = _evaluate(model, model.decisions[req_id], base, cache, run)
        sub = cache[req_id]
        required.append(sub)
        ctx[sub.decision_name] = sub.raw_result
        ctx[sub.decision_id] = sub.raw_result
    for import_name, req_id in decision.imported_decisions:
        imported = model.imports[import_name]
        key = f"{import_name}#{req_id}"
        if key not in cache:
            inner = base_context(imported, dict(base.get(import_name) or {}))
            cache[key] = _evaluate(imported, imported.decisions[req_id], inner, {}, run)
        sub = cache[key]
        required.append(sub)
        ctx[import_name] = {**(ctx.get(import_name) or {}), sub.decision_name: sub.raw_result}
    trace = run.open_section()
    try:
        for name, ftype in decision.input_types.items():
            if name in ctx:
                ctx[name] = _coerced(run, _converted(decision, name, ctx[name]), ftype, f"输入数据 '{name}'")
        if isinstance(logic, DecisionTable):
            result = _table(decision, logic, ctx)
            result.required = required
        else:
            raw = _literal(decision, logic, ctx) if isinstance(logic, LiteralExpression) else logic.expression.fn(ctx)
            if decision.result_type is not None:
                raw = _coerced(run, raw, decision.result_type, f"{decision.title} 的结果")
            result = DecisionResult(decision.id, decision.name, to_python(raw), [], [], {}, required, [], raw)
    finally:
        run.close_section()
    result.trace = trace
    return result


def _converted(decision: Decision, name: str, value: Any) -> Any:
    """The lenient typeRef conversion of table columns ("2026-03-02" → date); unconvertible values stay."""
    convert = decision.input_converters.get(name)
    if convert is None:
        return value
    try:
        return convert(value)
    except ValueError:
        return value  # coercion below turns it into null, with a warning


def _coerced(run: Run, value: Any, ftype: Any, what: str) -> Any:
    value, warning = coerce(value, ftype)
    if warning:
        run.record(TraceEntry("warning", what, detail={"message": warning}))
    return value


def _literal(decision: Decision, literal: LiteralExpression, ctx: dict[str, Any]) -> Any:
    """A literal decision's value: converted as table columns are ("12" → 12), else coerced per DMN 1.5."""
    value = literal.expression.fn(ctx)
    if literal.convert is not None:
        try:
            value = literal.convert(value)
        except ValueError:
            pass  # not convertible: the coercion below makes it null, with a warning
    if literal.result_type is not None:
        value = _coerced(current_run(), value, literal.result_type, f"{decision.title} 的结果")
    return value


# --- decision services and nested tables ------------------------------------------


def evaluate_service(
    model: DmnModel,
    service: DecisionService,
    inputs: Mapping[str, Any],
    limits: RuleLimits | None = None,
    now: dt.datetime | None = None,
) -> DecisionResult:
    """Evaluate a decision service from the engine: ``inputs`` by input data and input decision names."""
    run, token = activate(Run(limits or model.limits, now))
    trace = run.open_section()
    try:
        raw, parts = _service(model, service, to_feel_inputs(inputs), run)
    except LimitExceeded as exc:
        raise _located(exc, service.title, service.id) from exc
    finally:
        run.close_section()
        deactivate(token)
    return DecisionResult(service.id, service.name, to_python(raw), [], [], {}, parts, [], raw, trace)


def _service(
    model: DmnModel, service: DecisionService, values: dict[str, Any], run: Run
) -> tuple[Any, list[DecisionResult]]:
    base = base_context(model, {k: v for k, v in values.items() if k in service.input_data})
    cache: dict[str, DecisionResult] = {}
    for decision_id in service.input_decisions:  # supplied by the caller, never evaluated here
        decision = model.decisions[decision_id]
        given = values.get(decision.name, values.get(decision.id))
        cache[decision_id] = DecisionResult(decision.id, decision.name, to_python(given), [], [], {}, raw_result=given)
    outputs = [_evaluate(model, model.decisions[d], base, cache, run) for d in service.output_decisions]
    value = outputs[0].raw_result if len(outputs) == 1 else {r.decision_name: r.raw_result for r in outputs}
    if service.result_type is not None:
        value = _coerced(run, value, service.result_type, f"{service.title} 的结果")
    return value, outputs


class ServiceFunction(Function):
    """A decision service as a FEEL function: parameters are its input data, then its input decisions."""

    def __init__(self, model: DmnModel, service: DecisionService) -> None:
        self.model, self.service, self.name = model, service, service.name
        decisions = [model.decisions[d].name for d in service.input_decisions if d in model.decisions]
        self.params = (*service.input_data, *decisions)

    def call(self, args: list[Any], named: dict[str, Any] | None = None) -> Any:
        run = current_run()
        run.tick()
        if named is None:
            if len(args) > len(self.params):
                return None
            named = dict(zip(self.params, args, strict=False))
        elif not set(named) <= set(self.params):
            return None
        entry = run.record(TraceEntry("call", self.name, detail={"callee": "service", "args": dict(named)}))
        if run.depth >= run.limits.max_depth:  # a decision inside the service that calls the service
            raise exceeded("max_depth", run.limits.max_depth, run.depth + 1)
        run.depth += 1
        try:
            with run.nested(entry):
                value, _ = _service(self.model, self.service, dict(named), run)
        finally:
            run.depth -= 1
        if entry is not None:
            entry.value = value
        return value


def table_value(owner: Any, table: DecisionTable, ctx: Mapping[str, Any]) -> Any:
    """A decision table used as a boxed expression (a BKM body, a context entry): its value, traced."""
    run = current_run()
    result = _table(owner, table, Frame(ctx))  # a Frame: the table binds "?" in it
    run.record(
        TraceEntry(
            "table",
            owner.title,
            result.raw_result,
            detail={"matched_rules": list(result.matched_rules), "inputs": result.inputs},
        )
    )
    return result.raw_result


def _table(decision: Decision, table: DecisionTable, ctx: dict[str, Any]) -> DecisionResult:
    values = [_input_value(decision, clause, ctx) for clause in table.inputs]
    matched = _matching_rules(table, values, ctx)
    hits = [(rule, _rule_outputs(decision, table, rule, ctx)) for rule in matched]
    raw, hits = _apply_hit_policy(decision, table, hits, ctx)
    inputs = {clause.label or clause.expression_text: to_python(v) for clause, v in zip(table.inputs, values, strict=True)}
    outputs = [to_python(out) for _, out in hits]
    matches = [RuleMatch(rule.id, rule.index, out) for (rule, _), out in zip(hits, outputs, strict=True)]
    return DecisionResult(
        decision.id, decision.name, to_python(raw), [r.id for r, _ in hits], outputs, inputs, [], matches, raw
    )


def _input_value(decision: Decision, clause: InputClause, ctx: dict[str, Any]) -> Any:
    value = clause.expression.fn(ctx)
    if clause.convert is not None:
        try:
            value = clause.convert(value)
        except ValueError as exc:
            raise DecisionError(
                f"{decision.title} 输入列 '{clause.display}'：{exc}", decision_id=decision.id, column=clause.display
            ) from exc
    if clause.values is not None and value is not None and not clause.values.matches(value, ctx):
        raise DecisionError(
            f"{decision.title} 输入列 '{clause.display}'：值 {to_python(value)!r} 不在允许值 {clause.values.text} 之内",
            decision_id=decision.id,
            column=clause.display,
        )
    return value


def _matching_rules(table: DecisionTable, values: list[Any], ctx: dict[str, Any]) -> list[Rule]:
    first_only = table.first_only
    matched = []
    for rule in table.rules:
        for index, test in rule.checks:
            if test(values[index], ctx) is not True:
                break
        else:
            matched.append(rule)
            if first_only:
                break
    return matched


def _rule_outputs(decision: Decision, table: DecisionTable, rule: Rule, ctx: dict[str, Any]) -> dict[str, Any]:
    outputs: dict[str, Any] = {}
    for key, clause, expression in zip(table.keys, table.outputs, rule.outputs, strict=False):
        outputs[key] = _output_value(decision, clause, expression.fn(ctx), rule.index)
    return outputs


def _output_where(decision: Decision, clause: OutputClause, rule_index: int | None) -> str:
    row = f"第 {rule_index} 条规则，" if rule_index else " 默认值，"
    return f"{decision.title}{row}输出列 '{clause.display}'"


def _output_value(decision: Decision, clause: OutputClause, value: Any, rule_index: int | None) -> Any:
    if clause.convert is not None:
        try:
            value = clause.convert(value)
        except ValueError as exc:
            raise DecisionError(
                f"{_output_where(decision, clause, rule_index)}：{exc}", decision_id=decision.id, rule=rule_index,
                column=clause.display,
            ) from exc
    if clause.values is not None and value is not None and not any(ops.eq(value, v) is True for v in clause.values):
        raise DecisionError(
            f"{_output_where(decision, clause, rule_index)}：值 {to_python(value)!r} 不在允许值列表之内",
            decision_id=decision.id,
            rule=rule_index,
            column=clause.display,
        )
    return value


# --- hit policies ---------------------------------------------------------------

Hit = tuple[Any, dict[str, Any]]  # (Rule, raw outputs by key)


def _apply_hit_policy(
    decision: Decision, table: DecisionTable, hits: list[Hit], ctx: dict[str, Any]
) -> tuple[Any, list[Hit]]:
    """Return (raw result, the hits that make up the result, in result order)."""
    if not hits:
        return _no_match(decision, table, ctx), []
    policy = table.hit_policy
    if policy == "UNIQUE" and len(hits) > 1:
        raise _violation(decision, "UNIQUE", hits, "同时命中了多条规则")
    if policy == "ANY" and any(not _same(hits[0][1], out) for _, out in hits[1:]):
        raise _violation(decision, "ANY", hits, "命中的规则输出不一致")
    if policy == "PRIORITY":
        hits = [min(hits, key=lambda h: _priority(decision, table, h[1]))]
    elif policy == "OUTPUT ORDER":
        hits = sorted(hits, key=lambda h: _priority(decision, table, h[1]))
    if policy in ("UNIQUE", "ANY", "PRIORITY", "FIRST"):
        return _single(table, hits[0][1]), hits
    if table.aggregation:
        return _aggregate(decision, table, [out[table.outputs[0].key] for _, out in hits]), hits
    return [_single(table, out) for _, out in hits], hits


def _single(table: DecisionTable, outputs: dict[str, Any]) -> Any:
    """A DMN result entry: the bare value for one output column, else the dict."""
    if len(table.outputs) == 1:
        return outputs[table.outputs[0].key]
    return dict(outputs)


def _no_match(decision: Decision, table: DecisionTable, ctx: dict[str, Any]) -> Any:
    if any(o.default is not None for o in table.outputs):
        defaults = {
            o.key: _output_value(decision, o, o.default.fn(ctx) if o.default else None, None) for o in table.outputs
        }
        return _single(table, defaults)
    if table.aggregation == "COUNT":
        return Decimal(0)  # the number of matches is known: none
    return None


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all(ops.eq(a[k], b[k]) is True for k in a)


def _priority(decision: Decision, table: DecisionTable, outputs: dict[str, Any]) -> tuple[int, ...]:
    """Position of each output in its outputValues list; lower is higher priority."""
    key = []
    for clause in table.outputs:
        if clause.values is None:
            continue
        value = outputs[clause.key]
        position = next((i for i, v in enumerate(clause.values) if ops.eq(value, v) is True), None)
        if position is None:  # null outputs sort last rather than failing
            position = len(clause.values)
        key.append(position)
    return tuple(key)


def _violation(decision: Decision, policy: str, hits: list[Hit], what: str) -> HitPolicyViolation:
    rules = "、".join(f"第 {rule.index} 条（{rule.id}）" for rule, _ in hits)
    return HitPolicyViolation(
        f"{decision.title} 的命中策略为 {policy}，但{what}：{rules}",
        decision_id=decision.id,
        hit_policy=policy,
        rules=[rule.id for rule, _ in hits],
    )


def _aggregate(decision: Decision, table: DecisionTable, values: list[Any]) -> Any:
    present = [v for v in values if v is not None]  # null outputs do not take part
    if table.aggregation == "COUNT":
        return Decimal(len(present))
    name = {"SUM": "sum", "MIN": "min", "MAX": "max"}[table.aggregation or ""]
    if name == "sum" and any(type(v) is not Decimal for v in present):
        bad = next(v for v in present if type(v) is not Decimal)
        raise DecisionError(
            f"{decision.title}：COLLECT SUM 只能汇总数字，得到 {type_name(bad)} {to_python(bad)!r}",
            decision_id=decision.id,
        )
    try:
        return BUILTINS[name].fn(present)
    except FeelEvalError as exc:
        raise DecisionError(
            f"{decision.title}：COLLECT {table.aggregation} 无法比较输出值：{exc}", decision_id=decision.id
        ) from exc
