"""Choice lists a form takes from their one source (``x-options``), filled in when the form is served.

A property written

    "lead_department": {"type": "string", "x-options": {"source": "directory", "list": "departments"}}

is served, and validated, with ``oneOf: [{"const": "chengguan", "title": "城管执法局"}, …]`` taken
from the organisation directory; one written

    "participant_type": {"type": "string", "x-options": [
        {"source": "decision", "decision": "consultation_tier", "output": "participant_types"},
        {"source": "decision", "decision": "consultation_venue_participants", "output": "participant_type"}]}

gets ``enum`` with the values a decision can give in that output column (its ``outputValues``,
else the distinct constant entries of the column; list entries count item by item), several
sources joined in order without repeats. ``"input": "tier_name"`` instead of ``output`` takes the
values a decision accepts in that input column (named by its expression or label): its
``inputValues``, else the literals its rules test for — the meeting forms the 三会 rules know.
Adding a department to the directory or a participant type to the DMN is then the only edit: the
form shows it and accepts it. A literal ``enum`` /
``oneOf`` beside the keyword is the fallback while a source has nothing to give.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from .forms import rewrite

__all__ = ["OPTIONS_KEY", "SOURCES", "DIRECTORY_LISTS", "Choice", "fill_options", "options_of", "options_problems",
           "decision_choices", "directory_choices"]

OPTIONS_KEY = "x-options"
SOURCES = ("directory", "decision")
DIRECTORY_LISTS = ("departments", "groups", "grids")
Choice = tuple[Any, str]  # (value stored in the case, Chinese label)
Resolve = Callable[[Mapping[str, Any]], list[Choice]]  # one source spec -> its choices


def _specs(options: Any) -> list[Mapping[str, Any]]:
    items = options if isinstance(options, list) else [options]
    return [item for item in items if isinstance(item, Mapping)]


def options_of(options: Any, resolve: Resolve) -> list[Choice]:
    """The joined choices of every source in ``options`` (a spec or a list of specs), first label wins."""
    seen: dict[Any, str] = {}
    for spec in _specs(options):
        for value, title in resolve(spec):
            seen.setdefault(value, title)
    return list(seen.items())


def _apply(schema: Mapping[str, Any], choices: list[Choice]) -> dict[str, Any]:
    out = {k: v for k, v in schema.items() if k not in ("enum", "oneOf")}
    if all(isinstance(v, str) and v == t for v, t in choices):
        out["enum"] = [v for v, _ in choices]
    else:
        out["oneOf"] = [{"const": v, "title": t} for v, t in choices]
    return out


def fill_options(schema: Any, resolve: Resolve) -> Any:
    """``schema`` with every ``x-options`` property's choices filled in by ``resolve``
    (``schema`` itself when nothing is filled)."""

    def fill(node: Mapping[str, Any]) -> Mapping[str, Any]:
        choices = options_of(node[OPTIONS_KEY], resolve)
        return _apply(node, choices) if choices else node

    return rewrite(schema, OPTIONS_KEY, fill)


def directory_choices(directory: Any, name: str, region: str = "") -> list[Choice]:
    """Departments (code → name) or groups (code → name) of the organisation directory, or the
    general grids (region path → 社区 + 网格 name) inside ``region``, the case's (a street's grids)."""
    if directory is None:
        return []
    if name == "departments":
        return [(d.code, d.name) for d in directory.departments.values()]
    if name == "groups":
        return list(directory.groups.items())
    if name == "grids":
        return _grids_in(directory, region)
    return []


def _grids_in(directory: Any, region: str) -> list[Choice]:
    """General grids (not micro-grids, not dedicated overlays: a case's primary region) under ``region``."""
    from ..grid import NoGridData, of as grid_of
    from ..security.identity import region_contains

    try:
        grids = grid_of(directory)
    except NoGridData:
        return []
    out = []
    for unit in grids.of_level("grid"):
        if unit.dedicated or not region or not region_contains(region, unit.path):
            continue
        community = grids.unit(unit.parent or "")
        out.append((unit.path, f"{community.name} {unit.name}" if community else unit.name))
    return out


def _flat(value: Any) -> list[Any]:
    return [v for item in value for v in _flat(item)] if isinstance(value, list) else [value]


def decision_choices(model: Any, decision_id: str, output: str | None, *, input_column: str | None = None) -> list[Choice]:
    """The values a decision table's output column can give (or, with ``input_column``, the values
    its input column accepts), as (value, value) choices."""
    from ..rules.values import to_json

    decision = model.decisions.get(decision_id) if model is not None else None
    table = getattr(decision, "logic", None)
    if input_column is not None:
        return _input_choices(table, input_column)
    clauses = [o for o in getattr(table, "outputs", []) if output in (o.name, o.key)]
    if not clauses:
        return []
    column = table.outputs.index(clauses[0])
    if clauses[0].values:
        values = [to_json(v) for v in clauses[0].values]
    else:
        values = [to_json(rule.outputs[column].value) for rule in table.rules
                  if column < len(rule.outputs) and rule.outputs[column].const]
    flat = [v for value in values for v in _flat(value) if v is not None]
    return [(v, str(v)) for v in dict.fromkeys(flat)]


def _input_choices(table: Any, name: str) -> list[Choice]:
    """What an input column accepts: its ``inputValues`` literals, else the literals its rules test for."""
    from ..rules.values import to_json

    inputs = list(getattr(table, "inputs", []))
    found = [i for i, clause in enumerate(inputs) if name in (clause.expression_text, clause.label, clause.id)]
    if not found:
        return []
    column = found[0]
    if inputs[column].values is not None:
        literals = list(inputs[column].values.literals)
    else:
        literals = [v for rule in table.rules if column < len(rule.tests) for v in rule.tests[column].literals]
    values = [to_json(v) for v in literals if v is not None]
    return [(v, str(v)) for v in dict.fromkeys(values)]


def options_problems(form: Any, decisions: Mapping[str, Any], path: str = "") -> list[str]:
    """What is wrong with a form's ``x-options`` (for definition checks), in Chinese.

    ``decisions`` maps the decision ids of the same deployment to their models; a decision
    deployed on its own is resolved when the form is served, so only a known one is checked."""
    problems: list[str] = []
    if isinstance(form, list):
        for i, item in enumerate(form):
            problems.extend(options_problems(item, decisions, f"{path}[{i}]"))
        return problems
    if not isinstance(form, Mapping):
        return problems
    if OPTIONS_KEY in form:
        problems.extend(_spec_problems(form[OPTIONS_KEY], decisions, path or "表单"))
    for key, value in form.items():
        if key != OPTIONS_KEY:
            problems.extend(options_problems(value, decisions, f"{path}.{key}" if path else key))
    return problems


def _spec_problems(options: Any, decisions: Mapping[str, Any], where: str) -> list[str]:
    specs: Sequence[Any] = options if isinstance(options, list) else [options]
    problems = []
    for spec in specs:
        if not isinstance(spec, Mapping) or spec.get("source") not in SOURCES:
            problems.append(f"属性 {where} 的 {OPTIONS_KEY} 来源无效：应为 {{\"source\": \"directory\" 或 \"decision\", …}}")
        elif spec["source"] == "directory" and spec.get("list") not in DIRECTORY_LISTS:
            problems.append(f"属性 {where} 的 {OPTIONS_KEY} 引用了未知的名录列表 {spec.get('list')!r}；"
                            f"可用：{'、'.join(DIRECTORY_LISTS)}")
        elif spec["source"] == "decision":
            problems.extend(_decision_problems(spec, decisions, where))
    return problems


def _decision_problems(spec: Mapping[str, Any], decisions: Mapping[str, Any], where: str) -> list[str]:
    decision_id, output, column = spec.get("decision"), spec.get("output"), spec.get("input")
    if not isinstance(decision_id, str) or not isinstance(output if column is None else column, str):
        return [f"属性 {where} 的 {OPTIONS_KEY} 需要写明决策（decision）和输出列（output）或输入列（input）"]
    if decision_id not in decisions:
        return []
    if not decision_choices(decisions[decision_id], decision_id, output, input_column=column):
        which = f"输出列 {output!r}" if column is None else f"输入列 {column!r}"
        return [f"属性 {where} 的 {OPTIONS_KEY} 引用的决策 {decision_id} 没有可作选项的{which}"]
    return []
