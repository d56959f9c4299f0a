"""The OpenAPI document is generated from the schemas, valid, and covers the contract table."""

from __future__ import annotations

from flask.testing import FlaskClient
from openapi_spec_validator import validate

CONTRACT = {
    ("get", "/health"), ("get", "/openapi.json"), ("get", "/process-definitions"),
    ("get", "/process-definitions/{key}"), ("get", "/process-definitions/{key}/xml"), ("post", "/deployments"),
    ("post", "/process-instances"), ("get", "/process-instances"), ("get", "/process-instances/{instance_id}"),
    ("get", "/process-instances/{instance_id}/history"), ("post", "/process-instances/{instance_id}/cancel"),
    ("get", "/tasks"), ("get", "/tasks/{task_id}"), ("post", "/tasks/{task_id}/claim"),
    ("post", "/tasks/{task_id}/complete"), ("post", "/messages"), ("post", "/decisions/{decision_id}/evaluate"),
    ("get", "/reports"), ("get", "/reports/{name}"), ("get", "/incidents"), ("post", "/incidents/{incident_id}/retry"),
    ("get", "/decisions"),
}


def test_openapi_is_valid_and_complete(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.") and spec["servers"] == [{"url": "/api/v1"}]
    operations = {(m, p) for p, item in spec["paths"].items() for m in item}
    assert operations == CONTRACT
    start = spec["paths"]["/process-instances"]["post"]
    assert start["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/StartInstance"}
    assert any(p["name"] == "Idempotency-Key" for p in start["parameters"])
    assert {"401", "415", "422"} <= set(start["responses"])
    assert spec["paths"]["/health"]["get"]["security"] == []
    assert "errors" in spec["components"]["schemas"]["Problem"]["properties"]
