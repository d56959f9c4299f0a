"""The console in a real browser against a real server: sign-in, the whistle diagram, taking in
a report through the start form, a task with a conditional field, the instance diagram, the
designer's loop, an incident retried, a report chart, and residents' text shown as text."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from gongzhi.config import DEFAULT_SECRET_KEY
from gongzhi.security.tokens import mint

from .conftest import Server, snapshot

GRID = "990101/001/001/01"
INTAKE = {
    "channel": "微信", "category_l1": "生态环境", "category_l2": "餐饮油烟", "category_l3": "油烟直排",
    "case_type": "投诉", "description": "楼下餐馆油烟直排", "address": "翠苑路 1 号", "grid": GRID,
    "reporter_name": "王秀英", "reporter_mobile": "13800138000", "urgency": "一般", "emergency": "无",
}
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def sign_in(page: Any, server: Server, group: str, region: str | None = None) -> None:
    page.goto(f"{server.base}/console/dev/sign-in")
    page.get_by_label("角色").select_option(group)
    if region:
        page.get_by_label("所在区域").select_option(region)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/console/#/tasks$"))
    page.get_by_role("heading", name="我的待办").wait_for()


def whistled(server: Server, description: str = "楼下餐馆油烟直排", business_key: str | None = None) -> str:
    """A whistle case waiting for 生态环境分局 to sign for it; returns its id."""
    resident = server.token("resident", GRID)
    body: dict[str, Any] = {"process_key": "whistle_dispatch", "region": GRID,
                            "variables": {**INTAKE, "description": description}}
    if business_key:
        body["business_key"] = business_key
    case = server.call("POST", "/process-instances", resident, body)
    street = server.token("street", "990101/001")
    task = next(t for t in server.call("GET", f"/tasks?instance_id={case['id']}", street)["items"]
                if t["element_id"] == "blow_whistle")
    server.call("POST", f"/tasks/{task['id']}/complete", street, {"data": {
        "whistle_level": "常规哨", "lead_department": "huanjing", "co_departments": [], "whistle_reason": "油烟扰民"}})
    return case["id"]


def test_sign_in_as_a_role_shows_who_and_where(page: Any, server: Server) -> None:
    sign_in(page, server, "street", "990101/001")
    assert "街道吹哨报到中心" in page.locator("#who").inner_text()
    assert "东湖街道" in page.locator("#who").inner_text()
    assert page.get_by_role("link", name="故障").count() == 0  # incidents are for admins
    snapshot(page, "tasks")


def test_expired_token_sends_back_to_sign_in(page: Any, server: Server) -> None:
    page.goto(f"{server.base}/console/dev/sign-in")
    secret = DEFAULT_SECRET_KEY  # what the --dev server signs with (its environment sets no secret)
    old = mint(secret, "u1", "老用户", ["street"], "990101/001", timedelta(hours=1),
               now=datetime.now(timezone.utc) - timedelta(hours=3))
    page.evaluate("t => sessionStorage.setItem('gongzhi.token', t)", old)
    page.goto(f"{server.base}/console/#/tasks")
    page.get_by_text("登录已过期，请重新登录。").wait_for()
    assert "dev/sign-in?reason=expired" in page.url
    assert page.evaluate("sessionStorage.getItem('gongzhi.token')") is None


def test_whistle_diagram_is_drawn_with_the_watermark(page: Any, server: Server) -> None:
    sign_in(page, server, "admin")
    page.get_by_role("link", name="流程与规则").click()
    page.get_by_role("link", name="吹哨报到", exact=True).click()
    page.locator('[data-element-id="blow_whistle"]').wait_for()
    assert page.locator(".bjs-powered-by").is_visible()
    snapshot(page, "definition")


def test_take_in_a_report_through_the_start_form(page: Any, server: Server) -> None:
    sign_in(page, server, "grid", "990101/001/001")
    page.goto(f"{server.base}/console/#/start/micro_wish")
    page.locator('[name="root[wish]"]').fill("帮忙预约体检")
    page.locator('[name="root[category]"]').select_option("就医")
    page.locator('[name="root[requester]"]').fill("王大妈")
    page.locator('[name="root[phone]"]').fill("13812341234")
    snapshot(page, "start-form")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(r"#/instances/"))
    page.get_by_role("heading", name="办理记录").wait_for()
    assert "微心愿点单接单" in page.locator("h1").inner_text()
    assert "帮忙预约体检" in page.locator("main").inner_text()


def test_task_with_a_conditional_field_shows_the_server_error_then_completes(page: Any, server: Server) -> None:
    case = whistled(server)
    sign_in(page, server, "dept_huanjing", "990101")
    token = server.token("dept_huanjing", "990101")
    task = next(t for t in server.call("GET", f"/tasks?instance_id={case}", token)["items"] if t["element_id"] == "sign_in")
    page.goto(f"{server.base}/console/#/tasks/{task['id']}")
    # json-editor builds the conditional form in two passes: wait until the field people see is the named one.
    page.wait_for_function("""() => [...document.querySelectorAll('select[name="root[sign_decision]"]')]
        .some((s) => s.getClientRects().length > 0)""")
    page.locator('[name="root[sign_decision]"]').select_option("退单")
    page.get_by_role("button", name="提交办理").click()
    errors = page.locator(".form-errors")
    errors.locator("li", has_text="退单理由").wait_for()  # the server's error, named by the field's title
    snapshot(page, "task")
    assert server.call("GET", f"/tasks/{task['id']}", token)["status"] == "open"
    page.locator('[name="root[return_reason]"]').fill("油烟排放不属本部门职责")
    page.get_by_role("button", name="提交办理").click()
    page.wait_for_url(re.compile(r"#/instances/"))
    assert server.call("GET", f"/tasks/{task['id']}", token)["status"] == "completed"


def test_instance_diagram_marks_the_open_task(page: Any, server: Server) -> None:
    grid = server.token("grid", "990101/001/001")
    case = server.call("POST", "/process-instances", grid, {"process_key": "micro_wish", "variables": {
        "wish": "修理轮椅", "category": "助老", "requester": "张奶奶", "phone": "13700001234"}})
    sign_in(page, server, "admin")
    page.goto(f"{server.base}/console/#/instances/{case['id']}")
    element = case["open_tasks"][0]["element_id"]
    page.locator(f'[data-element-id="{element}"].gz-open').wait_for()
    assert page.locator('[data-element-id="decide_deadline"].gz-done').count() == 1
    assert case["open_tasks"][0]["name"] in page.locator(".open-tasks").inner_text()
    snapshot(page, "instance")


def test_designer_changes_a_rule_sees_the_marker_deploys_and_a_new_case_uses_it(page: Any, server: Server) -> None:
    sign_in(page, server, "admin")
    page.goto(f"{server.base}/console/#/designer/micro_wish")
    cell = page.locator('td[data-element-id="LiteralExpression_r2"]')
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(">> (")
    page.get_by_role("button", name="校验").click()
    page.locator('td.gz-problem[data-element-id="LiteralExpression_r2"]').wait_for()
    assert "校验未通过" in page.locator("main [role=status]").inner_text()
    table = page.locator(".dmn-host").inner_text()  # dmn-js speaks Chinese (js/dmn-zh.js)
    assert "命中策略" in table and "Hit policy" not in table and "View DRD" not in table, table
    snapshot(page, "designer")
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("4")
    page.get_by_role("button", name="校验").click()
    page.get_by_text("校验通过").wait_for()
    page.get_by_role("button", name="部署新版本").click()
    page.get_by_text("已部署第 2 版").wait_for()
    page.get_by_role("link", name="用新版本发起案件").click()
    page.locator('[name="root[wish]"]').fill("陪同就医")
    page.locator('[name="root[category]"]').select_option("就医")
    page.locator('[name="root[requester]"]').fill("李大爷")
    page.locator('[name="root[phone]"]').fill("13900001111")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(r"#/instances/"), timeout=60000)  # the new version's first start parses it
    instance = server.call("GET", f"/process-instances/{page.url.rsplit('/', 1)[1]}", server.token("admin"))
    assert instance["version"] == 2 and instance["variables"]["handle_days"] == 4


def test_incident_is_retried_after_the_cause_is_fixed(page: Any, server: Server) -> None:
    admin = server.token("admin")
    parent = (FIXTURES / "subcase" / "parent.bpmn").read_text(encoding="utf-8")
    server.call("POST", "/deployments", admin, {"files": [{"name": "parent.bpmn", "content": parent}]})
    case = server.call("POST", "/process-instances", admin,
                       {"process_key": "parent_case", "region": "990101", "variables": {"topic": "楼道堆物"}})
    deadline = time.monotonic() + 30
    while not [i for i in server.call("GET", "/incidents", admin)["items"] if i["instance_id"] == case["id"]]:
        assert time.monotonic() < deadline, "no incident appeared"
        time.sleep(0.5)
    sign_in(page, server, "admin")
    page.get_by_role("link", name="故障").click()
    row = page.locator("tr", has_text="child_case")
    row.wait_for()
    snapshot(page, "incidents")
    files = [{"name": p.name, "content": p.read_text(encoding="utf-8")} for p in (FIXTURES / "subcase").iterdir()
             if p.name != "parent.bpmn"]
    server.call("POST", "/deployments", admin, {"files": files})  # the cause: the called process was missing
    row.get_by_role("button", name="重试").click()
    page.get_by_text("已重新排队").wait_for()
    deadline = time.monotonic() + 30
    while server.call("GET", f"/process-instances?process_key=child_case", admin)["total"] == 0:
        assert time.monotonic() < deadline, "the retried job did not start the child case"
        time.sleep(0.5)


def test_report_chart_is_drawn(page: Any, server: Server) -> None:
    whistled(server)
    sign_in(page, server, "admin")
    page.goto(f"{server.base}/console/#/reports/whistle-departments")
    page.locator(".chart svg").wait_for()
    assert "生态环境分局" in page.locator("table").inner_text()
    text = page.locator("table").inner_text()
    assert "响应率" in text and re.search(r"\d%", text) and not re.search(r"\b0\.\d", text)  # rates as percentages
    assert "%" in page.locator(".chart svg").text_content()  # and so does the chart's axis
    snapshot(page, "report")


def test_a_report_shows_its_headed_columns_with_names_and_percentages(page: Any, server: Server) -> None:
    community = server.token("community", "990101/001/001")
    case = server.call("POST", "/process-instances", community, {
        "process_key": "grid_mobilisation", "region": "990101/001/001",
        "variables": {"community": "990101/001/001", "subject": "寒潮来临，通知独居老人做好防寒", "urgency": "一般"}})
    admin = server.token("admin")
    deadline = time.monotonic() + 30
    while not server.call("GET", f"/reports/grid-mobilisation?mobilisation={case['id']}", admin)["data"]:
        assert time.monotonic() < deadline, "the worker did not start the micro-grid tasks"
        time.sleep(0.5)
    sign_in(page, server, "admin")
    page.goto(f"{server.base}/console/#/reports/grid-mobilisation?mobilisation={case['id']}")
    page.get_by_role("heading", name="入户组织动员进度").wait_for()
    page.locator("table").get_by_text("翠苑一网格第五微网格").wait_for()
    text = page.locator("table").inner_text()
    # The columns the exports show, in Chinese: the member's (masked) name, not their group code; coverage in percent.
    assert text.splitlines()[0].split("\t") == ["动员事项", "微网格", "网格员", "户数", "已入户", "入户覆盖率", "状态", "完成时限"]
    assert "网格员郑**" in text and "0%" in text and "待确认" in text
    assert "grid_member_" not in text and "990101" not in text and case["id"] not in text
    chart = page.locator(".chart svg").text_content() or ""
    assert "翠苑一网格第一微网格" in chart and "100%" in chart  # bars per micro-grid, coverage on a percent axis


def test_markup_in_a_case_is_shown_as_text(page: Any, server: Server) -> None:
    evil = "<img src=x onerror=alert(1)>"
    case = whistled(server, description=evil, business_key=evil)
    sign_in(page, server, "admin")
    page.goto(f"{server.base}/console/#/instances?business_key={evil}")
    page.get_by_text(evil).first.wait_for()
    page.goto(f"{server.base}/console/#/instances/{case}")
    page.get_by_role("heading", name="办理记录").wait_for()
    assert evil in page.locator("main").inner_text()
    assert page.locator("main img").count() == 0  # the page fixture also fails on any alert dialog
