"""The administrator's pages in a real browser: the job queue (任务调度) says the worker is alive and
lists a waiting timer; the instances page searches by region and start date; an instance's diagram
marks its waiting timer and links a call activity to the child case it started; the audit trail of
a case is verified with one click."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from .conftest import Server, snapshot
from .test_browser import sign_in, whistled

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def deploy(server: Server, folder: str) -> None:
    files = [{"name": p.name, "content": p.read_text(encoding="utf-8")} for p in (FIXTURES / folder).iterdir()]
    server.call("POST", "/deployments", server.token("admin"), {"files": files})


def wait_for(check: Any, what: str, seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, what
        time.sleep(0.5)
    return found


def test_jobs_page_shows_the_worker_alive_and_a_waiting_timer(page: Any, server: Server) -> None:
    deploy(server, "timers")
    admin = server.token("admin")
    case = server.call("POST", "/process-instances", admin,
                       {"process_key": "reminder", "region": "990101/001", "variables": {"notice_days": 3}})
    sign_in(page, server, "admin")
    page.get_by_role("link", name="任务调度").click()
    page.get_by_role("heading", name="任务调度").wait_for()
    verdict = page.locator(".worker [role=status]").inner_text()
    assert "后台作业进程" in verdict and "正常" in verdict, verdict
    page.get_by_label("作业状态").select_option("scheduled")
    page.get_by_role("button", name="查询").click()
    row = page.locator("tr", has_text="公示期满")
    row.wait_for()
    text = row.inner_text()
    assert "未到期" in text and "定时" in text and re.search(r"\d+月\d+日 \d\d:\d\d", text), text
    assert not re.search(r"\d{4}-\d{2}-\d{2}T|notice_period|PT\d", page.locator("main").inner_text())
    snapshot(page, "jobs")

    # The case's own page marks the waiting timer on its diagram and lists when it fires.
    row.get_by_role("link").click()
    page.wait_for_url(re.compile(rf"#/instances/{case['id']}$"))
    page.locator('[data-element-id="notice_period"].gz-timer').wait_for()
    assert "公示期满：" in page.locator("ul.timers").inner_text()


def test_call_activity_opens_the_called_process_with_its_open_task(page: Any, server: Server) -> None:
    case = whistled(server)  # waiting for 生态环境分局 to sign, inside the called 部门签收办理
    sign_in(page, server, "admin")
    page.goto(f"{server.base}/console/#/instances/{case}")
    page.locator('[data-element-id="department_work"]').wait_for()
    page.locator(".gz-link", has_text="打开子流程").first.click()
    page.wait_for_url(re.compile(rf"#/instances/{case}\?called=whistle_department$"))
    page.get_by_role("heading", name=re.compile("子流程「")).wait_for()
    page.locator('[data-element-id="sign_in"].gz-open').wait_for()
    snapshot(page, "instance-called")
    page.get_by_role("link", name="返回主流程图").click()
    page.locator('[data-element-id="department_work"]').wait_for()


def parent_and_child(server: Server) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A case whose call activity has started its child case: (parent, child, the admin's token)."""
    deploy(server, "subcase")
    admin = server.token("admin")
    parent = server.call("POST", "/process-instances", admin,
                         {"process_key": "parent_case", "region": "990101", "variables": {"topic": "楼道堆物"}})
    child = wait_for(lambda: server.call("GET", f"/process-instances?parent_id={parent['id']}", admin)["items"],
                     "the call activity did not start its child case")[0]
    return parent, child, admin


def test_a_started_child_case_is_a_click_away_and_the_audit_is_verified(page: Any, server: Server) -> None:
    parent, child, admin = parent_and_child(server)
    sign_in(page, server, "admin")
    page.goto(f"{server.base}/console/#/instances/{parent['id']}")
    link = page.locator(".gz-link", has_text="打开子案件")
    link.wait_for()
    link.click()
    page.wait_for_url(re.compile(rf"#/instances/{child['id']}$"))
    page.get_by_role("heading", name=re.compile("部门办理")).wait_for()

    page.get_by_role("button", name="核验审计记录").click()
    result = page.locator(".audit-ok")
    result.wait_for()
    assert re.search(r"审计记录完好：\d+ 条记录", result.inner_text())


