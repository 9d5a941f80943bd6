"""schemathesis over /api/v1: requests generated from the API's own OpenAPI document,
valid and not, with a member's token. No answer may be a 500, and every answer must
be one the document describes (status, content type, body).

Each operation is driven by its own hypothesis strategy (``as_strategy``):
schemathesis' pytest loader (``from_fixture``) does not run on the pytest used here.
"""

from __future__ import annotations

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.site.test_api import member, token_for

#: Examples per operation: enough to reach refusals of every kind, few enough for CI.
EXAMPLES = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_no_server_error_and_no_schema_violation(app: Flask) -> None:
    member(app, "camille@example.org", "Camille")
    headers = {"Authorization": f"Bearer {token_for(app.test_client(), 'camille@example.org')}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25  # every operation of the API is exercised

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def answers_as_documented(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        answers_as_documented()
