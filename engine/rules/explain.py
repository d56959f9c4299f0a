"""Explanations in Chinese: what a decision read, which rules matched, each context entry and BKM call.

``DecisionResult.explain()`` returns the lines ``gongzhi decide --explain`` prints;
the same facts, JSON-ready, are in ``DecisionResult.as_dict()["explanation"]``.
"""

from __future__ import annotations

from typing import Any

from .functions import describe_call
from .limits import TraceEntry
from .values import feel_text


def _value(value: Any) -> str:
    text = feel_text(value)
    return text if len(text) <= 120 else text[:117] + "..."


def explain(result: Any, indent: int = 0) -> list[str]:
    """Lines for one decision result and, indented, the decisions it required."""
    pad = "  " * indent
    title = f"决策 '{result.decision_id}'" + (
        f"（{result.decision_name}）" if result.decision_name and result.decision_name != result.decision_id else ""
    )
    lines = [f"{pad}{title} = {_value(result.raw_result)}"]
    if result.inputs:
        shown = "，".join(f"{k} = {_value(v)}" for k, v in result.inputs.items())
        lines.append(f"{pad}  输入：{shown}")
    if result.matches:
        for match in result.matches:
            outs = "，".join(f"{k} = {_value(v)}" for k, v in match.outputs.items())
            lines.append(f"{pad}  命中第 {match.index} 条规则（{match.rule_id}）：{outs}")
    elif result.inputs:
        lines.append(f"{pad}  没有规则命中")
    for entry in result.trace:
        lines.extend(_entry(entry, indent + 1))
    for sub in result.required:
        lines.append(f"{pad}  依赖：")
        lines.extend(explain(sub, indent + 2))
    return lines


def _entry(entry: TraceEntry, indent: int) -> list[str]:
    pad = "  " * indent
    if entry.kind == "entry":
        head = f"{pad}上下文条目 '{entry.label}' = {_value(entry.value)}"
    elif entry.kind == "call":
        what = "调用决策服务" if entry.detail.get("callee") == "service" else "调用业务知识模型"
        head = f"{pad}{what} {describe_call(entry)} → {_value(entry.value)}"
    elif entry.kind == "table":
        rules = "、".join(entry.detail.get("matched_rules") or []) or "无"
        head = f"{pad}{entry.label} 的决策表：命中规则 {rules} → {_value(entry.value)}"
    elif entry.kind == "warning":
        head = f"{pad}警告：{entry.label}：{entry.detail.get('message', '')}"
    else:
        head = f"{pad}{entry.label}"
    lines = [head]
    for child in entry.children:
        lines.extend(_entry(child, indent + 1))
    return lines
