"""The hooks the core calls, each exercised through a real engine: directory, calendar, readiness,
adapters, and the plugin listing (Python, CLI and HTTP)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import pytest
from click.testing import CliRunner

from gongzhi import ConfigurationError, Directory, Engine, JobOutcome, hookimpl
from gongzhi.api import create_app
from gongzhi.calendar import CST
from gongzhi.cli import main
from gongzhi.hooks.manager import describe_plugins
from gongzhi.plugins.whistle import Directory as WhistleDirectory

FIXTURES = Path(__file__).parent / "fixtures"


def plugin(name: str, **hooks: Callable[..., Any]) -> SimpleNamespace:
    return SimpleNamespace(__name__=name, **{k: hookimpl(v) for k, v in hooks.items()})


# --- gongzhi_directory -------------------------------------------------------------


def test_the_whistle_directory_is_a_core_directory() -> None:
    directory = WhistleDirectory.load()
    assert isinstance(directory, Directory)
    street = directory.streets()[0]
    assert directory.display_name(street.path) == street.name


class _Units:
    def __init__(self) -> None:
        unit = SimpleNamespace(path="990101", code="990101", name="青禾区", level="district", parent=None, households=None)
        self.units = {"990101": unit}
        self.departments = {"jt": SimpleNamespace(code="jt", name="交通委", group="dept_jt")}
        self.groups = {"dept_jt": "交通委"}

    def unit(self, path: str) -> Any:
        return self.units.get(path)

    def display_name(self, code: str) -> str | None:
        return self.groups.get(code) or (self.units[code].name if code in self.units else None)

    def department_of_group(self, group: str) -> Any:
        return next((d for d in self.departments.values() if d.group == group), None)


def test_a_plugin_directory_replaces_the_bundled_one_everywhere(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(plugins=[plugin("my_directory", gongzhi_directory=lambda: _Units())])
    assert engine.directory.groups == {"dept_jt": "交通委"}
    client = create_app(engine=engine).test_client()
    body = client.get("/api/v1/directory", headers=_admin(engine)).get_json()
    assert body["departments"] == [{"code": "jt", "name": "交通委", "group": "dept_jt"}]
    assert body["regions"] == [{"path": "990101", "name": "青禾区", "level": "district"}]


def test_a_directory_of_the_wrong_shape_fails_naming_what_it_lacks(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(plugins=[plugin("half", gongzhi_directory=lambda: SimpleNamespace(units={}, groups={}))])
    with pytest.raises(ConfigurationError) as exc:
        engine.directory
    assert "departments" in str(exc.value) and "department_of_group" in str(exc.value)


# --- gongzhi_calendar -------------------------------------------------------------


class _ThursdaysOnly:
    def is_working_day(self, day: date) -> bool:
        return day.weekday() == 3


def test_a_plugin_calendar_sets_working_day_deadlines(make_engine: Callable[..., Engine], tmp_path: Path,
                                                      people: Any, start_vars: dict) -> None:
    folder = tmp_path / "approval"
    shutil.copytree(FIXTURES / "approval", folder)
    bpmn = folder / "approval.bpmn"
    bpmn.write_text(bpmn.read_text(encoding="utf-8").replace("&quot;PT2H&quot;", "add_working_days(1)"), encoding="utf-8")
    engine = make_engine(plugins=[plugin("thursdays", gongzhi_calendar=lambda: _ThursdaysOnly())])
    engine.deploy([folder])
    view = engine.start("approval", people.clerk, start_vars)
    due = view.open_tasks[0].due_at
    assert due is not None and due.astimezone(CST).weekday() == 3  # the clock says Monday; Thursday is next
    assert due.astimezone(CST).hour == engine.clock.now().astimezone(CST).hour


# --- gongzhi_engine_ready ---------------------------------------------------------


def test_engine_ready_is_heard_once_per_engine_even_with_a_web_app(make_engine: Callable[..., Engine]) -> None:
    heard: list[Engine] = []
    engine = make_engine(plugins=[plugin("listener", gongzhi_engine_ready=lambda engine: heard.append(engine))])
    create_app(engine=engine)
    assert heard == [engine]


# --- gongzhi_register_adapters ----------------------------------------------------


def test_an_adapter_is_mounted_under_its_name(make_engine: Callable[..., Engine]) -> None:
    from flask import Blueprint

    def blueprint(engine: Engine) -> Blueprint:
        bp = Blueprint("ping", __name__)
        bp.add_url_rule("/ping", "ping", lambda: {"pong": engine.config.database_url != ""})
        return bp

    adapter = SimpleNamespace(name="ping-portal", blueprint=blueprint)
    engine = make_engine(plugins=[plugin("ping_plugin", gongzhi_register_adapters=lambda: [adapter])])
    client = create_app(engine=engine).test_client()
    assert client.get("/adapters/ping-portal/ping").get_json() == {"pong": True}


# --- listing the plugins ----------------------------------------------------------


def test_describe_plugins_names_what_each_registers(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine()
    info = {p.name: p for p in describe_plugins(engine.pm)}
    assert "whistle.locate" in info["whistle"].registers["service_tasks"]
    assert "whistle-departments" in info["whistle"].registers["reports"]
    assert "gongzhi_directory" in info["whistle"].hooks
    assert info["gongzhi.builtin_services"].registers["service_tasks"] == ["gongzhi.echo", "gongzhi.now",
                                                                           "gongzhi.narrow_region"]
    assert info["whistle"].version  # the distribution's version


def test_plugins_over_http_are_for_admins(make_engine: Callable[..., Engine], people: Any) -> None:
    engine = make_engine()
    client = create_app(engine=engine).test_client()
    body = client.get("/api/v1/plugins", headers=_admin(engine)).get_json()
    assert "consultation_topics" in next(p for p in body["items"] if p["name"] == "consultation")["registers"]["reports"]
    refused = client.get("/api/v1/plugins", headers=_headers(engine, people.clerk))
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"


def test_plugins_command_lists_them(db_url: str) -> None:
    result = CliRunner().invoke(main, ["--database-url", db_url, "plugins"])
    assert result.exit_code == 0, result.output
    assert "whistle" in result.output and "whistle.locate" in result.output


# --- job outcomes -----------------------------------------------------------------


def test_job_outcomes_that_count_as_run() -> None:
    assert {o for o in JobOutcome if o.ran} == {JobOutcome.DONE, JobOutcome.RESCHEDULED, JobOutcome.DROPPED,
                                                JobOutcome.INCIDENT}
    assert JobOutcome.RESCHEDULED == "pending" and JobOutcome.RETRY.label == "稍后重试"


def _headers(engine: Engine, actor: Any) -> dict[str, str]:
    from gongzhi.security.tokens import mint

    token = mint(engine.config.secret_key, actor.id, actor.name, actor.groups, actor.region)
    return {"Authorization": f"Bearer {token}"}


def _admin(engine: Engine) -> dict[str, str]:
    from gongzhi import Actor

    return _headers(engine, Actor.of("admin", "管理员", ["admin"], ""))


# --- the plugin kit ---------------------------------------------------------------


def test_load_yaml_names_the_file_and_line_of_a_bad_edit(tmp_path: Path) -> None:
    from gongzhi import load_yaml

    bad = tmp_path / "directory.yaml"
    bad.write_text("district:\n  code: '990101'\n  name: [青禾区\n", encoding="utf-8")
    with pytest.raises(ConfigurationError) as exc:
        load_yaml(bad, "组织目录")
    assert "组织目录" in str(exc.value) and str(bad) in str(exc.value) and "行" in str(exc.value)
    bad.write_text("- 990101\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="顶层应是映射"):
        load_yaml(bad, "组织目录")


def test_a_plugin_resource_with_a_broken_file_fails_at_first_use_naming_it(make_engine: Callable[..., Engine],
                                                                          tmp_path: Path) -> None:
    from gongzhi.plugins.whistle import WhistlePlugin
    from gongzhi.plugins.whistle.directory import DEFAULT_DIRECTORY

    text = DEFAULT_DIRECTORY.read_text(encoding="utf-8")
    duplicate = tmp_path / "dup.yaml"
    import yaml

    data = yaml.safe_load(text)
    data["departments"] = data["departments"] + data["departments"][:1]
    duplicate.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    engine = make_engine(plugins=[WhistlePlugin(directory=duplicate)], disable_plugins="whistle")
    with pytest.raises(ConfigurationError) as exc:
        engine.directory
    assert str(duplicate) in str(exc.value) and "部门编码重复" in str(exc.value)


def test_the_outbox_keeps_notices_but_never_logs_their_text(caplog: pytest.LogCaptureFixture) -> None:
    from gongzhi import Outbox

    outbox = Outbox(size=2)
    with caplog.at_level("INFO", logger="gongzhi.notices"):
        for n in range(3):
            outbox({"kind": "催办", "to": "dept_jt", "text": f"王秀英 13812345678 第{n}件"})
    assert [i["text"] for i in outbox.items] == ["王秀英 13812345678 第1件", "王秀英 13812345678 第2件"]
    assert "13812345678" not in caplog.text and "催办" in caplog.text


# --- gongzhi_register_form_formats ------------------------------------------------


def test_a_plugin_form_format_is_checked_with_its_message(make_engine: Callable[..., Engine]) -> None:
    from gongzhi import FormFormat, FormValidationError

    def six_digits(text: str) -> None:
        if not (len(text) == 6 and text.isdigit()):
            raise ValueError("邮政编码应为 6 位数字")

    fmt = FormFormat("postcode", six_digits, "邮政编码")
    engine = make_engine(plugins=[plugin("postcodes", gongzhi_register_form_formats=lambda: [fmt])])
    form = {"type": "object", "properties": {"code": {"type": "string", "title": "邮编", "format": "postcode"}}}
    engine.forms.validate(form, {"code": "310012"})
    with pytest.raises(FormValidationError) as refused:
        engine.forms.validate(form, {"code": "31001"})
    assert refused.value.errors == [{"field": "code", "message": "邮编：邮政编码应为 6 位数字"}]
    assert "postcode" in next(p for p in describe_plugins(engine.pm) if p.name == "postcodes").registers["form_formats"]
