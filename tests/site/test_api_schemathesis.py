"""schemathesis over /api/v1: requests generated from the API's own OpenAPI document,
valid and not, with a member's token, on a site holding a trip, a booking, a
conversation and an alert. No answer may be a 500, and every answer must be one the
document describes (status, content type, body).

Each operation is driven by its own hypothesis strategy (``as_strategy``):
schemathesis' pytest loader (``from_fixture``) does not run on the pytest used here.
"""

from __future__ import annotations

import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.site.test_api import bearer, leg, member, token_for, trip_body
from tests.site.test_search import on_the_way

#: Examples per operation and pass: enough to reach refusals of every kind, few
#: enough for CI.
EXAMPLES = 10
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _seeded(app: Flask, client: FlaskClient) -> tuple[dict[str, str], dict[str, int]]:
    """A driver's token, and the ids of what exists: her trip, a passenger's booking
    on it and their conversation, her alert and a spare token of hers."""
    member(app, "camille@example.org", "Camille")
    member(app, "dominique@example.org", "Dominique")
    driver = bearer(token_for(client, "camille@example.org"))
    passenger = bearer(token_for(client, "dominique@example.org"))
    trip_id = client.post("/api/v1/trips", json=trip_body(via=[]), headers=driver).get_json()["id"]
    pickup, dropoff = on_the_way(app)
    booking = client.post(f"/api/v1/trips/{trip_id}/bookings", json=leg(app), headers=passenger)
    booking_id = booking.get_json()["id"]
    conversation_id = client.post(
        f"/api/v1/trips/{trip_id}/messages", json={"text": "Bonjour"}, headers=passenger
    ).get_json()["conversation_id"]
    alert = {"origin": f"{pickup[0]},{pickup[1]}", "destination": f"{dropoff[0]},{dropoff[1]}"}
    alert_id = client.post(
        "/api/v1/alerts", json={**alert, "day": trip_body()["departure"][:10]}, headers=driver
    ).get_json()["id"]
    spare = client.post(
        "/api/v1/tokens", json={"email": "camille@example.org", "password": "correct horse battery"}
    ).get_json()["id"]
    ids = {
        "trip_id": trip_id,
        "booking_id": booking_id,
        "conversation_id": conversation_id,
        "alert_id": alert_id,
        "token_id": spare,
    }
    return driver, ids


def test_no_server_error_and_no_schema_violation(app: Flask) -> None:
    for limit in ("API_RATE_LIMIT", "API_TOKEN_RATE_LIMIT", "MESSAGE_RATE_LIMIT"):
        app.config[limit] = "100000/minute"  # on purpose
    headers, ids = _seeded(app, app.test_client())
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25  # every operation of the API is exercised
    statuses: set[int] = set()

    for operation in operations:
        in_path = {p.name for p in operation.path_parameters}
        existing = {name: value for name, value in ids.items() if name in in_path}
        # Valid and invalid requests; on random ids, then on those of what exists.
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for path_parameters in ({}, existing) if existing else ({},):

                @given(case=operation.as_strategy(mode, path_parameters=path_parameters))
                @settings(
                    max_examples=EXAMPLES,
                    deadline=None,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )
                def answers_as_documented(case: schemathesis.Case) -> None:
                    response = case.call_and_validate(headers=headers, checks=CHECKS)
                    statuses.add(response.status_code)

                try:
                    answers_as_documented()
                except Unsatisfiable:
                    # Nothing to make invalid: an operation without parameters or body.
                    assert mode is GenerationMode.NEGATIVE
    # Successes as well as refusals were reached.
    assert {200, 204, 404, 422} <= statuses, statuses
