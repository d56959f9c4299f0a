"""The annual 以下评上 round (issue 20 item 6): the district starts it once a year, each community rates
its linked units and 下沉力量 on the criteria the DMN gives, and the annual report combines those
ratings with the case ratings by DMN weights before the veto rules apply."""

from __future__ import annotations

import re

import pytest

from gongzhi import Actor, FormValidationError, NotAllowed, bpmn_package_path
from gongzhi.definitions.sources import SourceFile
from gongzhi.humanize import looks_like_machine_text
from gongzhi.plugins.whistle import Directory, annual_ratings

ANNUAL = bpmn_package_path() / "whistle" / "whistle_annual.dmn"
CUIYUAN, HUPAN = "990101/001/001", "990101/001/002"
ALL_FIVE = {"报到响应": 5, "服务成效": 5, "群众口碑": 5}


def start_review(world, year: int = 2025):
    view = world.engine.start("whistle_annual_review", world.actors["district"], {"review_year": year}, region="990101")
    world.engine.run_due_jobs()  # the asynchronous step that starts the communities' cases
    return world.engine.instance(view.id, world.admin)


def community_actor(path: str) -> Actor:
    return Actor.of(f"comm-{path}", "社区主任", ["community"], path)


def rating_task(world, path: str):
    [task] = [t for t in world.engine.tasks(community_actor(path)).items if t.element_id == "community_annual_rate"]
    return task


def rate(world, path: str, marks: dict[str, dict[str, int]]):
    return world.engine.complete(rating_task(world, path).id, community_actor(path), {"unit_ratings": marks})


def test_the_district_starts_one_rating_per_community_each_seeing_only_its_own(world):
    review = start_review(world)
    assert review.status == "completed"
    directory = Directory.load()
    expected = [c.path for c in directory.communities() if directory.units_rated_by(c.path)]
    assert [c["community"] for c in review.variables["rating_cases"]] == expected and len(expected) == 4
    for path in expected:
        [task] = [t for t in world.engine.tasks(community_actor(path)).items]  # its own, nobody else's
        assert task.element_id == "community_annual_rate" and task.region == path
    text = world.engine.task(rating_task(world, CUIYUAN).id, community_actor(CUIYUAN)).instructions
    assert "翠苑社区" in text and "生态环境分局（挂钩联系单位）" in text and "城管执法局（下沉力量）" in text
    assert "服务成效（满分 40 分）" in text and looks_like_machine_text(text) == []
    assert "huanjing" not in text
    # a second start for the same year starts nothing new
    again = start_review(world)
    assert [c["instance_id"] for c in again.variables["rating_cases"]] == [c["instance_id"] for c in review.variables["rating_cases"]]


def test_the_round_covers_the_starters_region_and_the_year_is_checked(world):
    with pytest.raises(NotAllowed):  # a community cannot start the district's round
        world.engine.start("whistle_annual_review", world.actors["community"], {"review_year": 2025}, region="990101")
    street = world.engine.start("whistle_annual_review", world.actors["street"], {"review_year": 2025}, region="990101/001")
    world.engine.run_due_jobs()
    started = world.engine.instance(street.id, world.admin).variables["rating_cases"]
    assert [c["community"] for c in started] == [CUIYUAN, HUPAN]  # its own communities only
    with pytest.raises(FormValidationError):
        world.engine.start("whistle_annual_review", world.actors["district"], {"review_year": 25}, region="990101")


def test_the_form_takes_the_units_and_criteria_from_the_directory_and_the_table(world):
    start_review(world)
    task = world.engine.task(rating_task(world, CUIYUAN).id, community_actor(CUIYUAN))
    ratings = task.form["properties"]["unit_ratings"]
    assert ratings["minProperties"] == 3
    assert ratings["propertyNames"]["allOf"][0]["enum"] == ["huanjing", "chengguan", "gongan"]
    assert {"const": "huanjing", "title": "生态环境分局"} in ratings["propertyNames"]["oneOf"]
    assert ratings["additionalProperties"]["propertyNames"]["enum"] == ["报到响应", "服务成效", "群众口碑"]
    good = {"huanjing": ALL_FIVE, "chengguan": ALL_FIVE, "gongan": ALL_FIVE}
    bad = [
        {"huanjing": ALL_FIVE, "chengguan": ALL_FIVE},  # a unit left out
        {**good, "shichang": ALL_FIVE},  # not this community's unit
        {**good, "gongan": {"报到响应": 5, "服务成效": 5}},  # a criterion left out
        {**good, "gongan": {**ALL_FIVE, "出勤": 5}},  # no such criterion
        {**good, "gongan": {**ALL_FIVE, "群众口碑": 6}},  # off the 1–5 scale
    ]
    for marks in bad:
        with pytest.raises(FormValidationError):
            rate(world, CUIYUAN, marks)
    done = rate(world, CUIYUAN, {**good, "gongan": {"报到响应": 5, "服务成效": 3, "群众口碑": 1}})
    assert done.status == "completed"
    units = {u["dept"]: u["score"] for u in done.variables["annual_rating"]["units"]}
    # 5/5 × 30 + 3/5 × 40 + 1/5 × 30 = 30 + 24 + 6
    assert units == {"huanjing": 100.0, "chengguan": 100.0, "gongan": 60.0}
    assert done.variables["annual_rating"]["rated_by"] == "社区主任"