def test_instances_are_searched_by_region_and_start_date(page: Any, server: Server) -> None:
    grid = server.token("grid", "990101/001/001")
    case = server.call("POST", "/process-instances", grid, {"process_key": "micro_wish", "business_key": "WX-REGION-1",
                                                             "variables": {"wish": "修理轮椅", "category": "助老",
                                                                           "requester": "张奶奶", "phone": "13700001234"}})
    sign_in(page, server, "admin")
    page.goto(f"{server.base}/console/#/instances")
    page.get_by_label("区域").select_option("990101/001/001")
    today = page.evaluate("new Intl.DateTimeFormat('sv-SE', {timeZone: 'Asia/Shanghai'}).format(new Date())")
    page.get_by_label("发起日期从").fill(today)
    page.get_by_label("至", exact=True).fill(today)
    page.get_by_role("button", name="查询").click()
    page.wait_for_url(re.compile(r"region=990101%2F001%2F001.*from="))
    page.locator("tr", has_text="WX-REGION-1").wait_for()
    assert all("翠苑社区" in r or "社区" in r for r in page.locator("tbody tr").all_inner_texts())
    snapshot(page, "instances")

    # A day before any case: nothing.
    page.get_by_label("发起日期从").fill("2020-01-01")
    page.get_by_label("至", exact=True).fill("2020-01-02")
    page.get_by_role("button", name="查询").click()
    page.get_by_text("没有符合条件的案件。").wait_for()
    assert case["id"]


def test_modeler_changes_a_task_in_the_panel_validates_and_deploys(page: Any, server: Server) -> None:
    admin = server.token("admin")
    before = server.call("GET", "/process-definitions/micro_wish", admin)["version"]
    sign_in(page, server, "admin")
    page.goto(f"{server.base}/console/#/definitions/process/micro_wish")
    page.get_by_role("link", name="修改流程（建模器）").click()
    page.locator('.modeler [data-element-id="place_order"]').wait_for()
    assert page.locator(".bjs-powered-by").is_visible()
    page.locator('.modeler [data-element-id="place_order"]').click()
    panel = page.locator("aside.props")
    panel.get_by_label("名称").wait_for()
    assert panel.get_by_label("名称").input_value() == "审核并下单"
    assert panel.get_by_label("表单文件").input_value() == "forms/place.json"
    assert "本组文件中没有" not in panel.get_by_label("表单文件").inner_text()
    panel.get_by_label("社区工作人员").check()
    panel.get_by_label("办理期限").select_option("days")
    panel.get_by_label("工作日数").fill("3")
    panel.get_by_label("工作日数").press("Tab")

    # A broken due-date expression is refused by the server and marked on the task.
    panel.get_by_label("办理期限").select_option("expression")
    panel.get_by_label("期限表达式").fill("add_working_days(")
    panel.get_by_label("期限表达式").press("Tab")
    page.get_by_role("button", name="校验").click()
    page.locator('.modeler [data-element-id="place_order"].gz-problem').wait_for()
    assert "校验未通过" in page.locator("main [role=status]").inner_text()
    assert page.get_by_role("button", name="部署新版本").is_disabled()

    panel.get_by_label("办理期限").select_option("days")
    page.get_by_role("button", name="校验").click()
    page.locator("main [role=status] .ok", has_text="校验通过").wait_for()
    assert page.locator('.modeler [data-element-id="place_order"].gz-problem').count() == 0
    changes = page.locator("main [role=status] table").inner_text()
    assert "候选组" in changes and "社区工作人员" in changes and "3 个工作日内" in changes, changes
    page.evaluate("window.scrollTo(0, 0)")
    snapshot(page, "modeler")
    page.get_by_role("button", name="部署新版本").click()
    page.get_by_text(f"已部署第 {before + 1} 版").wait_for()
    page.get_by_role("link", name="查看流程的各个版本").click()
    page.get_by_role("link", name=f"第 {before + 1} 版").wait_for()

    files = server.call("GET", "/process-definitions/micro_wish/files", admin)
    xml = next(f["content"] for f in files["files"] if f["name"].endswith("micro_wish.bpmn"))
    assert files["version"] == before + 1
    assert 'name="candidateGroups" value="community"' in xml and 'value="add_working_days(3)"' in xml
    assert "居民“{{ requester }}”的微心愿" in xml  # what the panel did not touch is kept


def test_decision_table_names_its_data_types_in_chinese(page: Any, server: Server) -> None:
    sign_in(page, server, "admin")
    page.goto(f"{server.base}/console/#/designer/micro_wish")
    header = page.locator(".dmn-host thead")
    header.wait_for()
    text = header.inner_text()
    assert re.search("文本|数字|是/否|日期", text), text
    assert not re.search(r"\b(string|number|boolean|date)\b", text), text
