"""Choice lists with one source (``x-options``): a department added to the directory or a participant
type added to the DMN shows up in the served form and is accepted, with no other edit."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any, Callable

import pytest

from gongzhi import Actor, DefinitionInvalid, Engine, FormValidationError, bpmn_package_path
from gongzhi.plugins.whistle import WhistlePlugin
from gongzhi.runtime.form_lists import decision_choices, fill_options, options_problems

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
WHISTLE_DIR = ROOT / "plugins" / "whistle"
ADMIN = Actor.of("admin", "管理员", ["admin"])
CLERK = Actor.of("clerk-1", "张三", ["clerk"], "110105/001")
NEW_TYPE_RULE = """      <rule id="DecisionRule_consultation_venue_participants_volunteer">
        <description>院坝协商也请志愿者参加（测试新增）</description>
        <inputEntry id="UnaryTests_consultation_venue_participants_volunteer_0"><text>"院坝协商"</text></inputEntry>
        <outputEntry id="LiteralExpression_consultation_venue_participants_volunteer_0"><text>"志愿者"</text></outputEntry>
      </rule>
"""


def _form(folder: Path, name: str) -> dict[str, Any]:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def _directory_with_one_more_department(tmp_path: Path) -> Path:
    folder = tmp_path / "directory"
    folder.mkdir()
    for name in ("directory.yaml", "directory.geojson", "grid_people.yaml"):
        shutil.copy(WHISTLE_DIR / name, folder / name)
    text = (folder / "directory.yaml").read_text(encoding="utf-8")
    anchor = "  - {code: gongdian, name: 供电公司, group: dept_gongdian}\n"
    assert anchor in text
    (folder / "directory.yaml").write_text(
        text.replace(anchor, anchor + "  - {code: wenlv, name: 文旅局, group: dept_wenlv}\n"), encoding="utf-8")
    return folder / "directory.yaml"


def _consultation_with_one_more_type(tmp_path: Path) -> Path:
    folder = tmp_path / "consultation"
    shutil.copytree((bpmn_package_path() / "consultation"), folder, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    dmn = folder / "consultation_rules.dmn"
    text = dmn.read_text(encoding="utf-8")
    anchor = '      <rule id="DecisionRule_consultation_venue_participants_courtyard">\n'
    assert anchor in text
    dmn.write_text(text.replace(anchor, NEW_TYPE_RULE + anchor), encoding="utf-8")
    return folder


def _probe(tmp_path: Path, form: dict[str, Any], dmn: Path | None = None) -> Path:
    """The approval fixture whose start form also holds ``form``'s list fields (and, optionally, a DMN)."""
    folder = tmp_path / "probe"
    shutil.copytree(FIXTURES / "approval", folder)
    start = _form(folder, "start.json")
    start["properties"].update(form)
    (folder / "start.json").write_text(json.dumps(start, ensure_ascii=False), encoding="utf-8")
    if dmn is not None:
        shutil.copy(dmn, folder / dmn.name)
    return folder


START = {"title": "修路灯", "days": 2, "review_within": "PT1H", "archive_groups": ["archivist"]}


def test_a_department_added_to_the_directory_is_in_the_whistle_form(make_engine: Callable[..., Engine],
                                                                    tmp_path: Path) -> None:
    engine = make_engine(plugins=[WhistlePlugin(directory=_directory_with_one_more_department(tmp_path))],
                         disable_plugins=["whistle"])
    engine.deploy([(bpmn_package_path() / "whistle")])
    served = engine.served_form(_form((bpmn_package_path() / "whistle") / "forms", "whistle.json"), {})
    lead = served["properties"]["lead_department"]["oneOf"]
    assert {"const": "wenlv", "title": "文旅局"} in lead and {"const": "chengguan", "title": "城管执法局"} in lead
    assert {"const": "wenlv", "title": "文旅局"} in served["properties"]["co_departments"]["items"]["oneOf"]

    whistle = _form((bpmn_package_path() / "whistle") / "forms", "whistle.json")["properties"]
    engine.deploy([_probe(tmp_path, {"department": whistle["lead_department"]})])
    started = engine.start("approval", CLERK, {**START, "department": "wenlv"})
    assert started.variables["department"] == "wenlv"
    with pytest.raises(FormValidationError) as err:
        engine.start("approval", CLERK, {**START, "department": "jiaoyu"})
    assert [e["field"] for e in err.value.errors] == ["department"]


def test_a_participant_type_added_to_the_dmn_is_in_the_notice_form(make_engine: Callable[..., Engine],
                                                                   tmp_path: Path) -> None:
    engine = make_engine()
    folder = _consultation_with_one_more_type(tmp_path)
    notice = _form(folder / "forms", "notice.json")
    served = engine.served_form(notice)  # nothing deployed: the literal fallback (none here) stands
    assert "enum" not in served["properties"]["invitees"]["items"]["properties"]["participant_type"]

    engine.deploy([folder])
    types = engine.served_form(notice)["properties"]["invitees"]["items"]["properties"]["participant_type"]["enum"]
    assert "志愿者" in types and "网格员" in types and "银行" in types
    assert len(types) == len(set(types)) == 19  # the 18 of the seeds and the one added

    field = notice["properties"]["invitees"]["items"]["properties"]["participant_type"]
    engine.deploy([_probe(tmp_path, {"participant_type": field})])
    assert "志愿者" in engine.definition("approval")["start_form"]["properties"]["participant_type"]["enum"]
    engine.start("approval", CLERK, {**START, "participant_type": "志愿者"})
    with pytest.raises(FormValidationError) as err:
        engine.start("approval", CLERK, {**START, "participant_type": "路人"})
    assert err.value.errors[0]["field"] == "participant_type"


