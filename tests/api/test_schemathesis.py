"""Property-based run over every operation of the live OpenAPI document, with valid and invalid data.

Asserts: no 5xx, documented status codes and content types, and responses that
match their schemas; invalid data is rejected with a 4xx. Bounded (a dozen
examples per operation and mode, no shrinking) so the whole run stays well
under two minutes. Uses schemathesis' Python API directly: its lazy pytest
fixture loader does not work with pytest 9.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gongzhi import Engine
from gongzhi.api.blueprint import api
from gongzhi.tokens import mint_admin

MAX_EXAMPLES = 15
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]
OPERATIONS = [(op.method, op.path) for op in api.operations]
# Without a query or a body there is nothing to make invalid (a path segment is any non-empty string).
NO_INPUT = {(op.method, op.path) for op in api.operations
            if op.query is None and op.body is None and op.multipart is None}


# Negative runs only where there is an input to make invalid.
CASES = [(m, p, mode) for m, p in OPERATIONS for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
         if mode is GenerationMode.POSITIVE or (m, p) not in NO_INPUT]


@pytest.mark.parametrize(("method", "path", "mode"), CASES,
                         ids=[f"{m} {p} {mode.value}" for m, p, mode in CASES])
def test_operation_conforms(app: Flask, engine: Engine, method: str, path: str, mode: GenerationMode,
                            start: Any, people: Any) -> None:
    start(people.clerk)  # some data, so list endpoints return items to validate
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # We send a valid token ourselves; a generated (or removed) Authorization header would only be overwritten.
    schema.config.generation.update(with_security_parameters=False)
    operation = schema[path][method]
    headers = {"Authorization": f"Bearer {mint_admin(engine.config.secret_key)}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()
