"""双报到 and points: registration, services from micro-wishes and reports, DMN-driven commitments and points, year-end reports."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import pytest

from gongzhi import (Actor, Engine, FormValidationError, InvalidInput, MovableClock, NotAllowed, ServiceTaskError,
                     bpmn_package_path)
from gongzhi.api import create_app
from gongzhi.calendar import CST
from gongzhi.plugins.party import PartyPlugin, member_rows
from gongzhi.security.tokens import mint
from gongzhi.plugins.whistle import WhistlePlugin

COMMUNITY_PATH = "990101/001/001"  # 翠苑社区, 东湖街道
OTHER_COMMUNITY = "990101/001/002"  # 湖畔社区

MEMBER_A = Actor.of("member-a", "党员甲", ["party_members"], COMMUNITY_PATH)
MEMBER_B = Actor.of("member-b", "党员乙", ["party_members"], COMMUNITY_PATH)
UNIT_ORG = Actor.of("unit-org", "区税务局机关党委", ["resident_units"], COMMUNITY_PATH)
COMMUNITY = Actor.of("community-1", "社区干部", ["community"], COMMUNITY_PATH)
PARTY_ORG = Actor.of("party-1", "社区书记", ["party_org"], COMMUNITY_PATH)
COMMITTEE = Actor.of("committee-1", "党工委委员", ["party_committee"], "990101/001")
COMMITTEE_PII = Actor.of("committee-2", "党工委组织委员", ["party_committee"], "990101/001", ["pii"])
OTHER_STREET = Actor.of("committee-9", "别的街道", ["party_committee"], "990101/002")
RESIDENT = Actor.of("res-1", "居民王大妈", ["resident"], COMMUNITY_PATH + "/01")

MEMBER_FORM = {"registrant_type": "在职党员", "name": "张红", "phone": "13900001111", "work_unit": "区税务局",
               "community": COMMUNITY_PATH, "year": 2026}


@pytest.fixture
def party(make_engine: Callable[..., Engine], clock: MovableClock) -> Engine:
    clock.set(datetime(2026, 11, 5, 10, 0, tzinfo=CST))  # a Thursday
    engine = make_engine(plugins=[WhistlePlugin(), PartyPlugin()], disable_plugins=["whistle", "party"])
    engine.deploy([bpmn_package_path() / "party", bpmn_package_path() / "micro_wish"])
    return engine


def register(engine: Engine, actor: Actor, confirm: bool = True, **form: Any) -> str:
    """Register ``actor`` (the member form, changed by ``form``) and let the community confirm it."""
    inst = engine.start("party_registration", actor, {**MEMBER_FORM, **form})
    [task] = engine.instance(inst.id, COMMUNITY).open_tasks
    data = {"confirmed": True} if confirm else {"confirmed": False, "refuse_reason": "不在本社区居住"}
    engine.complete(task.id, COMMUNITY, data)
    return inst.id


def report_service(engine: Engine, actor: Actor, kind: str, confirm: bool = True) -> str:
    inst = engine.start("party_service", actor, {"kind": kind, "description": "帮助独居老人打扫卫生"})
    [task] = engine.instance(inst.id, COMMUNITY).open_tasks
    engine.complete(task.id, COMMUNITY, {"confirmed": True} if confirm else {"confirmed": False, "refuse_reason": "查无此事"})
    return inst.id


def claimed_wish(engine: Engine, member: Actor, mode: str = "党员志愿服务", done: bool = True) -> str:
    """A published micro-wish that ``member`` claims and handles, evaluated by the 党工委."""
    inst = engine.start("micro_wish", RESIDENT, {"wish": "帮忙修水龙头", "category": "生活帮扶", "requester": "王大妈",
                                                 "phone": "13812341234"})

    def task() -> Any:
        [open_task] = engine.instance(inst.id, COMMITTEE).open_tasks
        return open_task

    engine.complete(task().id, PARTY_ORG, {"accepted": True, "service_mode": mode, "dispatch": "发布认领"})
    engine.claim(task().id, member)
    engine.complete(task().id, member, {"result": "已更换水龙头"})
    engine.complete(task().id, RESIDENT, {"resident_met": True})
    engine.complete(task().id, COMMITTEE, {"done": done, "rating": 5})
    return inst.id


def report(engine: Engine, name: str) -> Any:
    return next(r for found in engine.pm.hook.gongzhi_register_reports() for r in found if r.name == name)


def rows_by_member(engine: Engine, actor: Actor, **params: Any) -> dict[str, dict[str, Any]]:
    """The party-members report as ``actor`` sees it (through Report.run: its scope applies)."""
    return {r["member"]: r for r in report(engine, "party-members").run(engine, actor, year="2026", **params)}


# --- registration ------------------------------------------------------------------------------


def test_registration_is_confirmed_by_the_community(party: Engine) -> None:
    iid = party.start("party_registration", MEMBER_A, MEMBER_FORM).id
    [task] = party.instance(iid, COMMUNITY).open_tasks
    assert task.candidate_groups == ["community"]
    assert party.task(task.id, COMMUNITY).instructions == "在职党员“张红”（区税务局）申请 2026 年度到翠苑社区报到，请确认。"
    assert rows_by_member(party, COMMITTEE) == {}  # not yet confirmed: not counted
    party.complete(task.id, COMMUNITY, {"confirmed": True})
    [row] = rows_by_member(party, COMMITTEE).values()
    assert row["member"] == "member-a" and row["community"] == COMMUNITY_PATH
    assert (row["volunteer_done"], row["volunteer_required"], row["solved_done"], row["solved_required"]) == (0, 2, 0, 1)
    assert row["met"] is False and row["shortfall"] == "志愿服务差 2 次；解决实际困难差 1 个"


def test_unknown_community_is_a_field_error(party: Engine) -> None:
    for wrong in ("990101/001/999", "990101/001/001/01"):  # unknown, and a grid rather than a community
        with pytest.raises(FormValidationError) as exc:
            party.start("party_registration", MEMBER_A, {**MEMBER_FORM, "community": wrong})
        assert exc.value.errors[0]["field"] == "community"
        assert "组织目录中没有这个社区" in exc.value.errors[0]["message"]
    assert party.instances(COMMITTEE).total == 0


def test_a_member_registers_once_a_year(party: Engine) -> None:
    register(party, MEMBER_A)
    with pytest.raises(ServiceTaskError) as exc:
        party.start("party_registration", MEMBER_A, {**MEMBER_FORM, "community": OTHER_COMMUNITY})
    assert exc.value.http_status == 422 and "同一年度只能报到一次" in str(exc.value)
    assert party.instances(COMMITTEE).total == 1  # nothing half-written
    register(party, MEMBER_A, year=2027)  # another year is another registration
    with pytest.raises(ServiceTaskError):  # a waiting (unconfirmed) registration blocks too
        party.start("party_registration", MEMBER_A, {**MEMBER_FORM, "year": 2027})


def test_a_refused_registration_does_not_block_a_new_one(party: Engine) -> None:
    register(party, MEMBER_A, confirm=False)
    assert rows_by_member(party, COMMITTEE) == {}
    register(party, MEMBER_A)
    assert list(rows_by_member(party, COMMITTEE)) == ["member-a"]


def test_a_unit_registers_once_a_year_by_its_name(party: Engine) -> None:
    unit = {"registrant_type": "单位党组织", "name": "区税务局机关党委", "work_unit": "区税务局"}
    register(party, UNIT_ORG, **unit)
    with pytest.raises(ServiceTaskError):
        party.start("party_registration", UNIT_ORG, {**MEMBER_FORM, **unit, "phone": "13900002222"})
    register(party, MEMBER_A)  # a member of the same unit registers on their own
    rows = rows_by_member(party, COMMITTEE)
    assert (rows["unit-org"]["volunteer_required"], rows["unit-org"]["solved_required"]) == (4, 2)


# --- services and points -----------------------------------------------------------------------


def test_claimed_micro_wishes_and_confirmed_reports_count(party: Engine) -> None:
    register(party, MEMBER_A)
    register(party, MEMBER_B, phone="13900003333", name="李明")
    claimed_wish(party, MEMBER_A)
    claimed_wish(party, MEMBER_A)
    claimed_wish(party, MEMBER_B, mode="社会化微利服务")  # not a party member's volunteer service
    claimed_wish(party, MEMBER_B, done=False)  # not done: back to the party organisation, not counted
    report_service(party, MEMBER_A, "解决困难")
    report_service(party, MEMBER_B, "解决困难", confirm=False)  # the community did not confirm it
    rows = rows_by_member(party, COMMITTEE)
    a, b = rows["member-a"], rows["member-b"]
    assert (a["volunteer_done"], a["solved_done"], a["met"], a["shortfall"]) == (2, 1, True, "无")
    assert a["points"] == 2 * 5 + 10  # DMN 党员服务积分
    assert (b["volunteer_done"], b["solved_done"], b["met"], b["points"]) == (0, 0, False, 0)


def test_points_stop_at_the_yearly_cap(party: Engine) -> None:
    register(party, MEMBER_A)
    for _ in range(4):
        report_service(party, MEMBER_A, "解决困难")
    assert rows_by_member(party, COMMITTEE)["member-a"]["points"] == 30  # 40 capped by 党员积分年度上限


def test_services_count_in_the_year_their_case_ended(party: Engine, clock: MovableClock) -> None:
    register(party, MEMBER_A)
    register(party, MEMBER_A, year=2027)
    report_service(party, MEMBER_A, "志愿服务")
    clock.set(datetime(2027, 1, 4, 10, 0, tzinfo=CST))
    report_service(party, MEMBER_A, "解决困难")
    assert rows_by_member(party, COMMITTEE)["member-a"]["volunteer_done"] == 1
    rows_2027 = {r["member"]: r for r in member_rows(party, COMMITTEE, 2027)}
    assert (rows_2027["member-a"]["volunteer_done"], rows_2027["member-a"]["solved_done"]) == (0, 1)


def test_commitments_come_from_the_deployed_decision(party: Engine, tmp_path: Path) -> None:
    source = (bpmn_package_path() / "party" / "party_rules.dmn").read_text(encoding="utf-8")
    changed = source.replace('<outputEntry id="LiteralExpression_member_volunteer"><text>2</text>',
                             '<outputEntry id="LiteralExpression_member_volunteer"><text>1</text>')
    assert changed != source
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "party_rules.dmn").write_text(changed, encoding="utf-8")
    party.deploy([tmp_path / "rules"])
    register(party, MEMBER_A)
    report_service(party, MEMBER_A, "志愿服务")
    report_service(party, MEMBER_A, "解决困难")
    row = rows_by_member(party, COMMITTEE)["member-a"]
    assert (row["volunteer_required"], row["met"]) == (1, True)


# --- reports: per unit, scope, personal data, HTTP ----------------------------------------------


def test_unit_report_lists_who_fell_short_with_names_masked(party: Engine) -> None:
    register(party, MEMBER_A)
    register(party, MEMBER_B, phone="13900003333", name="李明")
    register(party, UNIT_ORG, registrant_type="单位党组织", name="区教育局机关党委", work_unit="区教育局")
    for kind in ("志愿服务", "志愿服务", "解决困难"):
        report_service(party, MEMBER_A, kind)
    units = report(party, "party-units")
    masked = {r["work_unit"]: r for r in units.run(party, COMMITTEE, year="2026")}
    assert (masked["区税务局"]["registrants"], masked["区税务局"]["met"], masked["区税务局"]["fell_short"]) == (2, 1, 1)
    assert "李明" not in masked["区税务局"]["short_names"] and masked["区税务局"]["short_names"] != "无"
    shown = {r["work_unit"]: r for r in units.run(party, COMMITTEE_PII, year="2026")}
    assert shown["区税务局"]["short_names"] == "李明" and shown["区教育局"]["short_names"] == "区教育局机关党委"
    members = {r["member"]: r for r in member_rows(party, COMMITTEE, 2026)}
    assert "张红" not in members["member-a"]["name"] and "13900001111" not in str(members)


def test_reports_are_region_scoped(party: Engine) -> None:
    register(party, MEMBER_A)
    members = report(party, "party-members")
    assert members.run(party, OTHER_STREET, year="2026") == []
    with pytest.raises(NotAllowed):
        members.run(party, OTHER_STREET, year="2026", community=COMMUNITY_PATH)
    with pytest.raises(InvalidInput):
        members.run(party, COMMITTEE, year="明年")


def test_reports_over_http(party: Engine) -> None:
    register(party, MEMBER_A)
    report_service(party, MEMBER_A, "志愿服务")
    client = create_app(engine=party).test_client()

    def headers(actor: Actor) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint(party.config.secret_key, actor.id, actor.name, actor.groups, actor.region, permissions=actor.permissions)}"}

    ok = client.get("/api/v1/reports/party-members?year=2026", headers=headers(COMMITTEE))
    assert ok.status_code == 200, ok.get_json()
    [row] = ok.get_json()["data"]
    assert (row["member"], row["volunteer_done"]) == ("member-a", 1)
    csv = client.get("/api/v1/reports/party-units?year=2026&format=csv", headers=headers(COMMITTEE))
    assert csv.status_code == 200 and "未完成名单" in csv.get_data(as_text=True)
    bad = client.get("/api/v1/reports/party-members?year=x", headers=headers(COMMITTEE))
    assert bad.status_code == 422 and bad.headers["Content-Type"].startswith("application/problem+json")


ANY_FLOW = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="Definitions_visit_like" targetNamespace="http://gongzhi.example/bpmn">
  <bpmn:process id="visit_like" name="入户走访（示例）" isExecutable="true">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="viewerGroups" value="party_committee" />
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="record" name="记录服务"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>party_service = {"member": "member-b", "kind": "解决困难", "source": "走访"}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="record" />
    <bpmn:sequenceFlow id="f2" sourceRef="record" targetRef="end" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="p" bpmnElement="visit_like">
    <bpmndi:BPMNShape id="s1" bpmnElement="start"><dc:Bounds x="100" y="100" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s2" bpmnElement="record"><dc:Bounds x="180" y="78" width="100" height="80" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s3" bpmnElement="end"><dc:Bounds x="330" y="100" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="e1" bpmnElement="f1"><di:waypoint x="136" y="118" /><di:waypoint x="180" y="118" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="e2" bpmnElement="f2"><di:waypoint x="280" y="118" /><di:waypoint x="330" y="118" /></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def test_any_flow_declares_a_service_by_naming_the_member(party: Engine, tmp_path: Path) -> None:
    """What a grid visit or mobilisation does to count: end with party_service naming the member."""
    (tmp_path / "flow").mkdir()
    (tmp_path / "flow" / "visit_like.bpmn").write_text(ANY_FLOW, encoding="utf-8")
    party.deploy([tmp_path / "flow"])
    register(party, MEMBER_B, phone="13900003333", name="李明")
    grid_worker = Actor.of("grid-1", "网格员", ["grid"], COMMUNITY_PATH)
    assert party.start("visit_like", grid_worker, {}).status == "completed"
    row = rows_by_member(party, COMMITTEE_PII)["member-b"]
    assert (row["solved_done"], row["points"], row["name"]) == (1, 10, "李明")
