"""Deployed decisions over HTTP: what each table reads and gives, rule by rule, and evaluating one."""

from __future__ import annotations

from typing import Any, Callable

from flask.testing import FlaskClient

from gongzhi import Engine, bpmn_package_path

API = "/api/v1"


def test_decisions_are_listed_with_their_rules(engine: Engine, client: FlaskClient, people: Any,
                                               auth: Callable[..., dict[str, str]]) -> None:
    engine.deploy([bpmn_package_path() / "micro_wish"])
    items = client.get(f"{API}/decisions", headers=auth(people.clerk)).get_json()["items"]
    [wish] = [d for d in items if d["id"] == "wish_deadline"]
    assert (wish["name"], wish["hit_policy"], wish["version"]) == ("微心愿办理时限", "FIRST", 1)
    assert [i["label"] for i in wish["inputs"]] == ["类别", "是否紧急"]
    assert wish["outputs"] == [{"label": "办理时限（工作日）", "name": "handle_days", "type": "integer"}]
    urgent = wish["rules"][0]
    assert (urgent["id"], urgent["number"], urgent["description"]) == ("DecisionRule_urgent", 1, "紧急心愿一律 1 个工作日")
    assert (urgent["when"], urgent["then"]) == (["-", "true"], ["1"])
    answer = client.post(f"{API}/decisions/wish_deadline/evaluate", headers=auth(people.clerk),
                         json={"inputs": {"category": "助老", "urgent": False}}).get_json()
    assert (answer["result"], answer["matched_rules"]) == (3, ["DecisionRule_elderly"])
