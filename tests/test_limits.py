"""Bounded work wherever definitions or data run (issue 14): timers and due dates, scripts and
expressions, validation, engine steps, multi-instance counts, instructions templates, deadlines.

Engine-level tests run the real engine on the real database with the fixtures in
``fixtures/limits``; each runaway must fail with its limit error and leave the
instance exactly as it was. Tight limits are set through configuration, so the
runaways are small and the tests fast.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import pytest
from sqlalchemy import func, select
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from gongzhi import Actor, ConfigurationError, Engine, InvalidInput, LimitExceeded, MovableClock, bpmn_package_path
from gongzhi.config import Config
from gongzhi.definitions.sources import SourceFile
from gongzhi.errors import DeadlineExceeded, FormValidationError
from gongzhi.spiff.iso8601 import Duration, ISOFormatError, parse_datetime, parse_duration, parse_recurrence
from gongzhi.limits import Budget, Limits, command_budget, current_budget
from gongzhi.sandbox import RESERVED, SandboxError, inspect_source, run_expression, run_script
from gongzhi.sandbox.templates import check_template, render_instructions
from gongzhi.store.models import Instance, Job, TaskRow
from gongzhi.spiff.timers import Where, cycle_plan, duration_due, moment_due

FIXTURES = Path(__file__).parent / "fixtures"
LIMITS = FIXTURES / "limits"
NOW = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)
SCRIPT = "result = n + 1"
TIMER_VARS = {"wait_for": "PT1H", "remind_every": "R3/PT1H", "wait_until": "2026-11-03T09:00:00+08:00", "size": 1}
SCRIPT_VARS = {"title": "修路灯", "n": 1, "count": 0, "target": 3, "due_in": "PT2H"}


# --- helpers --------------------------------------------------------------------------------


def counts(engine: Engine) -> tuple[int, int, int]:
    """(instances, task rows, jobs): what a failed start must not have written."""
    with engine.db.read() as session:
        return tuple(session.scalar(select(func.count()).select_from(t)) for t in (Instance, TaskRow, Job))


def stored(engine: Engine, instance_id: str) -> tuple[int, bytes, str]:
    with engine.db.read() as session:
        row = session.get(Instance, instance_id)
        return row.lock_version, row.state, row.status


def variant(tmp_path: Path, file: str = "limits_script.bpmn", **replace: str) -> Path:
    """A copy of the limits fixtures with text in ``file`` replaced (keyword: old=new pairs as a dict)."""
    folder = tmp_path / "limits"
    if not folder.exists():
        shutil.copytree(LIMITS, folder)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return folder


def with_script(tmp_path: Path, script: str) -> Path:
    return variant(tmp_path, **{SCRIPT: script.replace("<", "&lt;")})


@pytest.fixture
def limited(make_engine: Callable[..., Engine]) -> Callable[..., Engine]:
    """An engine with the limits fixtures (or ``folder``) deployed and ``limit_*`` options set."""

    def make(folder: Path = LIMITS, **limits: Any) -> Engine:
        engine = make_engine(**{f"limit_{k}": v for k, v in limits.items()})
        engine.deploy([folder])
        return engine

    return make


def where(element: str = "t") -> Where:
    return Where(element, "计时器测试")


# --- 1, 4: ISO 8601 values, parsed strictly and computed in O(1) --------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("PT1H", Duration(hours=1)), ("P3D", Duration(days=3)), ("P1Y2M3DT4H5M6S", Duration(1, 2, 0, 3, 4, 5, 6)),
    ("P2W", Duration(weeks=2)), ("PT0.5S", Duration(seconds=0.5)), ("P1,5D", Duration(days=1.5)), ("pt30m", Duration(minutes=30)),
    ("PT0S", Duration()),
])
def test_durations_parse(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["P", "PT", "-P1D", "+P1D", "P1DT", "PT1D", "P1H", "P1.5Y2M", "P1D2H", "1D", "", " ", "PXD",
                                  "R5/PT1H", "P1Y1Y"])
def test_malformed_durations_are_refused(text: str) -> None:
    with pytest.raises(ISOFormatError):
        parse_duration(text)


@pytest.mark.parametrize(("text", "start"), [
    ("P1M", datetime(2026, 1, 31, tzinfo=timezone.utc)), ("P1Y2M3DT4H5M6S", NOW), ("P13M", NOW), ("P2W", NOW),
    ("P1M", datetime(2028, 2, 29, 12, tzinfo=timezone.utc)), ("PT90M", NOW),
])
def test_month_arithmetic_matches_spiffworkflow(text: str, start: datetime) -> None:
    """Due times stay what SpiffWorkflow computed for the same values (a month is the start month's length)."""
    spiff = start + TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(text), start)
    assert parse_duration(text).after(start) == spiff


