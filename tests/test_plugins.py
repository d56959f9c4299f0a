"""Plugins: hooks, registries keyed by name, built-ins as ordinary plugins."""

from __future__ import annotations

import inspect
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import pytest

from gongzhi import ConfigurationError, Engine, InstanceEvent, ServiceCall, ServiceTask, ServiceTaskError, hookimpl
from gongzhi.hooks import specs as hookspecs
from gongzhi.hooks.manager import get_plugin_manager

FIXTURES = Path(__file__).parent / "fixtures"


def plugin(name: str, **hooks: Callable[..., Any]) -> SimpleNamespace:
    return SimpleNamespace(__name__=name, **{k: hookimpl(v) for k, v in hooks.items()})


def test_every_hook_has_a_docstring_and_the_gongzhi_prefix() -> None:
    hooks = [f for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(f, "gongzhi_spec")]
    assert hooks
    for hook in hooks:
        assert hook.__name__.startswith("gongzhi_") and hook.__doc__ and "\n" not in hook.__doc__.strip()


def test_builtins_are_plugins_and_can_be_disabled() -> None:
    pm = get_plugin_manager()
    assert pm.has_plugin("gongzhi.builtin_services") and pm.has_plugin("gongzhi.calendar")
    assert not get_plugin_manager(disable=["gongzhi.builtin_services"]).has_plugin("gongzhi.builtin_services")


def test_duplicate_service_names_fail_at_start_naming_both(make_engine: Callable[..., Engine]) -> None:
    echo = plugin("sms_plugin", gongzhi_register_service_tasks=lambda: [ServiceTask("gongzhi.echo", lambda c: None)])
    with pytest.raises(ConfigurationError) as exc:
        make_engine(plugins=[echo])
    assert "gongzhi.builtin_services" in str(exc.value) and "sms_plugin" in str(exc.value)


def test_the_same_plugin_twice_is_refused(make_engine: Callable[..., Engine]) -> None:
    p = plugin("twice", gongzhi_register_service_tasks=lambda: [])
    with pytest.raises(ConfigurationError):
        make_engine(plugins=[p, SimpleNamespace(__name__="twice")])


@pytest.fixture
def with_sms(make_engine: Callable[..., Engine], tmp_path: Path) -> Callable[[Callable[[ServiceCall], Any]], Engine]:
    """The approval process whose notification goes through a plugin's ``sms.send``."""

    def make(handler: Callable[[ServiceCall], Any]) -> Engine:
        folder = tmp_path / "sms"
        shutil.copytree(FIXTURES / "approval", folder)
        bpmn = folder / "approval.bpmn"
        bpmn.write_text(bpmn.read_text(encoding="utf-8").replace('id="gongzhi.echo"', 'id="sms.send"'), encoding="utf-8")
        sms = plugin("sms", gongzhi_register_service_tasks=lambda: [ServiceTask("sms.send", handler, "发短信")])
        engine = make_engine(plugins=[sms])
        engine.deploy([folder])
        return engine

    return make


def test_service_task_handler_gets_parameters(with_sms: Callable[..., Engine], people: Any, start_vars: dict) -> None:
    calls: list[ServiceCall] = []
    engine = with_sms(lambda call: calls.append(call) or {"sent": True, "to": call.params["text"]})
    inst = engine.start("approval", people.clerk, start_vars)
    view = engine.complete(inst.open_tasks[0].id, people.clerk, {"approved": True})
    assert view.variables["notice"] == {"sent": True, "to": "已批准：修路灯"}
    assert calls[0].instance_id == inst.id and calls[0].element_id == "notify" and calls[0].data["hours"] == 16


def test_failing_service_task_names_element_and_changes_nothing(with_sms: Callable[..., Engine], people: Any,
                                                                start_vars: dict) -> None:
    def broken(call: ServiceCall) -> Any:
        raise RuntimeError("短信网关超时")

    engine = with_sms(broken)
    inst = engine.start("approval", people.clerk, start_vars)
    with pytest.raises(ServiceTaskError) as exc:
        engine.complete(inst.open_tasks[0].id, people.clerk, {"approved": True})
    assert exc.value.element_id == "notify" and "短信网关超时" in str(exc.value)
    assert engine.tasks(people.clerk).total == 1


def test_instance_events_are_broadcast_after_commit(make_engine: Callable[..., Engine], people: Any, start_vars: dict) -> None:
    seen: list[InstanceEvent] = []
    engine = make_engine(plugins=[plugin("observer", gongzhi_instance_event=lambda event: seen.append(event))])
    engine.deploy([FIXTURES / "approval"])
    inst = engine.start("approval", people.clerk, start_vars)
    engine.complete(inst.open_tasks[0].id, people.clerk, {"approved": False})
    assert [(e.kind, e.element_id) for e in seen] == [("start", None), ("complete", "review")]
    with pytest.raises(Exception):
        engine.start("approval", people.clerk, {})  # invalid: nothing is broadcast for it
    assert len(seen) == 2


def test_definition_paths_hook(make_engine: Callable[..., Engine]) -> None:
    extra = plugin("extra_defs", gongzhi_definition_paths=lambda: [str(FIXTURES / "timers")])
    engine = make_engine(plugins=[extra])
    assert FIXTURES / "timers" in engine.definition_paths()


def _hook_names() -> list[str]:
    return sorted(n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(f, "gongzhi_spec"))


def test_every_hook_is_documented_in_the_readme_and_exercised_by_a_test() -> None:
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    tests = [p.read_text(encoding="utf-8") for p in (root / "tests").rglob("*.py")]
    tests += [p.read_text(encoding="utf-8") for p in (root / "features").rglob("*.py")]
    for name in _hook_names():
        assert f"| `{name}` |" in readme, f"{name} is missing from the README's table of hooks"
        assert any(name in text for text in tests), f"no test implements or calls {name}"


def test_every_hook_is_typed() -> None:
    for name in _hook_names():
        spec = getattr(hookspecs, name)
        annotations = {**spec.__annotations__}
        assert "return" in annotations, name
        assert all("Any" not in str(a) for a in annotations.values()), f"{name} is typed Any: {annotations}"
