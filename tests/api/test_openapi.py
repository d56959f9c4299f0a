"""The OpenAPI document is generated from the schemas, valid, covers the contract table, and says what the server does."""

from __future__ import annotations

import re
from typing import Any, Callable, Iterator

import pytest
from flask.testing import FlaskClient
from openapi_spec_validator import validate

API = "/api/v1"

CONTRACT = {
    ("get", "/health"), ("get", "/openapi.json"), ("get", "/process-definitions"),
    ("get", "/process-definitions/{key}"), ("get", "/process-definitions/{key}/xml"), ("post", "/deployments"),
    ("post", "/process-instances"), ("get", "/process-instances"), ("get", "/process-instances/{instance_id}"),
    ("get", "/process-instances/{instance_id}/history"), ("post", "/process-instances/{instance_id}/cancel"),
    ("get", "/tasks"), ("get", "/tasks/{task_id}"), ("post", "/tasks/{task_id}/claim"),
    ("post", "/tasks/{task_id}/complete"), ("post", "/messages"), ("post", "/decisions/{decision_id}/evaluate"),
    ("get", "/reports"), ("get", "/reports/{name}"), ("get", "/incidents"), ("post", "/incidents/{incident_id}/retry"),
    ("get", "/jobs"), ("get", "/jobs/worker"), ("get", "/process-instances/{instance_id}/audit/verify"),
    ("get", "/decisions"), ("get", "/process-definitions/{key}/files"), ("get", "/decisions/{decision_id}/xml"),
    ("post", "/deployments/validate"), ("get", "/directory"), ("get", "/plugins"), ("post", "/process-definitions/{key}/migrations"),
    ("post", "/process-instances/{instance_id}/migration/revert"), ("get", "/process-instances/{instance_id}/timers"),
    ("get", "/process-definitions/{key}/labels"),
    ("get", "/grids"), ("get", "/grids/locate"), ("get", "/grids/locate-address"),
    ("get", "/admin-actions"), ("post", "/admin-actions/{name}"),
}


def test_openapi_is_valid_and_complete(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    assert spec["openapi"] == "3.1.0" and spec["servers"] == [{"url": "/api/v1"}]
    operations = {(m, p) for p, item in spec["paths"].items() for m in item}
    assert operations == CONTRACT
    start = spec["paths"]["/process-instances"]["post"]
    assert start["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/StartInstance"}
    assert any(p["name"] == "Idempotency-Key" for p in start["parameters"])
    assert {"401", "415", "422"} <= set(start["responses"])
    assert spec["paths"]["/health"]["get"]["security"] == []
    assert "errors" in spec["components"]["schemas"]["Problem"]["properties"]


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    return client.get(f"{API}/openapi.json").get_json()


def _strings(schema: Any, components: dict[str, Any], seen: set[str]) -> Iterator[dict[str, Any]]:
    """Every string schema reachable from ``schema``."""
    if not isinstance(schema, dict):
        return
    name = schema.get("$ref", "").rsplit("/", 1)[-1]
    if name and name not in seen:
        seen.add(name)
        yield from _strings(components[name], components, seen)
    kinds = schema.get("type")
    if kinds == "string" or (isinstance(kinds, list) and "string" in kinds):
        yield schema
    for sub in [*(schema.get("properties") or {}).values(), schema.get("items"), schema.get("additionalProperties"),
                *(schema.get("anyOf") or ())]:
        yield from _strings(sub, components, seen)


def test_every_string_a_request_carries_refuses_nul(spec: dict[str, Any]) -> None:
    components = spec["components"]["schemas"]
    checked = 0
    for item in spec["paths"].values():
        for entry in item.values():
            roots = [p["schema"] for p in entry["parameters"] if p["in"] != "header"]
            roots += [m["schema"] for m in (entry.get("requestBody") or {}).get("content", {}).values()]
            for root in roots:
                for schema in _strings(root, components, set()):
                    if schema.get("format") != "binary":
                        checked += 1
                        pattern = schema.get("pattern", "")  # refuses NUL by name, or admits only other characters
                        assert "\\x00" in pattern or (pattern and re.search(pattern, "1\x00") is None), schema
    assert checked > 30
    value = components["JsonValue"]  # free-form JSON: text and keys alike
    assert value["propertyNames"]["pattern"] == value["pattern"] == "^[^\\x00]*$"
    variables = components["StartInstance"]["properties"]["variables"]
    assert variables["additionalProperties"] == {"$ref": "#/components/schemas/JsonValue"}


def test_the_document_says_what_the_server_answers(spec: dict[str, Any], client: FlaskClient,
                                                   auth: Callable[..., dict], people: Any) -> None:
    paths = spec["paths"]
    assert "404" in paths["/messages"]["post"]["responses"]  # ttl_seconds 0 and nobody waiting
    answer = client.post(f"{API}/messages", headers=auth(people.leader),
                         json={"name": "confirmation", "business_key": "nobody", "ttl_seconds": 0})
    assert answer.status_code == 404
    for path in ("/process-instances/{instance_id}/cancel", "/decisions/{decision_id}/evaluate", "/tasks/{task_id}/complete"):
        assert paths[path]["post"]["requestBody"]["required"] is False, path  # an empty body reads as {}
    assert paths["/process-instances"]["post"]["requestBody"]["required"] is True
    assert "anyOf" in spec["components"]["schemas"]["Message"]  # business_key, instance_id or correlation


def test_report_names_and_parameters_are_documented(spec: dict[str, Any], client: FlaskClient,
                                                    auth: Callable[..., dict], people: Any) -> None:
    reports = client.get(f"{API}/reports", headers=auth(people.admin)).get_json()["items"]
    parameters = {p["name"]: p for p in spec["paths"]["/reports/{name}"]["get"]["parameters"]}
    assert parameters["name"]["schema"]["enum"] == sorted(r["name"] for r in reports)
    for report in reports:
        for param in report["params"]:
            assert report["name"] in parameters[param]["description"], param


NAMES = ["a.bpmn", "x/y/z.DMN", "form.Json", "..x.bpmn", "a//b.bpmn", ".bpmn", "a.bpmn/", "/a.bpmn", "../a.bpmn",
         "a/../b.bpmn", "a/..", "a\\b.bpmn", "a.txt", "a.bpmn.txt", "a/.json", "", "a\x00.bpmn"]


def test_the_file_name_rule_is_the_same_in_the_document_and_the_server(spec: dict[str, Any], client: FlaskClient,
                                                                       auth: Callable[..., dict], people: Any) -> None:
    pattern = re.compile(spec["components"]["schemas"]["DeploymentFile"]["properties"]["name"]["pattern"])
    for name in NAMES:
        body = client.post(f"{API}/deployments", headers=auth(people.admin),
                           json={"files": [{"name": name, "content": "x"}]}).get_json()
        documented = bool(pattern.match(name)) and 0 < len(name) <= 255
        # An accepted name gets as far as the content (which is not XML or JSON): definition-invalid.
        assert (body["type"] == "urn:gongzhi:problem:definition-invalid") == documented, (name, body)