def test_huge_durations_are_refused_without_being_computed() -> None:
    limits = Limits()
    for text in ("P99999999Y", "P" + "9" * 12 + "Y", "P" + "9" * 40 + "Y", "P11Y", "PT" + "9" * 12 + "S"):
        with pytest.raises(LimitExceeded) as exc:
            duration_due(text, NOW, limits, where())
        assert exc.value.limit == "max_duration" and exc.value.element_id == "t" and text[:20] in str(exc.value)
    assert duration_due("P10Y", NOW, limits, where()) == datetime(2036, 11, 2, 1, 0, tzinfo=timezone.utc)
    assert duration_due("P2Y", NOW, Limits(max_duration=Duration(years=3)), where()).year == 2028


@pytest.mark.parametrize("text", ["P", "PT", "-P1D", "P1DT", "xyz", ""])
def test_bad_durations_name_the_element_and_the_value(text: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        duration_due(text, NOW, Limits(), where("review_timeout"))
    assert exc.value.element_id == "review_timeout" and f"'{text}'" in str(exc.value) and "计时器测试" in str(exc.value)


def test_date_times() -> None:
    assert parse_datetime("2027-01-04T09:00:00+08:00") == datetime(2027, 1, 4, 1, 0, tzinfo=timezone.utc)
    assert parse_datetime("2027-W01-1T09:00:00Z") == datetime(2027, 1, 4, 9, 0, tzinfo=timezone.utc)
    assert parse_datetime("2027-01-04T09:00:00", naive=timezone.utc) == datetime(2027, 1, 4, 9, 0, tzinfo=timezone.utc)
    with pytest.raises(ISOFormatError):
        parse_datetime("明天上午")
    with pytest.raises(LimitExceeded) as exc:
        moment_due("9999-12-31T00:00:00Z", NOW, Limits(), where())
    assert exc.value.limit == "max_duration"
    assert moment_due("2020-01-01T00:00:00Z", NOW, Limits(), where()).year == 2020  # past: fires at once


@pytest.mark.parametrize(("text", "plan"), [
    ("R5/PT1H", {"cycles": 5, "next": "2026-11-02T02:00:00+00:00", "duration": 3600.0}),
    ("R/P3M", {"cycles": 1000, "next": "2027-02-02T01:00:00+00:00", "duration": 92 * 86400.0}),
    ("R/2027-01-04T09:00:00+08:00/P3M", {"cycles": 1000, "next": "2027-01-04T01:00:00+00:00", "duration": 90 * 86400.0}),
    ("R3/PT1H/2027-01-04T09:00:00Z", {"cycles": 3, "next": "2027-01-04T08:00:00+00:00", "duration": 3600.0}),
    ("R2/2027-01-04T09:00:00Z/2027-01-05T09:00:00Z", {"cycles": 2, "next": "2027-01-04T09:00:00+00:00", "duration": 86400.0}),
    ("R2--PT2H", {"cycles": 2, "next": "2026-11-02T03:00:00+00:00", "duration": 7200.0}),
])
def test_cycles_are_planned_as_spiffworkflow_stores_them(text: str, plan: dict) -> None:
    """An unbounded ``R/`` repeats ``max_repetitions`` (1000) times."""
    assert cycle_plan(text, NOW, Limits(), where()) == plan


@pytest.mark.parametrize(("text", "limit"), [
    ("R/PT0S", "min_cycle_seconds"), ("R/PT59S", "min_cycle_seconds"), ("R/P99999999Y", "max_duration"),
    ("R1001/PT1H", "max_repetitions"), ("R" + "9" * 30 + "/PT1H", "max_repetitions"),
    ("R/9999-01-01T00:00:00Z/PT1H", "max_duration"), ("R/2027-01-05T09:00:00Z/2027-01-04T09:00:00Z", "min_cycle_seconds"),
])
def test_excessive_cycles_are_refused(text: str, limit: str) -> None:
    with pytest.raises(LimitExceeded) as exc:
        cycle_plan(text, NOW, Limits(), where("remind"))
    assert exc.value.limit == limit and exc.value.element_id == "remind"


@pytest.mark.parametrize("text", ["R0/PT1H", "R/PT1H/PT2H", "X/PT1H", "R5", "R-1/PT1H", "R/P", "R/2027-01-04T09:00:00Z"])
def test_malformed_cycles_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        cycle_plan(text, NOW, Limits(), where())
    if text != "R0/PT1H":
        with pytest.raises(ISOFormatError):
            parse_recurrence(text)


# --- 1, 4: timers and due dates in the engine ---------------------------------------------------------


@pytest.mark.parametrize(("field", "value", "error", "element", "limit"), [
    ("wait_for", "P99999999Y", LimitExceeded, "timeout", "max_duration"),
    ("wait_for", "P11Y", LimitExceeded, "timeout", "max_duration"),
    ("wait_for", "P", InvalidInput, "timeout", None),
    ("wait_for", "PT", InvalidInput, "timeout", None),
    ("wait_for", "-P1D", InvalidInput, "timeout", None),
    ("remind_every", "R/PT0S", LimitExceeded, "remind", "min_cycle_seconds"),
    ("remind_every", "R/P99999999Y", LimitExceeded, "remind", "max_duration"),
    ("remind_every", "R5000/PT1H", LimitExceeded, "remind", "max_repetitions"),
    ("wait_until", "9999-01-01T00:00:00Z", LimitExceeded, "deadline", "max_duration"),
    ("wait_until", "下周一", InvalidInput, "deadline", None),
])
def test_timer_values_from_data_fail_the_command_and_store_nothing(limited: Callable[..., Engine], people: Any, field: str,
                                                                   value: str, error: type, element: str,
                                                                   limit: str | None) -> None:
    engine = limited()
    with pytest.raises(error) as exc:
        engine.start("limits_timers", people.clerk, {**TIMER_VARS, field: value})
    assert exc.value.element_id == element and value in str(exc.value)
    assert getattr(exc.value, "limit", None) == limit
    assert counts(engine) == (0, 0, 0)
    assert len(engine.start("limits_timers", people.clerk, TIMER_VARS).open_tasks) == 1  # the worker is fine


@pytest.mark.parametrize(("value", "error"), [("P99999999Y", LimitExceeded), ("P", InvalidInput)])
def test_the_approval_review_limit_from_the_report(engine: Engine, people: Any, start_vars: dict, value: str,
                                                   error: type) -> None:
    """The attack-minded test's finding: ``review_within: "P99999999Y"`` passed the form's ``^P``."""
    with pytest.raises(error) as exc:
        engine.start("approval", people.clerk, {**start_vars, "review_within": value})
    assert exc.value.element_id == "review_timeout"
    assert counts(engine) == (0, 0, 0)


@pytest.mark.parametrize("cycle", ["R/P99999999Y", "R/PT0S"])
def test_the_bundled_schedule_form_cannot_start_a_runaway_cycle(make_engine: Callable[..., Engine], cycle: str) -> None:
    # The form offers 每月/每季度/每半年/每年 only: an ISO interval typed in is a field error, nothing is stored.
    engine = make_engine()
    engine.deploy([bpmn_package_path() / "whistle", bpmn_package_path() / "property"])
    board = Actor.of("hb", "区住建局", ["housing_bureau"], "990101")
    with pytest.raises(FormValidationError) as exc:
        engine.start("property_schedule", board, {"review_cycle": "季度", "cycle": cycle}, region="990101")
    assert "发起周期" in exc.value.message and "每季度" in exc.value.message
    assert counts(engine)[0] == 0


def test_an_unbounded_cycle_repeats_max_repetitions_times(limited: Callable[..., Engine], clock: MovableClock,
                                                          people: Any) -> None:
    engine = limited(max_repetitions=2)
    inst = engine.start("limits_timers", people.clerk, {**TIMER_VARS, "remind_every": "R/PT1H", "wait_for": "P30D",
                                                         "wait_until": "2026-12-01T00:00:00Z"})
    fired = []
    for _ in range(4):
        clock.advance(hours=1)
        fired.append(engine.fire_due_timers())
    assert fired == [1, 1, 0, 0]
    history = [e["element_id"] for e in engine.history(inst.id, people.clerk) if e["action"] == "timer"]
    assert history == ["remind", "remind"]


@pytest.mark.parametrize(("due_in", "error"), [("P99999999Y", LimitExceeded), ("P", InvalidInput), ("2999-01-01", LimitExceeded)])
def test_due_dates_are_checked_like_timers(limited: Callable[..., Engine], people: Any, due_in: str, error: type) -> None:
    engine = limited()
    with pytest.raises(error) as exc:
        engine.start("limits_script", people.clerk, {**SCRIPT_VARS, "due_in": due_in})
    assert exc.value.element_id == "prepare" and "dueDateExpression" in str(exc.value)
    assert counts(engine) == (0, 0, 0)


def test_due_dates_still_work(limited: Callable[..., Engine], clock: MovableClock, people: Any) -> None:
    engine = limited()
    inst = engine.start("limits_script", people.clerk, SCRIPT_VARS)
    assert inst.open_tasks[0].due_at == clock.now() + timedelta(hours=2)
    inst = engine.start("limits_script", people.clerk, {**SCRIPT_VARS, "due_in": "2026-11-09T09:00:00+08:00"})
    assert inst.open_tasks[0].due_at == datetime(2026, 11, 9, 1, 0, tzinfo=timezone.utc)


LEGACY = FIXTURES / "legacy" / "v0_1.sqlite3"


@pytest.mark.skipif(not LEGACY.exists(), reason="tests/fixtures/legacy/v0_1.sqlite3 is built by build.py (see there)")
def test_timers_saved_by_the_legacy_engine_still_fire(tmp_path: Path) -> None:
    copy = tmp_path / "legacy.sqlite3"
    shutil.copy(LEGACY, copy)
    clock = MovableClock(datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc))
    engine = Engine({"database_url": f"sqlite:///{copy}", "cache_size": 0}, clock=clock)
    try:
        engine.upgrade_db()
        admin = Actor.of("admin", "管理员", ["admin"], "")

        def waiting(key: str) -> list[str]:
            [inst] = engine.instances(admin, business_key=key).items
            return [t.element_id for t in engine.instance(inst.id, admin).open_tasks]

        assert waiting("L-REVIEW") == ["review"]
        clock.advance(hours=2)  # the review's boundary timer (PT1H) is due
        assert engine.fire_due_timers() >= 1
        assert waiting("L-REVIEW") == ["escalated"]
        clock.set(datetime(2026, 11, 5, 1, 0, tzinfo=timezone.utc))  # three working days: the notice period ends
        engine.fire_due_timers()
        assert waiting("L-REMINDER") == ["handle"]
        clock.advance(hours=1)
        assert engine.fire_due_timers() == 1  # the cycle timer created now fires by the new code's rules
    finally:
        engine.close()


