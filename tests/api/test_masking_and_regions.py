"""Personal data is masked for actors without ``pii``; regions never see each other's cases."""

from __future__ import annotations

from typing import Any, Callable

from flask.testing import FlaskClient

from gongzhi import Actor
from gongzhi.security.masking import MaskingRule, mask_data, mask_id_number, mask_name, mask_phone, mask_text

API = "/api/v1"
PHONE, ID_NUMBER = "13812341234", "11010519900307123X"


def test_masking_functions() -> None:
    assert mask_phone(PHONE) == "138****1234"
    assert mask_id_number(ID_NUMBER) == "110105********123X"
    assert mask_name("张三丰") == "张**" and mask_name("李四") == "李*"
    assert mask_text(f"联系 {PHONE}，证件 {ID_NUMBER}") == "联系 138****1234，证件 110105********123X"
    # Longer digit runs (order numbers, bank cards) are not phone numbers.
    assert mask_text("订单 2138123412345") == "订单 2138123412345"
    # Undeclared data: field names that are unmistakably personal are masked, nothing else is guessed.
    masked = mask_data({"reporter": "王小明", "company_name": "某某物业", "meeting_name": "小微事务恳谈会",
                        "contact": {"contact_name": "赵六", "phone": "010-12345678"},
                        "residents": ["张三", "李四"], "count": 3})
    assert masked == {"reporter": "王**", "company_name": "某某物业", "meeting_name": "小微事务恳谈会",
                      "contact": {"contact_name": "赵*", "phone": "010****5678"},
                      "residents": ["张*", "李*"], "count": 3}
    assert mask_data({"nickname": "阿强"}, MaskingRule(name_fields=("nickname",))) == {"nickname": "阿*"}


def test_responses_masked_without_pii(client: FlaskClient, auth: Callable[..., dict], people: Any,
                                      start: Callable[..., dict]) -> None:
    clerk = people.clerk
    started = start(clerk, phone=PHONE, title=f"路灯坏了，身份证 {ID_NUMBER}")
    assert started["variables"]["phone"] == "138****1234"
    assert started["variables"]["title"] == "路灯坏了，身份证 110105********123X"
    task_id = started["open_tasks"][0]["id"]

    task = client.get(f"{API}/tasks/{task_id}", headers=auth(clerk)).get_json()
    assert task["data"]["phone"] == "138****1234" and ID_NUMBER not in task["instructions"]
    instance = client.get(f"{API}/process-instances/{started['id']}", headers=auth(clerk)).get_json()
    assert instance["variables"]["phone"] == "138****1234"
    history = client.get(f"{API}/process-instances/{started['id']}/history", headers=auth(clerk))
    assert PHONE not in history.get_data(as_text=True) and ID_NUMBER not in history.get_data(as_text=True)
    assert history.get_json()["events"][0]["actor"]["name"] == clerk.name  # staff names are not masked

    with_pii = Actor.of(clerk.id, clerk.name, clerk.groups, clerk.region, ["pii"])
    assert client.get(f"{API}/tasks/{task_id}", headers=auth(with_pii)).get_json()["data"]["phone"] == PHONE
    raw_history = client.get(f"{API}/process-instances/{started['id']}/history", headers=auth(with_pii))
    assert PHONE in raw_history.get_data(as_text=True)


def test_regions_do_not_see_each_other(client: FlaskClient, auth: Callable[..., dict], people: Any,
                                       start: Callable[..., dict]) -> None:
    north, south = people.clerk, people.other_clerk  # 110105/001 and 110105/002
    mine = start(north)
    theirs = start(south)
    mine_task, their_task = mine["open_tasks"][0]["id"], theirs["open_tasks"][0]["id"]

    listed = client.get(f"{API}/process-instances", headers=auth(north)).get_json()
    assert [i["id"] for i in listed["items"]] == [mine["id"]] and listed["total"] == 1
    tasks = client.get(f"{API}/tasks", headers=auth(north)).get_json()
    assert [t["id"] for t in tasks["items"]] == [mine_task]
    assert client.get(f"{API}/tasks?candidate_group=clerk", headers=auth(north)).get_json()["total"] == 1

    # Unseen things are 404, not 403: their existence is not disclosed.
    for method, path, body in [
        ("get", f"/process-instances/{theirs['id']}", None),
        ("get", f"/process-instances/{theirs['id']}/history", None),
        ("post", f"/process-instances/{theirs['id']}/cancel", {"reason": "x"}),
        ("get", f"/tasks/{their_task}", None),
        ("post", f"/tasks/{their_task}/claim", None),
        ("post", f"/tasks/{their_task}/complete", {"data": {"approved": True}}),
    ]:
        response = getattr(client, method)(API + path, headers=auth(north), json=body)
        assert response.status_code == 404, (path, response.get_json())

    # The district leader sees both; the admin sees everything.
    district = client.get(f"{API}/process-instances", headers=auth(people.leader)).get_json()
    assert {i["id"] for i in district["items"]} == {mine["id"], theirs["id"]}
    assert client.get(f"{API}/tasks", headers=auth(people.admin)).get_json()["total"] == 2