def test_a_served_task_form_has_its_list(make_engine: Callable[..., Engine], tmp_path: Path) -> None:
    engine = make_engine(plugins=[WhistlePlugin(directory=_directory_with_one_more_department(tmp_path))],
                         disable_plugins=["whistle"])
    folder = tmp_path / "tasks"
    shutil.copytree(FIXTURES / "approval", folder)
    review = _form(folder, "review.json")
    review["properties"]["forward_to"] = {"type": "string", "title": "转交部门",
                                          "x-options": {"source": "directory", "list": "departments"}}
    (folder / "review.json").write_text(json.dumps(review, ensure_ascii=False), encoding="utf-8")
    engine.deploy([folder])
    engine.start("approval", CLERK, START)
    task = engine.tasks(CLERK).items[0]  # 审核申请, in the clerks' lane
    detail = engine.task(task.id, CLERK)
    assert {"const": "wenlv", "title": "文旅局"} in detail.form["properties"]["forward_to"]["oneOf"]
    with pytest.raises(FormValidationError) as err:
        engine.complete(task.id, CLERK, {"approved": True, "forward_to": "nowhere"})
    assert any(e["field"] == "forward_to" for e in err.value.errors)
    engine.complete(task.id, CLERK, {"approved": True, "forward_to": "wenlv"})


def test_choices_of_a_decision_column_and_literal_fallback() -> None:
    from gongzhi.rules import load_dmn

    model = load_dmn(((bpmn_package_path() / "consultation") / "consultation_rules.dmn").read_bytes(), filename="r.dmn")
    tier = [v for v, _ in decision_choices(model, "consultation_tier_rules", "participant_types")]
    assert "社区党组织" in tier and "网格员" in tier  # list cells count item by item
    assert decision_choices(model, "consultation_tier_rules", "no_such_column") == []
    form = {"type": "string", "enum": ["甲"], "x-options": {"source": "decision", "decision": "x", "output": "y"}}
    assert fill_options(form, lambda spec: []) is form  # nothing to give: the literal list stands


def test_unknown_lists_are_definition_problems_in_chinese(make_engine: Callable[..., Engine], tmp_path: Path) -> None:
    bad = {"properties": {"dept": {"type": "string", "x-options": {"source": "directory", "list": "bureaus"}}}}
    assert "bureaus" in options_problems(bad, {})[0]
    folder = tmp_path / "bad"
    shutil.copytree(FIXTURES / "approval", folder)
    review = _form(folder, "review.json")
    review["properties"]["dept"] = bad["properties"]["dept"]
    review["properties"]["kind"] = {"type": "string", "x-options": {"source": "decision", "decision": "consultation_tier",
                                                                   "output": "nothing_here"}}
    (folder / "review.json").write_text(json.dumps(review, ensure_ascii=False), encoding="utf-8")
    shutil.copy((bpmn_package_path() / "consultation") / "consultation_rules.dmn", folder)
    with pytest.raises(DefinitionInvalid) as err:
        make_engine().deploy([folder])
    found = [(p.file, p.code, p.message) for p in err.value.problems if p.code == "form-options"]
    assert len(found) == 2 and all(file == "review.json" for file, _, _ in found)
    messages = " ".join(m for _, _, m in found)
    assert "properties.dept" in messages and "未知的名录列表 'bureaus'" in messages
    assert "properties.kind" in messages and "nothing_here" in messages


def test_choices_of_a_decision_input_column() -> None:
    """``"input"`` takes what a decision accepts: the input column's allowed values, else the literals its rules test."""
    from gongzhi.rules import load_dmn

    model = load_dmn(((bpmn_package_path() / "consultation") / "consultation_rules.dmn").read_bytes(), filename="r.dmn")
    tiers = decision_choices(model, "consultation_tier_rules", None, input_column="tier_name")
    assert [v for v, _ in tiers] == ["小微事务恳谈会", "社区党群议事会", "重大事项论证会"]
    scopes = decision_choices(model, "consultation_tier", None, input_column="影响范围")  # by the column's label too
    assert [v for v, _ in scopes] == ["楼栋", "小区", "社区", "跨社区"]
    assert decision_choices(model, "consultation_tier", None, input_column="no_such_input") == []
    text = ((bpmn_package_path() / "consultation") / "consultation_rules.dmn").read_text(encoding="utf-8")
    bare = re.sub(r'\s*<inputValues id="UnaryTests_consultation_venue_participants_venue_values">.*?</inputValues>', "",
                  text, flags=re.S)
    assert bare != text
    venues = decision_choices(load_dmn(bare.encode(), filename="r.dmn"), "consultation_venue_participants", None,
                              input_column="venue")
    assert [v for v, _ in venues] == ["院坝协商", "社区协商", "厂区协商", "政企协商", "银企协商"]  # from the rules' cells
    spec = {"type": "string", "x-options": {"source": "decision", "decision": "consultation_tier", "input": "nothing"}}
    assert "输入列 'nothing'" in options_problems(spec, {"consultation_tier": model})[0]