# --- 2: scripts and expressions with a budget ---------------------------------------------------------


@pytest.mark.parametrize(("script", "limit", "options"), [
    ("total = 0\nfor i in range(n):\n    total = total + i", "script_iterations", {"script_iterations": 1000}),
    ("k = 0\nwhile k < n:\n    k = k + 1", "script_iterations", {"script_iterations": 1000}),
    ("result = [i * 2 for i in range(n)]", "script_iterations", {"script_iterations": 1000}),
    ("def f(m):\n    return f(m - 1) + f(m - 1) if m > 0 else 1\nresult = f(min(n, 30))", "script_iterations",
     {"script_iterations": 1000}),
    ("result = 'x' * n", "sequence_size", {"sequence_size": 1000}),
    ("result = 'x'.ljust(n)", "sequence_size", {"sequence_size": 1000}),
    ("result = f'{n:>{n}}'", "sequence_size", {"sequence_size": 1000}),
    ("result = 9 ** n", "int_bits", {"int_bits": 1000}),
    ("result = math.factorial(n)", "int_bits", {"int_bits": 1000}),
    ("result = list(range(n))", "sequence_size", {"sequence_size": 1000}),
    ("s = 'ab'\nfor i in range(min(n, 20)):\n    s = s + s\nresult = len(s)", "sequence_size", {"sequence_size": 1000}),
    ("result = []\nfor i in range(n):\n    result.append(title)", "data_size", {"data_size": 1000}),
])
def test_runaway_scripts_fail_at_their_limit_and_leave_the_instance_as_it_was(
        limited: Callable[..., Engine], tmp_path: Path, people: Any, script: str, limit: str, options: dict) -> None:
    engine = limited(with_script(tmp_path, script), **options)
    inst = engine.start("limits_script", people.clerk, SCRIPT_VARS)
    before = stored(engine, inst.id)
    with pytest.raises(LimitExceeded) as exc:
        engine.complete(inst.open_tasks[0].id, people.clerk, {"n": 5000})
    assert exc.value.limit == limit and exc.value.element_id == "work" and "计算" in str(exc.value)
    assert f"（{limit}）" in str(exc.value)
    assert stored(engine, inst.id) == before
    assert [t.element_id for t in engine.tasks(people.clerk, instance_id=inst.id).items] == ["prepare"]
    done = engine.complete(inst.open_tasks[0].id, people.clerk, {"n": 3})  # the same script within its limits
    assert [t.element_id for t in done.open_tasks] == ["review"]


