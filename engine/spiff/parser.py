"""SpiffWorkflow's parser, with business-rule tasks evaluated by Gongzhi's DMN engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from ..definitions.xmlindex import NS

if TYPE_CHECKING:  # pragma: no cover
    from ..rules import DmnModel

__all__ = ["GongzhiParser", "DecisionCall", "BINDINGS"]


BINDINGS = ("latest", "deployment")  # property ``decisionBinding`` of a business-rule task


class DecisionCall:
    """Stands where SpiffWorkflow expects its DMN engine; evaluates with ``gongzhi.rules``.

    Which version it evaluates is decided when the task runs (``binding``): ``latest``, the
    default, is the version in force for the case's region at that moment (a street's own table
    first), as the script engine resolves it; ``deployment`` is the table deployed with the
    process version (``model``). The decision's result goes to the task data under
    ``result_variable`` (property ``resultVariable``, default: the decision id); the evaluation
    is reported to the script engine so the runtime can audit it, with the version it used.
    """

    def __init__(self, model: "DmnModel", decision_id: str, result_variable: str, source: str,
                 binding: str = "latest") -> None:
        self.model = model
        self.decision_id = decision_id
        self.result_variable = result_variable
        self.source = source  # "file@sha256" of the table deployed with the process
        self.binding = binding

    def result(self, my_task: Any) -> dict[str, Any]:
        script_engine = my_task.workflow.script_engine
        resolve = getattr(script_engine, "resolve_decision", None)
        bound = resolve(self) if resolve is not None and self.binding == "latest" else None
        if bound is not None and not self.fits(bound.model):
            bound = None  # its outputs are not the ones this process reads: keep the table it came with
        model = bound.model if bound is not None else self.model
        # The engine's clock for now()/today() and its configured limits, where the script engine has them.
        clock = getattr(script_engine, "now", None)
        outcome = model.evaluate(self.decision_id, my_task.data, limits=getattr(script_engine, "rule_limits", None),
                                 now=clock() if clock else None)
        recorder = getattr(script_engine, "record_decision", None)
        if recorder is not None:
            recorder(my_task, self, outcome, bound)
        return {self.result_variable: outcome.as_dict()["result"]}


    def fits(self, model: "DmnModel") -> bool:
        """Whether ``model``'s version of the decision gives every output the deployed one gives
        (a table's output names; other decisions always fit): a newer table may add outputs or
        change rules, but one that drops or renames an output would break the process's reads."""
        return _outputs(self.model, self.decision_id) <= _outputs(model, self.decision_id)


def _outputs(model: "DmnModel", decision_id: str) -> set[str]:
    decision = model.decisions.get(decision_id)
    logic = getattr(decision, "logic", None)
    outputs = getattr(logic, "outputs", None)
    return {o.key for o in outputs} if outputs and len(outputs) > 1 else set()


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
        binding = props.get("decisionBinding") or "latest"
        if binding not in BINDINGS:
            raise ValidationException(f"决策绑定方式 '{binding}' 无效：只能是 latest（运行时最新有效版本）或 deployment"
                                      "（随流程部署的版本）", node=node, file_name="")
        return DecisionCall(model, decision_ref, props.get("resultVariable") or decision_ref, source, binding)
