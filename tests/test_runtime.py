"""The runtime API: a whole flow with save and restore at every wait state, and bad input."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Callable

import pytest

from gongzhi import (
    Conflict,
    Engine,
    FormValidationError,
    InvalidInput,
    NotAllowed,
    NotFound,
    NotSerializable,
    ScriptError,
    TaskNotOpen,
    UnknownInstance,
    UnknownProcess,
    UnknownTask,
)
from gongzhi.sandbox import SandboxError, run_script
from gongzhi.store.models import Instance

FIXTURES = Path(__file__).parent / "fixtures"


def stored(engine: Engine, instance_id: str) -> tuple[int, bytes, str]:
    with engine.db.read() as session:
        row = session.get(Instance, instance_id)
        return row.lock_version, row.state, row.status


def test_flow_with_restore_at_every_wait_state(make_engine: Callable[..., Engine], people: Any, start_vars: dict) -> None:
    first = make_engine()
    first.deploy([FIXTURES / "approval"])
    fresh = lambda: make_engine()  # noqa: E731 - a new engine has no cached specs or workflows
    inst = first.start("approval", people.clerk, start_vars, business_key="CASE-1")
    assert [t.element_id for t in inst.open_tasks] == ["review"]
    assert inst.open_tasks[0].candidate_groups == ["clerk"]
    assert inst.open_tasks[0].due_at is not None

    detail = fresh().task(inst.open_tasks[0].id, people.clerk)
    assert detail.instructions == "请审核：修路灯（2 天）"
    assert detail.form["required"] == ["approved"] and detail.data["days"] == 2

    inst = fresh().complete(detail.id, people.clerk, {"approved": True, "comment": "同意"})
    assert inst.open_tasks == [] and inst.status == "running"
    assert inst.variables["hours"] == 16 and inst.variables["notice"] == {"text": "已批准：修路灯"}

    inst = fresh().correlate("confirmation", people.leader, {"confirmed_by": "李四"}, business_key="CASE-1")
    assert [t.element_id for t in inst.open_tasks] == ["archive"]
    assert inst.open_tasks[0].candidate_groups == ["archivist"]
    assert inst.variables["confirmation"] == {"confirmed_by": "李四"}

    done = fresh().complete(inst.open_tasks[0].id, people.archivist, {"note": "归档"})
    assert done.status == "completed" and done.variables["note"] == "归档"
    history = [e["action"] for e in fresh().history(done.id, people.leader)]
    assert history == ["start", "complete", "service_call", "message", "complete", "completed"]
    call = fresh().history(done.id, people.leader)[2]
    assert (call["operator"], call["element_id"], call["params"]) == ("gongzhi.echo", "notify", {"text": "已批准：修路灯"})


def test_rejected_path_ends(engine: Engine, people: Any, start_vars: dict) -> None:
    inst = engine.start("approval", people.clerk, start_vars)
    done = engine.complete(inst.open_tasks[0].id, people.clerk, {"approved": False})
    assert done.status == "completed" and "notice" not in done.variables


def test_invalid_form_data_changes_nothing(engine: Engine, people: Any, start_vars: dict) -> None:
    inst = engine.start("approval", people.clerk, start_vars)
    before = stored(engine, inst.id)
    with pytest.raises(FormValidationError) as exc:
        engine.complete(inst.open_tasks[0].id, people.clerk, {"approved": "yes", "extra": 1})
    fields = {e["field"] for e in exc.value.errors}
    assert {"approved", "(表单)"} <= fields
    assert "是否批准" in str(exc.value)
    assert stored(engine, inst.id) == before
    assert engine.task(inst.open_tasks[0].id, people.clerk).status == "open"


def test_invalid_start_variables(engine: Engine, people: Any) -> None:
    with pytest.raises(FormValidationError) as exc:
        engine.start("approval", people.clerk, {"title": "", "days": 99, "review_within": "PT1H", "phone": "12345"})
    assert {e["field"] for e in exc.value.errors} == {"title", "days", "phone"}
    with pytest.raises(NotSerializable) as bad:
        engine.start("approval", people.clerk, {"title": "x", "days": 1, "review_within": "PT1H", "when": object()})
    assert bad.value.errors[0]["field"] == "variables.when"
    with pytest.raises(UnknownProcess):
        engine.start("no_such_process", people.clerk, {})
    assert engine.instances(people.admin).total == 0


def test_unknown_and_closed_tasks(engine: Engine, people: Any, start_vars: dict) -> None:
    with pytest.raises(UnknownTask):
        engine.complete("00000000-0000-0000-0000-000000000000", people.clerk, {})
    with pytest.raises(UnknownTask):
        engine.complete("not-a-uuid", people.clerk, {})
    inst = engine.start("approval", people.clerk, start_vars)
    task_id = inst.open_tasks[0].id
    engine.complete(task_id, people.clerk, {"approved": False})
    with pytest.raises(TaskNotOpen) as exc:
        engine.complete(task_id, people.clerk, {"approved": True})
    assert exc.value.http_status == 409 and exc.value.status == "completed"


def test_candidate_groups_and_claims(engine: Engine, people: Any, start_vars: dict) -> None:
    inst = engine.start("approval", people.clerk, start_vars)
    task_id = inst.open_tasks[0].id
    with pytest.raises(NotFound):  # no task of theirs, not a viewer: the case is not theirs to know of
        engine.complete(task_id, people.archivist, {"approved": True})
    colleague = type(people.clerk)("clerk-9", "钱七", frozenset({"clerk"}), "110105/001")
    assert engine.claim(task_id, people.clerk).assignee == "clerk-1"
    assert engine.tasks(people.clerk, mine=True).total == 1
    with pytest.raises(Conflict):
        engine.claim(task_id, colleague)
    with pytest.raises(NotAllowed):
        engine.complete(task_id, colleague, {"approved": True})
    assert engine.complete(task_id, people.clerk, {"approved": False}).status == "completed"


def test_region_scoping(engine: Engine, people: Any, start_vars: dict) -> None:
    mine = engine.start("approval", people.clerk, start_vars)
    theirs = engine.start("approval", people.other_clerk, start_vars)
    assert {t.instance_id for t in engine.tasks(people.clerk).items} == {mine.id}
    assert {t.instance_id for t in engine.tasks(people.other_clerk).items} == {theirs.id}
    assert engine.tasks(people.leader).total == 0  # the district leader sees both, but neither is a leader's task
    assert engine.tasks(people.leader, candidate_group="clerk").total == 0  # not a member of that group
    assert engine.instances(people.leader).total == 2
    assert engine.tasks(people.admin).total == 2
    with pytest.raises(UnknownInstance):
        engine.instance(theirs.id, people.clerk)
    with pytest.raises(UnknownTask):
        engine.complete(theirs.open_tasks[0].id, people.clerk, {"approved": True})
    with pytest.raises(NotAllowed):
        engine.start("approval", people.clerk, start_vars, region="110105/002")


def test_pagination(engine: Engine, people: Any, start_vars: dict) -> None:
    for _ in range(5):
        engine.start("approval", people.clerk, start_vars)
    page = engine.tasks(people.clerk, page=2, per_page=2)
    assert (page.total, len(page.items), page.page) == (5, 2, 2)
    with pytest.raises(InvalidInput):
        engine.tasks(people.clerk, per_page=0)


def test_cancel(engine: Engine, people: Any, start_vars: dict) -> None:
    inst = engine.start("approval", people.clerk, start_vars)
    with pytest.raises(NotAllowed):
        engine.cancel(inst.id, people.other_clerk.__class__("x", "x", frozenset({"clerk"}), "110105/001"), "no")
    cancelled = engine.cancel(inst.id, people.clerk, "重复提交")
    assert cancelled.status == "cancelled" and cancelled.open_tasks == []
    assert engine.task(inst.open_tasks[0].id, people.clerk).status == "cancelled"
    with pytest.raises(Conflict):
        engine.cancel(inst.id, people.clerk)


def test_message_without_waiting_instance(engine: Engine, people: Any, start_vars: dict) -> None:
    engine.start("approval", people.clerk, start_vars, business_key="B-9")
    with pytest.raises(NotFound):
        engine.correlate("confirmation", people.leader, {}, business_key="B-9")  # still at the review step
    with pytest.raises(InvalidInput):
        engine.correlate("confirmation", people.leader, {})


@pytest.fixture
def scripted(make_engine: Callable[..., Engine], tmp_path: Path) -> Callable[[str], Engine]:
    """An engine with the approval process whose script task runs ``script``."""

    def make(script: str) -> Engine:
        folder = tmp_path / "scripted"
        shutil.copytree(FIXTURES / "approval", folder)
        bpmn = folder / "approval.bpmn"
        text = bpmn.read_text(encoding="utf-8").replace('hours = days * 8\nlabel = title + "（" + str(hours) + " 小时）"', script)
        bpmn.write_text(text, encoding="utf-8")
        engine = make_engine()
        engine.deploy([folder])
        return engine

    return make


@pytest.mark.parametrize(("script", "refused"), [("import os\nhours = os.getpid()", "import"),
                                                  ("x = getattr((), '__class__')", "getattr"),
                                                  ("open('/etc/passwd').read()", "open")])
def test_escaping_scripts_are_refused_at_deploy_and_when_run(make_engine: Callable[..., Engine], tmp_path: Path,
                                                             script: str, refused: str) -> None:
    folder = tmp_path / "escape"
    shutil.copytree(FIXTURES / "approval", folder)
    bpmn = folder / "approval.bpmn"
    bpmn.write_text(bpmn.read_text(encoding="utf-8").replace('hours = days * 8\nlabel = title + "（" + str(hours) + " 小时）"',
                                                             script), encoding="utf-8")
    problems = make_engine().validate([folder])
    assert {(p.element_id, p.code) for p in problems} == {("compute", "unsafe-code")}
    assert refused in problems[0].message
    # A definition deployed before validation knew better still cannot escape when it runs.
    with pytest.raises((SandboxError, NameError)):
        run_script(script, {})


def test_dunder_escapes_are_refused_at_deploy(make_engine: Callable[..., Engine], tmp_path: Path) -> None:
    folder = tmp_path / "dunder"
    shutil.copytree(FIXTURES / "approval", folder)
    bpmn = folder / "approval.bpmn"
    bpmn.write_text(bpmn.read_text(encoding="utf-8").replace("hours = days * 8", "x = ().__class__.__base__"), encoding="utf-8")
    problems = make_engine().validate([folder])
    assert [(p.element_id, p.code) for p in problems] == [("compute", "expression")]
    assert "__class__" in problems[0].message


@pytest.mark.parametrize("script", ["hours = days / 0", "hours = undefined_name + 1"])
def test_failing_scripts_leave_the_instance_as_it_was(scripted: Callable[[str], Engine], people: Any,
                                                      start_vars: dict, script: str) -> None:
    engine = scripted(script)
    inst = engine.start("approval", people.clerk, start_vars)
    before = stored(engine, inst.id)
    with pytest.raises(ScriptError) as exc:
        engine.complete(inst.open_tasks[0].id, people.clerk, {"approved": True})
    assert exc.value.element_id == "compute" and "计算工时" in str(exc.value)
    assert stored(engine, inst.id) == before


def test_cached_and_restored_engines_agree(make_engine: Callable[..., Engine], people: Any, start_vars: dict) -> None:
    cached = make_engine(cache_size=64)
    cached.deploy([FIXTURES / "approval"])
    inst = cached.start("approval", people.clerk, start_vars, business_key="C-1")
    cached.complete(inst.open_tasks[0].id, people.clerk, {"approved": True})
    # Another engine (another process) moves the instance: the cached copy is stale and must not be used.
    other = make_engine()
    other.correlate("confirmation", people.leader, {"ok": 1}, business_key="C-1")
    view = cached.instance(inst.id, people.leader)
    assert [t.element_id for t in view.open_tasks] == ["archive"]
    done = cached.complete(view.open_tasks[0].id, people.archivist, {})
    assert done.status == "completed" and done.variables["confirmation"] == {"ok": 1}


def test_messages_correlate_by_property_values(engine: Engine, people: Any, start_vars: dict) -> None:
    first = engine.start("approval", people.clerk, {**start_vars, "case_no": "C-7"})
    second = engine.start("approval", people.clerk, {**start_vars, "case_no": "C-8"})
    for inst in (first, second):
        engine.complete(inst.open_tasks[0].id, people.clerk, {"approved": True})
    with pytest.raises(NotFound):
        engine.correlate("confirmation", people.leader, {}, correlation={"case_no": "C-9"})
    with pytest.raises(InvalidInput):
        engine.correlate("confirmation", people.leader, {}, correlation={})  # names no instance
    view = engine.correlate("confirmation", people.leader, {"case_no": "C-8", "ok": True}, correlation={"case_no": "C-8"})
    assert view.id == second.id and [t.element_id for t in view.open_tasks] == ["archive"]
    assert engine.instance(first.id, people.leader).open_tasks == []  # still waiting for its own message


def test_early_message_correlated_by_property(engine: Engine, people: Any, start_vars: dict) -> None:
    receipt = engine.send_message("confirmation", people.leader, {"case_no": "C-3"}, correlation={"case_no": "C-3"})
    assert receipt.status == "buffered"
    inst = engine.start("approval", people.clerk, {**start_vars, "case_no": "C-3"})
    view = engine.complete(inst.open_tasks[0].id, people.clerk, {"approved": True})
    assert [t.element_id for t in view.open_tasks] == ["archive"]


def test_nul_characters_are_refused_everywhere(engine: Engine, people: Any, start_vars: dict) -> None:
    with pytest.raises(NotSerializable):
        engine.start("approval", people.clerk, {**start_vars, "title": "修\x00路灯"})
    with pytest.raises(UnknownProcess):
        engine.start("appro\x00val", people.clerk, start_vars)
    with pytest.raises(UnknownTask):
        engine.complete("task\x00id", people.clerk, {})
    with pytest.raises(UnknownInstance):
        engine.instance("inst\x00", people.clerk)
    with pytest.raises(InvalidInput):
        engine.send_message("confirmation", people.clerk, {}, business_key="B\x00")


def test_deploying_needs_admin_or_the_deploy_permission(make_engine: Callable[..., Engine], people: Any) -> None:
    engine = make_engine()
    with pytest.raises(NotAllowed):
        engine.deploy([FIXTURES / "approval"], actor=people.clerk)
    deployer = type(people.clerk)("ops", "运维", frozenset(), "", frozenset({"deploy"}))
    assert engine.deploy([FIXTURES / "approval"], actor=deployer).created[0]["key"] == "approval"


def test_a_finished_instance_keeps_only_its_final_variables(engine: Engine, people: Any, start_vars: dict) -> None:
    inst = engine.start("approval", people.clerk, start_vars)
    running_size = len(stored(engine, inst.id)[1])
    done = engine.complete(inst.open_tasks[0].id, people.clerk, {"approved": False, "comment": "预算不足"})
    lock_version, state, status = stored(engine, inst.id)
    assert status == "completed" and len(state) < running_size / 3
    again = engine.instance(inst.id, people.leader)
    assert again.variables == done.variables and again.variables["comment"] == "预算不足"
    assert engine.task(inst.open_tasks[0].id, people.clerk).status == "completed"
    assert engine.verify_audit().ok