def test_a_runaway_loop_stops_at_the_command_deadline(limited: Callable[..., Engine], tmp_path: Path, people: Any) -> None:
    engine = limited(with_script(tmp_path, "k = 0\nwhile k < n:\n    k = k + 1"), command_deadline_seconds=0.05,
                     script_iterations=10**12)
    inst = engine.start("limits_script", people.clerk, SCRIPT_VARS)
    before = stored(engine, inst.id)
    with pytest.raises(DeadlineExceeded) as exc:
        engine.complete(inst.open_tasks[0].id, people.clerk, {"n": 10**10})
    assert exc.value.limit == "command_deadline_seconds" and exc.value.element_id == "work"
    assert stored(engine, inst.id) == before


def test_the_worker_survives_a_runaway_timer_path(limited: Callable[..., Engine], clock: MovableClock, people: Any) -> None:
    engine = limited(sequence_size=100)
    inst = engine.start("limits_timers", people.clerk, {**TIMER_VARS, "size": 1000, "remind_every": "R1/P30D",
                                                         "wait_until": "2026-12-01T00:00:00Z"})
    before = stored(engine, inst.id)
    clock.advance(hours=1)
    assert engine.run_due_jobs() == 0  # the timer's job failed and waits for its retry; nothing raised
    with engine.db.read() as session:
        job = session.scalars(select(Job).where(Job.instance_id == inst.id, Job.element_id == "timeout")).one()
        assert (job.status, job.attempts) == ("pending", 1) and "sequence_size" in job.last_error
    assert stored(engine, inst.id) == before
    other = engine.start("limits_timers", people.clerk, TIMER_VARS)
    assert engine.complete(other.open_tasks[0].id, people.clerk, {}).status == "completed"


