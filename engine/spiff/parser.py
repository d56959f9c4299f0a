"""SpiffWorkflow's parser, with business-rule tasks evaluated by Gongzhi's DMN engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from ..definitions.xmlindex import NS

if TYPE_CHECKING:  # pragma: no cover
    from ..rules import DmnModel

__all__ = ["GongzhiParser", "DecisionCall"]


class DecisionCall:
    """Stands where SpiffWorkflow expects its DMN engine; evaluates with ``gongzhi.rules``.

    The decision's result goes to the task data under ``result_variable``
    (property ``resultVariable``, default: the decision id); the evaluation is
    reported to the script engine so the runtime can audit it.
    """

    def __init__(self, model: "DmnModel", decision_id: str, result_variable: str, source: str) -> None:
        self.model = model
        self.decision_id = decision_id
        self.result_variable = result_variable
        self.source = source  # "file@sha256", for the audit trail

    def result(self, my_task: Any) -> dict[str, Any]:
        # The engine's clock for now()/today() and its configured limits, where the script engine has them.
        script_engine = my_task.workflow.script_engine
        clock = getattr(script_engine, "now", None)
        outcome = self.model.evaluate(self.decision_id, my_task.data, limits=getattr(script_engine, "rule_limits", None),
                                      now=clock() if clock else None)
        recorder = getattr(script_engine, "record_decision", None)
        if recorder is not None:
            recorder(my_task, self, outcome)
        return {self.result_variable: outcome.as_dict()["result"]}


class GongzhiParser(SpiffBpmnParser):
    """A parser that knows the deployed DMN models instead of SpiffWorkflow's."""

    def __init__(self, decisions: dict[str, tuple["DmnModel", str]]) -> None:
        super().__init__(validator=None)
        self.decisions = decisions

    def get_engine(self, decision_ref: str, node: Any) -> DecisionCall:
        if decision_ref not in self.decisions:
            known = ", ".join(sorted(self.decisions)) or "（无）"
            raise ValidationException(f"找不到决策 '{decision_ref}'；已有决策：{known}", node=node, file_name="")
        model, source = self.decisions[decision_ref]
        props = {
            p.get("name"): p.get("value")
            for p in node.findall("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)
        }
        return DecisionCall(model, decision_ref, props.get("resultVariable") or decision_ref, source)
