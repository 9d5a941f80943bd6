"""schemathesis over the partner API, /api/standard/v1: requests generated from the
standard covoiturage's own OpenAPI file (../shared/specs), valid and not, with a
partner's key, on a site holding a trip that passes by. No answer may be a server
error, and every answer must have the content type the standard gives.

The standard describes more than this site serves (bookings between operators); what
it does not serve answers the standard's JSON error, never a 500.
"""

from __future__ import annotations

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance

from carpool.api.standard import PREFIX
from tests.site.test_standard_api import SPEC, new_key, through_monaco

#: Examples per operation and pass: enough to reach refusals of every kind, few
#: enough for CI.
EXAMPLES = 10
CHECKS = [not_a_server_error, content_type_conformance]


def test_no_server_error_from_anything_the_standard_allows_or_not(app: Flask, driver: int) -> None:
    app.config["PARTNER_RATE_LIMIT"] = "100000/minute"  # on purpose
    with app.app_context():
        through_monaco(driver)
    headers = {"X-API-Key": new_key(app)}
    schema = schemathesis.openapi.from_path(SPEC)
    schema.app = app
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 10  # every operation of the standard is exercised
    statuses: set[int] = set()

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(mode))
            @settings(
                max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
            )
            def answers_without_error(case: schemathesis.Case) -> None:
                response = case.call_and_validate(
                    base_url=f"http://localhost{PREFIX}", headers=headers, checks=CHECKS
                )
                statuses.add(response.status_code)

            try:
                answers_without_error()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # nothing to make invalid
    # Answers as well as refusals were reached.
    assert {200, 400} <= statuses, statuses