def test_guards_stop_what_scripts_ask_for() -> None:
    limits = Limits(script_iterations=10_000)
    runaways = {
        "while True:\n    pass": "script_iterations",
        "x = 9 ** 9 ** 9": "int_bits",
        "x = 'x' * 10 ** 10": "sequence_size",
        "x = [0] * 10 ** 10": "sequence_size",
        "x = [[0] * 1000] * 10000": "sequence_size",
        "x = pow(9, 10 ** 8)": "int_bits",
        "x = 1 << 10 ** 9": "int_bits",
        "s = [1]\nfor i in range(100):\n    s = [*s, *s]": "sequence_size",
        "s = [1]\nfor i in range(100):\n    s.extend(s)": "sequence_size",
        "s = 'x'\nfor i in range(100):\n    s += s": "sequence_size",
        "x = str.center('a', 10 ** 10)": "sequence_size",
        "x = ('a' * 1000).replace('a', 'b' * 10000)": "sequence_size",
        "x = ','.join(['a' * 1000] * 2000)": "sequence_size",
        "x = ('\\t' * 1000).expandtabs(100000)": "sequence_size",
        "x = '1'.zfill(10 ** 9)": "sequence_size",
        "x = ('a' * 10000).translate({97: 'b' * 10000})": "sequence_size",
        "x = f'{1.0:.1000000000f}'": "sequence_size",
        "x = '%*d' % (10 ** 9, 1)": "sequence_size",
        "x = '%1000000000d' % 1": "sequence_size",
        "x = math.comb(10 ** 7, 5 * 10 ** 6)": "int_bits",
        "x = math.perm(10 ** 7, 10 ** 6)": "int_bits",
        "x = math.prod([10 ** 100] * 1000)": "int_bits",
        "x = bytes(10 ** 10)": "sequence_size",
        "x = sum([[1] * 1000] * 2000, [])": "sequence_size",
        "s = 'x' * 10 ** 5\nx = str([s] * 10 ** 2)": "sequence_size",
        "s = 'x' * 10 ** 5\nl = []\nfor i in range(100):\n    l.append(s)\nx = repr(l)": "sequence_size",
        "s = 'x' * 10 ** 5\nl = []\nfor i in range(100):\n    l.append(s)\nx = f'{l}'": "sequence_size",
        "f = lambda m: f(m - 1) + f(m - 1) if m else 1\nx = f(60)": "script_iterations",
        "x = int(Decimal('1e999999'))": "int_bits",
        "x = math.floor(Decimal('1e999999'))": "int_bits",
        "x = '%d' % Decimal('1e999999')": "int_bits",
        "def g():\n    while True:\n        yield 1\nx = sum(g())": "script_iterations",
    }
    for script, limit in runaways.items():
        with pytest.raises(LimitExceeded) as exc:
            run_script(script, {}, limits=limits)
        assert exc.value.limit == limit, script


@pytest.mark.parametrize("script", [
    "while True:\n    try:\n        while True:\n            pass\n    except:\n        pass",
    "for i in range(10 ** 6):\n    try:\n        x = 'x' * 10 ** 10\n    except Exception:\n        x = ''\n    while True:\n        pass",
    "while True:\n    try:\n        x = 'x' * 10 ** 10\n    except BaseException as e:\n        pass",
])
def test_scripts_cannot_swallow_a_limit_error(script: str) -> None:
    with pytest.raises(LimitExceeded):
        run_script(script, {}, limits=Limits(script_iterations=10_000))


def test_a_finally_that_would_swallow_errors_does_not_compile() -> None:
    with pytest.raises(SandboxError, match="finally"):
        run_script("def f():\n    try:\n        pass\n    finally:\n        return 1\nx = f()", {})


def test_iterations_are_counted_exactly_for_loops_that_finish() -> None:
    limits = Limits(script_iterations=100)
    run_script("x = [i for i in range(60)]\ny = [i for i in range(40)]", {}, limits=limits)
    run_script("k = 0\nwhile k < 100:\n    k = k + 1", {}, limits=limits)
    for over in ("x = [i for i in range(60)]\ny = [i for i in range(41)]", "k = 0\nwhile k < 101:\n    k = k + 1"):
        with pytest.raises(LimitExceeded):
            run_script(over, {}, limits=limits)


