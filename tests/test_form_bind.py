"""Forms whose keywords come from the case (``x-bind``): served and enforced with the same value."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pytest

from gongzhi import DefinitionInvalid, Engine, FormValidationError, InvalidInput
from gongzhi.calendar import WeekdayCalendar
from gongzhi.plugins.whistle.services import extended
from gongzhi.runtime.forms import Forms, bind_form, bind_problems

FIXTURES = Path(__file__).parent / "fixtures"

FORM = {
    "type": "object",
    "properties": {
        "days": {"type": "integer", "minimum": 1, "x-bind": {"maximum": "room"}},
        "kind": {"type": "string", "enum": ["甲"], "x-bind": {"enum": "limits.kinds"}},
    },
}


def test_bound_keywords_take_the_case_value() -> None:
    bound = bind_form(FORM, {"room": 3, "limits": {"kinds": ["甲", "乙"]}})
    assert bound["properties"]["days"]["maximum"] == 3
    assert bound["properties"]["kind"]["enum"] == ["甲", "乙"]
    assert "maximum" not in FORM["properties"]["days"]  # the definition itself is not changed
    Forms().validate(bound, {"days": 3, "kind": "乙"})
    with pytest.raises(FormValidationError) as err:
        Forms().validate(bound, {"days": 4})
    assert err.value.errors[0]["field"] == "days"


def test_missing_or_ill_typed_values_leave_the_literal_keyword() -> None:
    assert bind_form(FORM, {}) is FORM  # nothing to bind: the same object, no copy
    bound = bind_form(FORM, {"room": "三", "limits": {"kinds": []}})
    assert "maximum" not in bound["properties"]["days"] and bound["properties"]["kind"]["enum"] == ["甲"]
    assert bind_form(FORM, {"room": True})["properties"]["days"].get("maximum") is None  # a boolean is no number


def test_bad_bindings_are_definition_problems(make_engine: Callable[..., Engine], tmp_path: Path) -> None:
    assert bind_problems(FORM) == []
    assert len(bind_problems({"properties": {"a": {"x-bind": {"pattern": "x", "maximum": "a b"}}}})) == 2
    folder = tmp_path / "copy"
    shutil.copytree(FIXTURES / "approval", folder)
    (folder / "review.json").write_text(
        '{"type": "object", "properties": {"n": {"type": "integer", "x-bind": {"maximum": "not a name"}}}}',
        encoding="utf-8")
    try:
        problems = make_engine().validate([folder])
    except DefinitionInvalid as exc:
        problems = exc.problems
    assert [(p.file, p.code) for p in problems] == [("review.json", "form-bind")]
    assert "x-bind" in problems[0].message


def test_an_extension_counts_from_the_current_deadline() -> None:
    deadline = datetime(2025, 3, 14, 1, 0, tzinfo=timezone.utc)  # Friday 09:00 China time
    out = extended(WeekdayCalendar(), {"deadline": deadline.isoformat(), "days": 5, "escalate_after_days": 3})
    assert out == {"handle_deadline": "2025-03-21T01:00:00+00:00", "escalate_at": "2025-03-26T01:00:00+00:00"}
    with pytest.raises(InvalidInput):
        extended(WeekdayCalendar(), {"deadline": "2025-03-14T09:00:00", "days": 5})  # no time zone
    with pytest.raises(InvalidInput):
        extended(WeekdayCalendar(), {"deadline": deadline.isoformat(), "days": -1})
