"""The SpiffWorkflow seams: every member ``gongzhi.spiff`` overrides still exists, with the arguments we
override it with, in the installed version — which must be inside the range pyproject pins.

When SpiffWorkflow is upgraded, this test says which seam moved before any flow test fails
in an unexpected place. The flow tests (save and restore at every step, timers, messages,
multi-instance) then show the behaviour is unchanged.
"""

from __future__ import annotations

import inspect
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import (
    MultiInstanceTask,
    ParallelMultiInstanceTask,
    SequentialMultiInstanceTask,
)
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.specs.defaults import ServiceTask
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition

from gongzhi.spiff import async_tasks, codec, message_events, multi_instance, parser, script_engine, timers

ROOT = Path(__file__).resolve().parents[1]

# (SpiffWorkflow class, member, the gongzhi class that overrides it)
SEAMS = [
    (TimeDateEventDefinition, "has_fired", timers.ClockTimeDate),
    (DurationTimerEventDefinition, "has_fired", timers.ClockDuration),
    (CycleTimerEventDefinition, "cycle_complete", timers.ClockCycle),
    (ServiceTask, "_run_hook", async_tasks.AsyncServiceTask),
    (MessageEventDefinition, "calculate_correlations", message_events.Message),
    (ParallelMultiInstanceTask, "create_children", multi_instance._Capped),
    (SequentialMultiInstanceTask, "add_next_child", multi_instance._Capped),
    (PythonScriptEngine, "evaluate", script_engine.ScriptEngine),
    (PythonScriptEngine, "execute", script_engine.ScriptEngine),
    (PythonScriptEngine, "call_service", script_engine.ScriptEngine),
    (BasePythonScriptEngineEnvironment, "evaluate", None),
    (BasePythonScriptEngineEnvironment, "execute", None),
    (SpiffBpmnParser, "get_engine", parser.GongzhiParser),
    (TaskConverter, "from_dict", codec._TaskConverter),
]


def test_the_installed_spiffworkflow_is_inside_the_pinned_range() -> None:
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    spiff = next(Requirement(p) for p in pins if p.lower().startswith("spiffworkflow"))
    assert spiff.specifier.contains(version("SpiffWorkflow")), (spiff, version("SpiffWorkflow"))


@pytest.mark.parametrize(("base", "member", "ours"), SEAMS, ids=lambda v: getattr(v, "__name__", str(v)))
def test_every_overridden_member_still_exists_with_our_arguments(base: type, member: str, ours: type | None) -> None:
    theirs = getattr(base, member, None)
    assert callable(theirs), f"SpiffWorkflow's {base.__name__}.{member} is gone"
    if ours is None:
        return
    mine = inspect.signature(getattr(ours, member))
    required = [p.name for p in inspect.signature(theirs).parameters.values()
                if p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    accepted = list(mine.parameters)
    takes_any = any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in mine.parameters.values())
    assert takes_any or len(required) <= len(accepted), (
        f"{base.__name__}.{member}{inspect.signature(theirs)} needs more than {ours.__name__}.{member}{mine} accepts")


def test_the_multi_instance_cap_goes_before_spiffworkflow_in_the_method_order() -> None:
    capped = type("Probe", (multi_instance._Capped, ParallelMultiInstanceTask), {})
    assert capped.__mro__.index(multi_instance._Capped) < capped.__mro__.index(MultiInstanceTask)
    assert capped.create_children is multi_instance._Capped.create_children