def test_ordinary_scripts_keep_their_meaning() -> None:
    data: dict[str, Any] = {"days": 2, "title": "修路灯", "items": [3, 1, 2], "d": {"a": 1}}
    run_script('hours = days * 8\nlabel = title + "（" + str(hours) + " 小时）"\n'
               "ordered = sorted(items)\ntotal = sum(items)\nsquares = {i: i ** 2 for i in items}\n"
               "text = f'{total:>5}|{label!r}'\nk = 0\nwhile k < 3:\n    k += 1\n"
               "pairs = [(a, b) for a, b in d.items()]\nshout = title.center(9, '*')\nis_text = isinstance(title, str)\n"
               "both = [*items, *items]\nwhen = (datetime(2026, 1, 1) + timedelta(days=1)).isoformat()\n"
               "fact = math.factorial(10)\nby_len = sorted(['bb', 'a'], key=lambda w: len(w))\n"
               "doubled = list(map(lambda i: i * 2, items))\nwhole = int('12') + int(2.5) + round(2.5)\ndel d", data)
    assert data["hours"] == 16 and data["label"] == "修路灯（16 小时）" and data["ordered"] == [1, 2, 3]
    assert data["total"] == 6 and data["squares"] == {3: 9, 1: 1, 2: 4} and data["text"] == "    6|'修路灯（16 小时）'"
    assert data["k"] == 3 and data["pairs"] == [("a", 1)] and data["shout"] == "***修路灯***" and data["is_text"] is True
    assert data["both"] == [3, 1, 2, 3, 1, 2] and data["when"] == "2026-01-02T00:00:00" and data["fact"] == 3628800
    assert data["by_len"] == ["a", "bb"] and data["doubled"] == [6, 2, 4] and data["whole"] == 16
    assert "d" not in data
    assert run_expression("approved == True and len(items) > 2", {"approved": True, "items": [1, 2, 3]}) is True


def test_case_data_cannot_shadow_the_sandbox() -> None:
    """Variables named like the sandbox's own globals are data, never the sandbox (finding 5)."""
    data: dict[str, Any] = {"__builtins__": {}, "_getiter_": 1, "_tick_": None, "_getattr_": 0, "_mul_": "x",
                            "str": "abc", "items": [1, 2]}
    run_script("total = 0\nfor i in range(3):\n    total = total + i\nlabel = str(total) + 'x' * 2\nn = len(items)", data)
    assert (data["total"], data["label"], data["n"]) == (3, "3xx", 2)
    assert data["__builtins__"] == {} and data["_getiter_"] == 1 and data["_mul_"] == "x"
    assert run_expression("[i * 2 for i in items]", {"__builtins__": "x", "_getiter_": 0, "items": [1, 2]}) == [2, 4]
    assert {"__builtins__", "_getiter_", "_tick_", "_getattr_", "str", "len", "math"} <= RESERVED


def test_expression_results_are_weighed() -> None:
    with pytest.raises(LimitExceeded) as exc:
        run_expression("[title] * 100", {"title": "x" * 1000}, limits=Limits(data_size=10_000))
    assert exc.value.limit == "data_size"


def test_a_deadline_applies_without_a_command_budget() -> None:
    assert current_budget.get() is None
    with pytest.raises(DeadlineExceeded):
        run_script("for i in range(10 ** 6):\n    x = sum(range(10 ** 6))", {},
                   limits=Limits(script_iterations=10**12, command_deadline_seconds=0.05))


def test_command_budgets_nest_and_keep_the_outer_deadline() -> None:
    limits = Limits(engine_steps=2)
    with command_budget(limits, 60) as outer:
        with command_budget(limits, 3600) as inner:
            assert current_budget.get() is inner and inner.deadline == outer.deadline
        assert current_budget.get() is outer
    assert current_budget.get() is None
    budget = Budget(limits)
    budget.step()
    budget.step()
    with pytest.raises(LimitExceeded) as exc:
        budget.step()
    assert exc.value.limit == "engine_steps"
    with pytest.raises(DeadlineExceeded):
        Budget(limits, deadline=0.0).check_deadline()


# --- 3: validation refuses what it can know statically -------------------------------------------------


@pytest.mark.parametrize(("script", "words", "line"), [
    ("while True:\n    pass", "无限循环", 1),
    ("x = 1\nwhile 1:\n    for i in items:\n        break", "无限循环", 2),
    ("import os\nresult = os.getpid()", "import", 1),
    ("from os import path", "import", 1),
    ("result = open('/etc/passwd').read()", "'open'", 1),
    ("result = getattr(title, 'upper')", "'getattr'", 1),
    ("result = eval('1')", "Eval", 1),
    ("x = vars()", "'vars'", 1),
    ("x = globals()", "'globals'", 1),
    ("key = '__class__'", "__class__", 1),
    ("x = 1\ny = 9 ** 9 ** 9", "int_bits", 2),
    ("result = 'x' * 10 ** 10", "sequence_size", 1),
    ("result = '" + "x" * 100_001 + "'", "literal_size", 1),
    ("result = '{}'.format(1)", "str.format", 1),
])
def test_validation_refuses_what_it_can_know(make_engine: Callable[..., Engine], tmp_path: Path, script: str, words: str,
                                             line: int) -> None:
    folder = with_script(tmp_path, script)
    problems = make_engine().validate([folder])
    assert problems and {p.element_id for p in problems} == {"work"}
    assert any(words in p.message for p in problems), [p.message for p in problems]
    script_line = next(i for i, text in enumerate((folder / "limits_script.bpmn").read_text().splitlines(), 1)
                       if "<bpmn:script>" in text and "count" not in text)
    assert any(p.line == script_line + line - 1 for p in problems)
    assert all(p.file == "limits_script.bpmn" for p in problems)


