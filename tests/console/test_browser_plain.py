"""The console in plain words for people who are not administrators (issue 18; issue 17 item 9): a
case's data under its form titles with department, group and region names — no codes, no ISO times,
no raw booleans — on the instance and task pages; a child case links back to the case that started
it; and a case's waiting timers are shown to everyone who may read it."""

from __future__ import annotations

import re
from typing import Any

from .conftest import Server, snapshot
from .test_browser import FIXTURES, sign_in, whistled
from .test_browser_admin import parent_and_child

# What a person must never read: ISO times or durations, raw booleans or "None", directory codes
# (the department "huanjing", the group "dept_huanjing", region paths) and snake_case field names.
MACHINE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}|\bP(?:T?\d+[YMWDHS])+\b|\b(?:true|false|null|None|True|False)\b"
                     r"|\bhuanjing\b|\bdept_\w+|\b\d{6}(?:/\d{3})+\b|\b[a-z]+_[a-z_]+\b")


def machine_text(page: Any) -> list[str]:
    return MACHINE.findall(page.locator("main").inner_text())


def test_instance_and_task_pages_show_names_not_codes(page: Any, server: Server) -> None:
    case = whistled(server)
    sign_in(page, server, "dept_huanjing", "990101")
    page.goto(f"{server.base}/console/#/instances/{case}")
    page.get_by_role("heading", name="办理记录").wait_for()
    data = page.locator("section.card dl.vars").nth(1).inner_text()
    assert "主办部门" in data and "生态环境分局" in data, data  # lead_department: huanjing
    assert "问题描述" in data and "楼下餐馆油烟直排" in data, data
    assert "流程自动计算的数据" in page.locator("main").inner_text()  # working values are counted, not listed
    assert machine_text(page) == [], machine_text(page)
    timeline = page.locator(".timeline").inner_text()
    assert "依据「" in timeline and "DecisionRule" not in timeline, timeline  # decisions by their rules' words
    page.get_by_role("heading", name="案件数据").evaluate("h => window.scrollTo(0, h.offsetTop - 70)")
    snapshot(page, "instance-data")

    token = server.token("dept_huanjing", "990101")
    task = next(t for t in server.call("GET", f"/tasks?instance_id={case}", token)["items"] if t["element_id"] == "sign_in")
    page.goto(f"{server.base}/console/#/tasks/{task['id']}")
    page.wait_for_function("""() => [...document.querySelectorAll('select[name="root[sign_decision]"]')]
        .some((s) => s.getClientRects().length > 0)""")
    facts = page.locator("main").inner_text()
    assert "生态环境分局" in facts and "问题描述" in facts, facts
    assert machine_text(page) == [], machine_text(page)


def test_a_child_case_links_back_to_its_parent(page: Any, server: Server) -> None:
    parent, child, _ = parent_and_child(server)
    sign_in(page, server, "admin")
    page.goto(f"{server.base}/console/#/instances/{child['id']}")
    link = page.get_by_role("link", name="打开发起本案件的上级案件")
    link.wait_for()
    link.click()
    page.wait_for_url(re.compile(rf"#/instances/{parent['id']}$"))
    page.locator(".gz-link", has_text="打开子案件").wait_for()  # and the parent drills down again
    assert page.get_by_role("link", name="打开发起本案件的上级案件").count() == 0


def test_a_street_officer_who_may_read_the_case_sees_its_timer(page: Any, server: Server) -> None:
    # The test reminder, readable by the street's officers (viewerGroups), as the bundled flows declare it.
    source = (FIXTURES / "timers" / "reminder.bpmn").read_text(encoding="utf-8")
    opening = re.search(r'<bpmn:process id="reminder"[^>]*>', source).group(0)
    viewers = ('<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="viewerGroups" '
               'value="street" /></spiffworkflow:properties></bpmn:extensionElements>')
    files = [{"name": "reminder.bpmn", "content": source.replace(opening, opening + viewers)},
             {"name": "empty.json", "content": (FIXTURES / "timers" / "empty.json").read_text(encoding="utf-8")}]
    admin = server.token("admin")
    server.call("POST", "/deployments", admin, {"files": files})
    case = server.call("POST", "/process-instances", admin,
                       {"process_key": "reminder", "region": "990101/001", "variables": {"notice_days": 3}})
    sign_in(page, server, "street", "990101/001")
    page.goto(f"{server.base}/console/#/instances/{case['id']}")
    page.locator('[data-element-id="notice_period"].gz-timer').wait_for()
    timers = page.locator("ul.timers").inner_text()
    assert "公示期满：" in timers and re.search(r"\d+月\d+日 \d\d:\d\d（\d+ 天内）", timers), timers  # 3 working days
    assert page.get_by_role("link", name="故障").count() == 0  # still not an administrator


def test_the_micro_wish_diagram_is_drawn_with_its_lanes(page: Any, server: Server) -> None:
    sign_in(page, server, "community", "990101/001/001")
    page.get_by_role("link", name="流程与规则").click()
    page.get_by_role("link", name="微心愿点单接单", exact=True).click()
    page.locator('[data-element-id="place_order"]').wait_for()
    diagram = page.locator(".diagram").inner_text()
    assert "审核并下单" in diagram and "接单办理" in diagram, diagram
    versions = page.locator("table").inner_text()
    assert re.search(r"流程图 \d+ 个", versions) and ".bpmn" not in versions, versions  # no file paths
    snapshot(page, "definition-micro-wish")
