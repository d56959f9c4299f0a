"""Plain Chinese for people (``gongzhi.humanize``), alone and inside instructions templates."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from gongzhi import humanize
from gongzhi.limits import Limits
from gongzhi.sandbox.templates import render_instructions

NOW = datetime(2026, 12, 2, 1, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("value", "working", "text"), [
    ("PT1H", False, "1 小时内"),
    ("PT30M", False, "30 分钟内"),
    ("P1DT2H", False, "1 天 2 小时内"),
    (3, True, "3 个工作日内"),
    ("P3D", True, "3 个工作日内"),
    ("PT1H", True, "1 个工作小时内"),
    (None, False, "无"),
])
def test_durations_read_as_an_office_writes_them(value: object, working: bool, text: str) -> None:
    assert humanize.within(value, working) == text


def test_times_are_beijing_time_with_the_year_only_when_not_this_year() -> None:
    assert humanize.beijing("2026-12-06T09:30:00+00:00", now=NOW) == "12月6日 17:30"
    assert humanize.beijing("2027-01-04T01:00:00Z", now=NOW) == "2027年1月4日 09:00"
    assert humanize.beijing(datetime(2026, 12, 31, 16, 30, tzinfo=timezone.utc), now=NOW) == "2027年1月1日 00:30"
    assert humanize.beijing("2026-12-06", now=NOW) == "12月6日"
    assert humanize.beijing(None) == "无"


def test_percentages_schedules_and_plain_values() -> None:
    assert humanize.percent(1.0) == "100%"
    assert humanize.percent(0.125) == "12.5%"
    assert humanize.percent(None) == "无"
    assert humanize.schedule("R/P3M") == "每季度"
    assert humanize.schedule("R3/PT1H") == "每 1 小时，共 3 次"
    assert humanize.plain(None) == "无"
    assert humanize.plain([True, False]) == "是、否"
    assert humanize.plain("PT1H") == "1 小时"


def test_codes_read_as_their_directory_names() -> None:
    humanize.register_names("test-directory", {"huanjing": "生态环境分局", "dept_huanjing": "生态环境分局"}.get)
    try:
        assert humanize.name_of("huanjing") == "生态环境分局"
        assert humanize.names_of(["dept_huanjing"]) == ["生态环境分局"]
        assert humanize.name_of(None) == "无"
    finally:
        humanize.register_names("test-directory", lambda code: None)


def test_templates_show_values_as_people_read_them() -> None:
    text = render_instructions(
        "请在 {{ sign_within | within }}签收，{{ deadline }} 前退单；备注：{{ note }}；{{ rate | percent }}",
        {"sign_within": "PT1H", "deadline": "2026-12-06T09:30:00+00:00", "note": None, "rate": 1.0}, Limits())
    assert text.startswith("请在 1 小时内签收，12月6日 17:30 前退单；备注：无；100%")
    assert humanize.looks_like_machine_text(text) == []


def test_even_an_unfiltered_iso_value_is_shown_in_plain_chinese() -> None:
    text = render_instructions("请在 {{ limit }} 内签收，{{ due }} 前", {"limit": "PT30M", "due": "2026-12-06T09:30:00Z"},
                               Limits())
    assert "PT30M" not in text and "30 分钟" in text and "12月6日 17:30" in text


def test_a_broken_template_shows_a_plain_note_not_the_exception() -> None:
    text = render_instructions("{{ a.b.c }}{{ 1 / 0 }}", {"a": None}, Limits())
    assert text == "（任务说明模板有误，无法显示，请联系流程管理员）"
    assert "Error" not in text and "undefined" not in text


def test_machine_text_is_found() -> None:
    found = humanize.looks_like_machine_text("请在 PT1H 内签收，2026-12-06T19:41:49 前，周期 R/P3M")
    assert "PT1H" in found and "R/P3M" in found and any(f.startswith("2026-12-06T") for f in found)