@pytest.mark.parametrize("script", ["while k < 3:\n    k = k + 1", "while True:\n    if k:\n        break",
                                    "def f():\n    while True:\n        return 1", "x = 2 ** 100", "x = 'x' * 1000"])
def test_validation_lets_ordinary_code_through(script: str) -> None:
    assert inspect_source(script, "exec") == []


@pytest.mark.parametrize(("file", "old", "new", "element"), [
    ("limits_timers.bpmn", ">wait_for<", ">\"P\"<", "timeout"),
    ("limits_timers.bpmn", ">wait_for<", ">\"P99999999Y\"<", "timeout"),
    ("limits_timers.bpmn", ">remind_every<", ">\"R/PT0S\"<", "remind"),
    ("limits_timers.bpmn", ">wait_until<", ">\"9999-01-01T00:00:00Z\"<", "deadline"),
    ("limits_script.bpmn", 'value="due_in"', 'value="&quot;PT&quot;"', "prepare"),
])
def test_validation_checks_constant_timer_values(make_engine: Callable[..., Engine], tmp_path: Path, file: str, old: str,
                                                 new: str, element: str) -> None:
    problems = make_engine().validate([variant(tmp_path, file, **{old: new})])
    assert [(p.element_id, p.code) for p in problems] == [(element, "timer")]


@pytest.mark.parametrize(("template", "words"), [
    ("{{ 'x' * 1000000000 }}", "sequence_size"), ("{{ ('x' * 10 ** 10) ~ 'y' }}", "sequence_size"),
    ("请复核：{{ title ", "模板语法错误"), ("{% for x in items %}", "模板语法错误"),
])
def test_validation_compiles_instructions_templates(make_engine: Callable[..., Engine], tmp_path: Path, template: str,
                                                    words: str) -> None:
    problems = make_engine().validate([variant(tmp_path, **{"请复核：{{ title }}": template})])
    assert [(p.element_id, p.code) for p in problems] == [("review", "template")] and words in problems[0].message


# --- 4: an engine-step budget per command --------------------------------------------------------------


def test_a_loop_without_a_wait_state_stops_at_the_step_budget(limited: Callable[..., Engine], people: Any) -> None:
    engine = limited(engine_steps=50)
    inst = engine.start("limits_script", people.clerk, SCRIPT_VARS)
    before = stored(engine, inst.id)
    with pytest.raises(LimitExceeded) as exc:
        engine.complete(inst.open_tasks[0].id, people.clerk, {"target": 10**9})
    assert exc.value.limit == "engine_steps" and exc.value.element_id in ("again", "bump")
    assert stored(engine, inst.id) == before
    done = engine.complete(inst.open_tasks[0].id, people.clerk, {"target": 10})
    assert [t.element_id for t in done.open_tasks] == ["review"] and done.variables["count"] == 10


# --- 5: multi-instance counts taken from data ---------------------------------------------------------


@pytest.mark.parametrize("sequential", [False, True])
def test_multi_instance_counts_are_capped(limited: Callable[..., Engine], tmp_path: Path, people: Any,
                                          sequential: bool) -> None:
    folder = LIMITS if not sequential else variant(tmp_path, "limits_mi.bpmn", **{
        "<bpmn:multiInstanceLoopCharacteristics>": '<bpmn:multiInstanceLoopCharacteristics isSequential="true">'})
    engine = limited(folder, multi_instance=3)
    with pytest.raises(LimitExceeded) as exc:
        engine.start("limits_mi", people.clerk, {"items": ["a", "b", "c", "d"], "copies": 1})
    assert exc.value.limit == "multi_instance" and exc.value.element_id == "each_item"
    assert counts(engine) == (0, 0, 0)
    inst = engine.start("limits_mi", people.clerk, {"items": ["a"], "copies": 10**7})
    before = stored(engine, inst.id)
    with pytest.raises(LimitExceeded) as exc:
        engine.complete(inst.open_tasks[0].id, people.clerk, {})
    assert exc.value.limit == "multi_instance" and exc.value.element_id == "each_copy" and "10000000" in str(exc.value)
    assert stored(engine, inst.id) == before
    inst = engine.start("limits_mi", people.clerk, {"items": ["a", "b", "c"], "copies": 3})
    assert len(inst.open_tasks) == (1 if sequential else 3)


# --- 6: instructions templates with bounded output ------------------------------------------------------