def finished_case(world, dept: str, street_score: int, community_score: int) -> None:
    iid = world.start().id
    world.whistle(iid, dept, [])
    world.handle(iid, dept)
    world.rate(iid, street_score=street_score, community_score=community_score)
    assert world.follow_up(iid).status == "completed"


def test_the_annual_result_combines_case_and_community_ratings_by_the_table(world):
    finished_case(world, "huanjing", street_score=4, community_score=4)  # case score 80
    start_review(world)
    rate(world, CUIYUAN, {"huanjing": {"报到响应": 5, "服务成效": 5, "群众口碑": 5},
                          "chengguan": {"报到响应": 3, "服务成效": 3, "群众口碑": 3},
                          "gongan": ALL_FIVE})
    rate(world, HUPAN, {"zhujian": ALL_FIVE, "chengguan": {"报到响应": 5, "服务成效": 5, "群众口碑": 5},
                        "shichang": ALL_FIVE})
    rows = {r["department"]: r for r in annual_ratings(world.engine, year=2025)}
    env = rows["huanjing"]
    assert (env["case_score"], env["reviews"], env["review_score"]) == (80.0, 1, 100.0)
    assert env["rated_score"] == round(0.6 * 80 + 0.4 * 100, 2) == env["score"] and env["grade"] == "合格"
    city = rows["chengguan"]  # rated by two communities, no case this year: the review alone
    assert (city["case_score"], city["reviews"], city["review_score"], city["score"]) == (None, 2, 80.0, 80.0)
    assert city["grade"] == "合格"
    assert "shuiwu" not in rows  # 山前社区 has not rated yet: nothing invented

    text = ANNUAL.read_text(encoding="utf-8")
    for cell, value in (("annual_weights_default_o0", "0.2"), ("annual_weights_default_o1", "0.8")):
        text, count = re.subn(rf'(<outputEntry id="{cell}"><text>)[^<]*(</text>)', rf"\g<1>{value}\g<2>", text)
        assert count == 1
    world.engine.deploy(sources=[SourceFile("whistle_annual.dmn", text.encode())], actor=world.admin)
    env = {r["department"]: r for r in annual_ratings(world.engine, year=2025)}["huanjing"]
    assert env["score"] == round(0.2 * 80 + 0.8 * 100, 2)


def test_a_confirmed_refusal_still_fails_a_department_the_communities_rated_well(world):
    iid = world.start().id
    world.whistle(iid, "huanjing", [])
    world.advance(days=2)
    for _ in range(10):
        if any(t.element_id == "confirm_refusal" for t in world.open_tasks(iid)):
            break
        world.advance(days=1)
    world.do(iid, "confirm_refusal", {"refusal_decision": "确认拒不报到", "refusal_reason": "逾期不签收、不到场"})
    world.do(iid, "report_supervise", {"report_supervise_instruction": "限 1 个工作日内到场", "report_supervise_days": 1})
    world.handle(iid, "huanjing", sign=False)
    world.rate(iid)
    world.follow_up(iid)
    start_review(world)
    rate(world, CUIYUAN, {"huanjing": ALL_FIVE, "chengguan": ALL_FIVE, "gongan": ALL_FIVE})
    env = {r["department"]: r for r in annual_ratings(world.engine, year=2025)}["huanjing"]
    assert (env["rated_score"], env["vetoes"], env["score"], env["grade"]) == (100.0, 1, 0.0, "不合格")


def test_the_criteria_are_table_rows(world):
    text = ANNUAL.read_text(encoding="utf-8")
    text, count = re.subn(r'(<outputEntry id="crit_people_o0"><text>)[^<]*(</text>)', r'\g<1>"作风纪律"\g<2>', text)
    assert count == 1
    world.engine.deploy(sources=[SourceFile("whistle_annual.dmn", text.encode())], actor=world.admin)
    start_review(world)
    task = world.engine.task(rating_task(world, CUIYUAN).id, community_actor(CUIYUAN))
    names = task.form["properties"]["unit_ratings"]["additionalProperties"]["propertyNames"]["enum"]
    assert names == ["报到响应", "服务成效", "作风纪律"] and "作风纪律（满分 30 分）" in task.instructions
    marks = {"报到响应": 5, "服务成效": 5, "作风纪律": 5}
    assert rate(world, CUIYUAN, {"huanjing": marks, "chengguan": marks, "gongan": marks}).status == "completed"
