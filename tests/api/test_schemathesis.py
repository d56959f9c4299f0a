"""Property-based runs of schemathesis over the live OpenAPI document, with every check it has.

Two parts:
- every operation on its own, with valid and invalid data (schemathesis' fuzzing phase);
- a stateful run that follows the document's OpenAPI links (start an instance, read it,
  its history, list its tasks, claim and complete them, cancel it, ...).

Asserts: no 5xx, documented status codes, content types and headers, responses that
match their schemas, invalid data rejected, valid data accepted. "Valid data accepted"
has one documented refinement: a 422 whose problem type is a business rule
(``gongzhi.api.openapi.BUSINESS_PROBLEMS``: the process's form, the definitions'
validity, a reused Idempotency-Key, ...) answers a request that matches the document but
that the rules refuse, and no schema can express those rules. Bounded (examples per
operation, scenarios and steps) so the module stays well under three minutes on two cores.
Uses schemathesis' Python API directly: its lazy pytest fixture loader does not work with pytest 9.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.stateful import Bundle, initialize
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.generation.stateful.state_machine import StepInput
from schemathesis.specs.openapi.checks import RejectedPositiveData, positive_data_acceptance

from gongzhi import Engine
from gongzhi.api.blueprint import api
from gongzhi.api.openapi import BUSINESS_PROBLEMS
from gongzhi.api.problems import TYPE_PREFIX
from gongzhi.security.tokens import mint_admin

MAX_EXAMPLES = 15
SCENARIOS, STEPS = 25, 8  # stateful: scenarios of up to this many linked calls
OPERATIONS = [(op.method, op.path) for op in api.operations]
# Without a query or a body there is nothing to make invalid (a path segment is any non-empty string).
NO_INPUT = {(op.method, op.path) for op in api.operations
            if op.query is None and op.body is None and op.multipart is None}
CASES = [(m, p, mode) for m, p in OPERATIONS for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
         if mode is GenerationMode.POSITIVE or (m, p) not in NO_INPUT]
BUSINESS_TYPES = {TYPE_PREFIX + slug for slug in BUSINESS_PROBLEMS}


def positive_data_acceptance_but_business_rules(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis' check, except for the documented 422s of business rules."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if response.status_code == 422 and _problem_type(response) in BUSINESS_TYPES:
            return None
        raise


def _problem_type(response: Any) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("type") if isinstance(body, dict) else None


def _all_checks() -> list[Any]:
    load_all_checks()
    found = [CHECKS.get_one(name) for name in CHECKS.get_all_names()]
    assert positive_data_acceptance in found and len(found) >= 14  # every built-in check schemathesis has
    return [c for c in found if c is not positive_data_acceptance] + [positive_data_acceptance_but_business_rules]


CHECK_LIST = _all_checks()


def _schema(app: Flask) -> Any:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # We send a valid token ourselves; a generated (or removed) Authorization header would only be overwritten.
    schema.config.generation.update(with_security_parameters=False)
    return schema


def _headers(engine: Engine) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_admin(engine.config.secret_key)}"}


@pytest.mark.parametrize(("method", "path", "mode"), CASES,
                         ids=[f"{m} {p} {mode.value}" for m, p, mode in CASES])
def test_operation_conforms(app: Flask, engine: Engine, method: str, path: str, mode: GenerationMode,
                            start: Any, people: Any) -> None:
    start(people.clerk)  # some data, so list endpoints return items to validate
    operation = _schema(app)[path][method]
    headers = _headers(engine)

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECK_LIST)

    run()


def test_document_links_the_workflow(app: Flask) -> None:
    """The links the stateful run follows are in the document (a check that they did not get lost)."""
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    links = {(path, method, name, link["operationId"])
             for path, item in document["paths"].items() for method, entry in item.items()
             for response in entry["responses"].values() for name, link in response.get("links", {}).items()}
    assert {("/process-instances", "post", "GetInstance", "get_instance"),
            ("/process-instances", "post", "GetHistory", "get_history"),
            ("/process-instances", "post", "CancelInstance", "cancel_instance"),
            ("/tasks", "get", "GetTask", "get_task"), ("/tasks", "get", "ClaimTask", "claim_task"),
            ("/tasks", "get", "CompleteTask", "complete_task")} <= links


def test_stateful_run_follows_links(app: Flask, engine: Engine, start_vars: dict[str, Any]) -> None:
    schema = _schema(app)
    schema.config.phases.stateful.inference.algorithms = []  # the document's own links, none guessed
    headers = _headers(engine)
    starting = schema["/process-instances"]["POST"]
    followed: set[str] = set()

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        # Generated starts name random processes (404); each scenario also starts a real case, so
        # the links from its answer (read, history, tasks, claim, complete, cancel) have ids to follow.
        @initialize(target=Bundle("seeded"))  # the machine files each answer under its own link bundle
        def start_a_case(self) -> Any:
            case = starting.Case(body={"process_key": "approval", "variables": start_vars}, media_type="application/json")
            self.recorder.record_case(case=case)  # as the machine's own rules do, so its children find their parent
            return self._step(StepInput.initial(case))

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def step(self, input: Any) -> Any:
            if input.transition is not None and input.is_applied:
                followed.add(input.transition.id)
            return super().step(input)

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECK_LIST, headers=headers, transport_kwargs=kwargs or None,
                                   recorder=self.recorder)

    Workflow.run(settings=settings(max_examples=SCENARIOS, stateful_step_count=STEPS, deadline=None, database=None,
                                   phases=[Phase.generate], suppress_health_check=list(HealthCheck)))
    # The run went past the entry points into the workflow (which links exactly varies from run to run).
    assert any(link.startswith("POST /process-instances -> [201]") for link in followed), followed