def _review(engine: Engine, people: Any, variables: dict) -> Any:
    inst = engine.start("limits_script", people.clerk, {**SCRIPT_VARS, **variables})
    view = engine.complete(inst.open_tasks[0].id, people.clerk, {})
    return engine.task(view.open_tasks[0].id, people.clerk)


@pytest.mark.parametrize(("template", "options", "note"), [
    ("{{ title * n }}", {"sequence_size": 1000}, "超出系统限制"),
    ("{{ title.ljust(n) }}", {"sequence_size": 1000}, "超出系统限制"),
    ("{% for i in range(n) %}{% for j in range(n) %}{% endfor %}{% endfor %}", {"template_iterations": 1000}, "超出系统限制"),
    ("{{ title.upper(1, 2) }}", {}, "模板有误"),
    ("{{ '{0.__class__}'.format(title) }}", {}, "模板有误"),
])
def test_a_failing_template_shows_a_short_note(limited: Callable[..., Engine], tmp_path: Path, people: Any, template: str,
                                               options: dict, note: str) -> None:
    engine = limited(variant(tmp_path, **{"请复核：{{ title }}": template}), **options)
    task = _review(engine, people, {"n": 5000})
    assert note in task.instructions and "Error" not in task.instructions and "{{" not in task.instructions
    assert task.status == "open" and task.form is not None


def test_template_output_is_cut_at_its_limit(limited: Callable[..., Engine], people: Any) -> None:
    engine = limited(template_output=10)
    task = _review(engine, people, {"title": "很长的标题" * 20})
    assert task.instructions.startswith("请复核：很长的标题很\n") and "已截断" in task.instructions
    assert len(task.instructions.split("\n")[0]) == 10
    assert _review(limited(), people, {}).instructions == "请复核：修路灯"


def test_templates_are_bounded_outside_the_engine_too() -> None:
    limits = Limits(template_iterations=1000)
    assert render_instructions("{{ x }}/{{ y|join(',') }}", {"x": 1, "y": ["a", "b"]}, limits) == "1/a,b"
    macro = "{% macro f(n) %}{% if n > 0 %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(60) }}"
    doubling = "{% macro f(s, n) %}{% if n %}{{ f(s ~ s, n-1) }}{% else %}{{ s|length }}{% endif %}{% endmacro %}{{ f('x', 40) }}"
    namespace = "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}"
    for template in (macro, doubling, namespace, "{{ 'x'|center(10 ** 9) }}", "{{ '%1000000000d'|format(1) }}",
                     "{{ lipsum(100000) }}", "{{ items.extend(items) }}"):
        assert "无法显示" in render_instructions(template, {"items": [1]}, limits), template
    assert check_template("{{ x }}", limits) == []


# --- configuration -----------------------------------------------------------------------------------


def test_limits_come_from_configuration() -> None:
    config = Config.load({"limit_script_iterations": "500", "limit_max_duration": "P1Y"},
                         environ={"GONGZHI_LIMIT_MIN_CYCLE_SECONDS": "5", "GONGZHI_LIMIT_COMMAND_DEADLINE_SECONDS": "0"})
    limits = Limits.from_config(config.extra)
    assert limits.script_iterations == 500 and limits.max_duration == Duration(years=1)
    assert limits.min_cycle_seconds == 5.0 and limits.command_deadline_seconds == 0.0
    assert Limits.from_config({"limit_max_duration": 3600}).max_duration == Duration(seconds=3600.0)
    assert Limits.from_config({"other_setting": "x"}) == Limits()
    for bad in ({"limit_scrip_iterations": 1}, {"limit_script_iterations": "many"}, {"limit_engine_steps": 0},
                {"limit_max_duration": "P"}, {"limit_max_duration": "P2000Y"}, {"limit_min_cycle_seconds": -1}):
        with pytest.raises(ConfigurationError):
            Limits.from_config(bad)


def test_the_engine_keeps_its_limits(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(limit_engine_steps=7)
    assert engine.limits.engine_steps == 7 and engine.script_engine.limits is engine.limits


def test_decisions_run_under_the_configured_rule_limits(make_engine: Callable[..., Engine]) -> None:
    """A decision iterating over a range stops at ``GONGZHI_RULES_MAX_RANGE``; the engine's clock is FEEL's now()."""
    governance = Path(__file__).parent / "rules" / "fixtures" / "governance.dmn"
    inputs = {"受理日期": "2026-11-02", "办结日期": "2027-11-02"}
    roomy = make_engine()
    roomy.deploy(sources=[SourceFile("governance.dmn", governance.read_bytes())])
    assert roomy.evaluate_decision("Decision_working_days", inputs)["result"] > 200
    tight = make_engine(rules_max_range=100)
    with pytest.raises(LimitExceeded) as stopped:
        tight.evaluate_decision("Decision_working_days", inputs)
    assert stopped.value.limit == "max_range" and stopped.value.maximum == 100
