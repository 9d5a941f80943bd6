"""The "standard covoiturage" interop API (/api/standard/v1): every answer the tests
get, and every valid request, is checked against the standard's own OpenAPI file;
the journeys are the ones the site's search finds; keys, rates and errors."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.test import TestResponse

from carpool import ROOT
from carpool.api.standard import PREFIX
from carpool.config import load_config
from carpool.extensions import db
from carpool.models import PartnerKey, User
from carpool.services import alerts, partners, reviews
from carpool.services.polyline import decode, encode
from carpool.services.regular_trips import Schedule, publish_regular
from carpool.services.roads import get_router
from carpool.services.search import SearchQuery, find
from carpool.services.trips import StopInput, publish
from routing.distance import geodesic_m
from tests.site.test_alerts import point
from tests.site.test_auth import token_of
from tests.site.test_pages import signed_in  # noqa: F401  (fixture)
from tests.site.test_reviews import accepted, into_the_past
from tests.site.test_trips import CASINO, LARVOTTO, PALACE, PARIS, TOMORROW, draft

SPEC = ROOT.parent / "shared" / "specs" / "standard-covoiturage_openapi.yaml"
CAP_DAIL = StopInput("Cap-d'Ail", 43.7230, 7.3969)
ROQUEBRUNE = StopInput("Roquebrune-Cap-Martin", 43.7641, 7.4566)
CAP_DAIL_POINT = (CAP_DAIL.lat, CAP_DAIL.lon)
#: Villages the Cap-d'Ail -> Roquebrune road passes through, neither of its ends.
FONTVIEILLE = (43.7278, 7.4183)
LA_ROUSSE = (43.7481, 7.4325)
#: At sea, off Larvotto: the nearest road is a few hundred metres away.
OFFSHORE = (43.7440, 7.4420)


@pytest.fixture(scope="module")
def spec() -> OpenAPI:
    """The standard's file as published: it fails OpenAPI's own validation (a string
    default for an array), so it is read without validating it."""
    return OpenAPI.from_file_path(str(SPEC), config=Config(spec_validator_cls=None))


class _PartnerRequest(WerkzeugOpenAPIRequest):
    """A request as the standard sees it: its paths have no prefix (no servers)."""

    @property
    def path(self) -> str:
        return self.request.path.removeprefix(PREFIX)


def call(
    client: FlaskClient,
    spec: OpenAPI,
    endpoint: str,
    secret: str | None = "",
    *,
    valid_request: bool = True,
    headers: dict[str, str] | None = None,
    **params: object,
) -> TestResponse:
    """GET an endpoint with a key; the answer is checked against the standard, and
    the request too unless it is meant to break the standard's types."""
    sent = dict(headers or {})
    if secret:
        sent["X-API-Key"] = secret
    response = client.get(f"{PREFIX}/{endpoint}", query_string=params, headers=sent)
    request = _PartnerRequest(response.request)
    # The standard's default for departureWeekdays is a string where an array is
    # due: a request without it fails the standard's own file, not ours.
    spec_default_breaks = endpoint.endswith("regular_trips") and "departureWeekdays" not in params
    if valid_request and not spec_default_breaks:
        spec.validate_request(request)
    spec.validate_response(request, WerkzeugOpenAPIResponse(response))
    assert response.is_json, response.get_data(as_text=True)[:200]
    return response


def new_key(app: Flask, name: str = "Mobility app", rate: str | None = None) -> str:
    with app.app_context():
        return partners.create_key(name, rate)[1]


@pytest.fixture
def secret(app: Flask) -> str:
    return new_key(app)


def stamp(moment: datetime) -> int:
    return int(moment.timestamp())


def where(origin: tuple[float, float], destination: tuple[float, float], **more: object) -> dict[str, Any]:
    return {
        "departureLat": origin[0],
        "departureLng": origin[1],
        "arrivalLat": destination[0],
        "arrivalLng": destination[1],
        **more,
    }


def through_monaco(driver: int, **changes: object) -> int:
    """A trip from Cap-d'Ail to Roquebrune through Monte-Carlo (a stopover)."""
    values: dict[str, object] = {"origin": CAP_DAIL, "destination": ROQUEBRUNE, "stopovers": (CASINO,)}
    values.update(changes)
    return publish(driver, draft(**values))


def search_query(pickup_at: datetime, delta_s: int = 900) -> SearchQuery:
    """The site's search for a pickup at ``pickup_at`` give or take ``delta_s``."""
    start, end = (
        (pickup_at - timedelta(seconds=delta_s)).astimezone(PARIS),
        (pickup_at + timedelta(seconds=delta_s)).astimezone(PARIS),
    )
    return SearchQuery(
        pickup=FONTVIEILLE,
        dropoff=LA_ROUSSE,
        day=start.date(),
        time_from=start.time().replace(tzinfo=None),
        time_to=end.time().replace(tzinfo=None),
    )


def pickup_of(app: Flask, trip_id: int) -> datetime:
    """When the site's search picks a passenger up in Fontvieille for La Rousse."""
    with app.app_context():
        found = find(SearchQuery(pickup=FONTVIEILLE, dropoff=LA_ROUSSE, day=TOMORROW.date()))
    return next(r.pickup_at for r in found if r.trip_id == trip_id)


# -- drivers' journeys --------------------------------------------------------------------------


def test_a_trip_passing_by_is_found_from_villages_on_its_way(
    app: Flask, client: FlaskClient, spec: OpenAPI, secret: str, driver: int
) -> None:
    with app.app_context():
        trip_id = through_monaco(driver, comment="Musique douce")
    pickup_at = pickup_of(app, trip_id)
    response = call(
        client,
        spec,
        "driver_journeys",
        secret,
        **where(FONTVIEILLE, LA_ROUSSE),
        departureDate=stamp(pickup_at),
    )
    assert response.status_code == 200
    [journey] = response.get_json()
    assert journey["id"] == str(trip_id) and journey["type"] == "PLANNED"
    assert journey["operator"] == "carpool.localhost"
    assert journey["driver"] == {"id": str(driver), "alias": "Camille", "operator": "carpool.localhost"}
    assert journey["passengerPickupDate"] == stamp(pickup_at)
    assert journey["driverDepartureDate"] == stamp(TOMORROW)
    assert (journey["driverDepartureAddress"], journey["driverArrivalAddress"]) == (
        "Cap-d'Ail",
        "Roquebrune-Cap-Martin",
    )
    assert (journey["driverDepartureLat"], journey["driverArrivalLng"]) == (CAP_DAIL.lat, ROQUEBRUNE.lon)
    # Picked up at the road node nearest the asked point, a short walk away.
    with app.app_context():
        graph = get_router().graph
        node = graph.node_latlon(graph.snap(FONTVIEILLE))
    assert (journey["passengerPickupLat"], journey["passengerPickupLng"]) == pytest.approx(node)
    walk = float(geodesic_m(*FONTVIEILLE, *node))
    assert journey["departureToPickupWalkingDistance"] == round(walk) < 1000
    assert 0 < journey["duration"] < 1800 and 1000 < journey["distance"] < 6000
    assert journey["availableSeats"] == 3
    assert journey["price"]["currency"] == "EUR" and journey["price"]["type"] in ("PAYING", "FREE")
    assert journey["preferences"] == {"smoking": False, "animals": False, "luggageSize": 3}
    # The route, from Cap-d'Ail to Roquebrune, as an encoded polyline.
    route = decode(journey["journeyPolyline"])
    assert len(route) > 10
    assert float(geodesic_m(*route[0], CAP_DAIL.lat, CAP_DAIL.lon)) < 300
    assert float(geodesic_m(*route[-1], ROQUEBRUNE.lat, ROQUEBRUNE.lon)) < 300


def test_the_journeys_are_the_searchs_in_its_order(
    app: Flask, client: FlaskClient, spec: OpenAPI, secret: str, driver: int
) -> None:
    with app.app_context():
        ids = [
            through_monaco(driver),
            through_monaco(driver, departure=TOMORROW + timedelta(minutes=10), stopovers=()),
            through_monaco(driver, departure=TOMORROW - timedelta(minutes=8), contribution_cents=0),
            publish(driver, draft(origin=CAP_DAIL, destination=StopInput("Larvotto", *LA_ROUSSE))),
        ]
    pickup_at = pickup_of(app, ids[0])
    response = call(
        client,
        spec,
        "driver_journeys",
        secret,
        **where(FONTVIEILLE, LA_ROUSSE),
        departureDate=stamp(pickup_at),
        timeDelta=1800,
    )
    with app.app_context():
        expected = [r.trip_id for r in find(search_query(pickup_at, 1800))]
    journeys = response.get_json()
    assert len(expected) == 4 and [j["id"] for j in journeys] == [str(i) for i in expected]
    free = next(j for j in journeys if j["id"] == str(ids[2]))
    assert free["price"] == {"type": "FREE", "amount": 0, "currency": "EUR"}
    # count caps the same list.
    capped = call(
        client,
        spec,
        "driver_journeys",
        secret,
        **where(FONTVIEILLE, LA_ROUSSE),
        departureDate=stamp(pickup_at),
        timeDelta=1800,
        count=2,
    )
    assert [j["id"] for j in capped.get_json()] == [str(i) for i in expected[:2]]


def test_the_time_margin_leaves_out_other_times(
    app: Flask, client: FlaskClient, spec: OpenAPI, secret: str, driver: int
) -> None:
    with app.app_context():
        soon = through_monaco(driver)
        later = through_monaco(driver, departure=TOMORROW + timedelta(hours=3))
    pickup_at = pickup_of(app, soon)
    asked = where(FONTVIEILLE, LA_ROUSSE, departureDate=stamp(pickup_at))
    default = call(client, spec, "driver_journeys", secret, **asked).get_json()
    assert [j["id"] for j in default] == [str(soon)]
    wide = call(client, spec, "driver_journeys", secret, **asked, timeDelta=4 * 3600).get_json()
    assert {j["id"] for j in wide} == {str(soon), str(later)}
    # Two hours before: nothing within the default 15 minutes.
    early = where(FONTVIEILLE, LA_ROUSSE, departureDate=stamp(pickup_at - timedelta(hours=2)))
    assert call(client, spec, "driver_journeys", secret, **early).get_json() == []


def test_the_radius_leaves_out_pickups_far_from_the_asked_point(
    app: Flask, client: FlaskClient, spec: OpenAPI, secret: str, driver: int
) -> None:
    with app.app_context():
        trip_id = publish(driver, draft(origin=CAP_DAIL, destination=LARVOTTO))
        graph = get_router().graph
        shore = graph.node_latlon(graph.snap(OFFSHORE))
    walk = float(geodesic_m(*OFFSHORE, *shore))
    assert 300 < walk < 1000
    # From La Condamine to the sea off Larvotto: dropped off on the shore.
    asked = where((43.7346, 7.4216), OFFSHORE, departureDate=stamp(TOMORROW), timeDelta=3600)
    near = call(client, spec, "driver_journeys", secret, **asked).get_json()
    assert [j["id"] for j in near] == [str(trip_id)]
    assert near[0]["dropoffToArrivalWalkingDistance"] == round(walk)
    assert call(client, spec, "driver_journeys", secret, **asked, arrivalRadius=0.2).get_json() == []


def test_the_deep_link_opens_the_trip_page_with_the_pickup(
    app: Flask,
    signed_in: FlaskClient,  # noqa: F811  (a member who may book)
    spec: OpenAPI,
    secret: str,
    driver: int,
) -> None:
    with app.app_context():
        trip_id = through_monaco(driver)
    pickup_at = pickup_of(app, trip_id)
    [journey] = call(
        signed_in,
        spec,
        "driver_journeys",
        secret,
        **where(FONTVIEILLE, LA_ROUSSE),
        departureDate=stamp(pickup_at),
    ).get_json()
    link = journey["webUrl"]
    assert link.startswith(f"http://localhost/trips/{trip_id}?")
    pickup = f"{journey['passengerPickupLat']:.5f},{journey['passengerPickupLng']:.5f}"
    dropoff = f"{journey['passengerDropLat']:.5f},{journey['passengerDropLng']:.5f}"
    page = signed_in.get(link.removeprefix("http://localhost"))
    assert page.status_code == 200
    # The booking form is there, filled with the passenger's own pickup and drop-off.
    text = page.get_data(as_text=True)
    assert "Réserver une place" in text and f'action="/trips/{trip_id}/book"' in text
    assert re.search(rf'name="pickup" type="hidden" value="{pickup}"', text)
    assert re.search(rf'name="dropoff" type="hidden" value="{dropoff}"', text)


def test_a_margin_over_midnight_is_searched_on_both_days(
    app: Flask, client: FlaskClient, spec: OpenAPI, secret: str, driver: int
) -> None:
    late = datetime.combine(TOMORROW.date(), time(23, 58), PARIS)
    with app.app_context():
        trip_id = through_monaco(driver, departure=late)
    asked = where(FONTVIEILLE, LA_ROUSSE, departureDate=stamp(late + timedelta(minutes=10)), timeDelta=1800)
    [journey] = call(client, spec, "driver_journeys", secret, **asked).get_json()
    assert journey["id"] == str(trip_id)
    # Picked up after midnight, on the day after the driver's departure.
    assert datetime.fromtimestamp(journey["passengerPickupDate"], PARIS).date() > late.date()


def test_a_driver_with_reviews_has_a_grade(
    app: Flask, client: FlaskClient, spec: OpenAPI, secret: str, driver: int, passenger: int
) -> None:
    with app.app_context():
        for rating in (4, 5):
            booking_id = accepted(driver, passenger, origin=CAP_DAIL, destination=LARVOTTO)
            into_the_past(app, booking_id)
            reviews.write_review(booking_id, passenger, rating)
        trip_id = through_monaco(driver)
    pickup_at = pickup_of(app, trip_id)
    [journey] = call(
        client,
        spec,
        "driver_journeys",
        secret,
        **where(FONTVIEILLE, LA_ROUSSE),
        departureDate=stamp(pickup_at),
    ).get_json()
    assert journey["driver"]["grade"] == 5  # 4.5, rounded half up


# -- passengers' requests -------------------------------------------------------------------------


def request_ride(app: Flask, passenger: int, **changes: object) -> int:
    """A public ride request from Fontvieille to La Rousse, tomorrow 7:30–9:00."""
    values: dict[str, object] = {
        "origin": point(FONTVIEILLE),
        "destination": point(LA_ROUSSE),
        "day": TOMORROW.date(),
        "time_from": time(7, 30),
        "time_to": time(9, 0),
        "seats": 2,
        "public": True,
    }
    values.update(changes)
    with app.app_context():
        return alerts.create_alert(passenger, alerts.AlertWish(**values))  # type: ignore[arg-type]


def test_public_ride_requests_are_passengers_journeys(
    app: Flask, client: FlaskClient, spec: OpenAPI, secret: str, passenger: int
) -> None:
    wanted = request_ride(app, passenger)
    request_ride(app, passenger, origin=point((CASINO.lat, CASINO.lon)))  # 1.5 km from Fontvieille
    request_ride(app, passenger, destination=point((43.7300, 7.4200)), public=False)
    leaving = TOMORROW + timedelta(minutes=5)  # 8:05, in the request's hours
    response = call(
        client,
        spec,
        "passenger_journeys",
        secret,
        **where(FONTVIEILLE, LA_ROUSSE),
        departureDate=stamp(leaving),
    )
    [journey] = response.get_json()
    assert journey["id"] == str(wanted) and journey["requestedSeats"] == 2
    assert journey["passenger"] == {
        "id": str(passenger),
        "alias": "Dominique",
        "operator": "carpool.localhost",
    }
    assert journey["passengerPickupDate"] == journey["driverDepartureDate"] == stamp(leaving)
    assert (journey["passengerPickupLat"], journey["passengerDropLng"]) == pytest.approx(
        (FONTVIEILLE[0], LA_ROUSSE[1])
    )
    assert 0 < journey["duration"] < 1800 and journey["distance"] > 1000
    assert journey["webUrl"] == "http://localhost/requests"
    # Outside its hours, or asked for far away: not found.
    at_noon = where(FONTVIEILLE, LA_ROUSSE, departureDate=stamp(TOMORROW + timedelta(hours=4)))
    assert call(client, spec, "passenger_journeys", secret, **at_noon).get_json() == []
    elsewhere = where(CAP_DAIL_POINT, LA_ROUSSE, departureDate=stamp(leaving))
    assert call(client, spec, "passenger_journeys", secret, **elsewhere).get_json() == []
    # Just before its hours, the margin reaches them: picked up at 7:30.
    early = where(
        FONTVIEILLE, LA_ROUSSE, departureDate=stamp(TOMORROW - timedelta(minutes=40)), timeDelta=900
    )
    [edge] = call(client, spec, "passenger_journeys", secret, **early).get_json()
    assert edge["passengerPickupDate"] == stamp(TOMORROW - timedelta(minutes=30))


def test_paused_requests_and_suspended_passengers_are_not_shown(
    app: Flask, client: FlaskClient, spec: OpenAPI, secret: str, passenger: int
) -> None:
    alert_id = request_ride(app, passenger)
    asked = where(FONTVIEILLE, LA_ROUSSE, departureDate=stamp(TOMORROW))
    assert len(call(client, spec, "passenger_journeys", secret, **asked).get_json()) == 1
    with app.app_context():
        alerts.set_paused(alert_id, passenger, True)
    assert call(client, spec, "passenger_journeys", secret, **asked).get_json() == []
    with app.app_context():
        alerts.set_paused(alert_id, passenger, False)
        member = db.session.get(User, passenger)
        assert member is not None
        member.suspended_until = TOMORROW + timedelta(days=7)
        db.session.commit()
    assert call(client, spec, "passenger_journeys", secret, **asked).get_json() == []


# -- regular trips -----------------------------------------------------------------------------------


def test_regular_trips_are_found_with_their_dates(
    app: Flask, client: FlaskClient, spec: OpenAPI, secret: str, driver: int
) -> None:
    first = TOMORROW.date()
    with app.app_context():
        regular_id = publish_regular(
            driver,
            draft(origin=CAP_DAIL, destination=ROQUEBRUNE),
            Schedule(
                times=(time(8, 0),) * 5 + (None, None), start_on=first, end_on=first + timedelta(days=13)
            ),
        )
        trip_id = publish(driver, draft(origin=CAP_DAIL, destination=ROQUEBRUNE))  # once: not regular
    asked = where(FONTVIEILLE, LA_ROUSSE, departureTimeOfDay="08:05:00")
    [found] = call(client, spec, "driver_regular_trips", secret, **asked).get_json()
    assert found["webUrl"] == f"http://localhost/trips/regular/{regular_id}"
    assert found["driver"]["alias"] == "Camille" and found["journeyPolyline"]
    days = [s["passengerPickupDay"] for s in found["schedules"]]
    assert days == ["MON", "TUE", "WED", "THU", "FRI"]  # one pickup time each
    dates = [j for s in found["schedules"] for j in s["journeySchedules"]]
    weekdays_left = sum(1 for n in range(14) if (first + timedelta(days=n)).weekday() < 5)
    assert len(dates) == weekdays_left and str(trip_id) not in {j["id"] for j in dates}
    assert all(j["webUrl"].startswith(f"http://localhost/trips/{j['id']}?pickup=") for j in dates)
    # One day of the week only; and a time of day far from 8:00 finds nothing.
    one_day = first + timedelta(days=next(n for n in range(7) if (first + timedelta(days=n)).weekday() < 5))
    name = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")[one_day.weekday()]
    [only] = call(client, spec, "driver_regular_trips", secret, **asked, departureWeekdays=name).get_json()
    assert {s["passengerPickupDay"] for s in only["schedules"]} == {name}
    evening = where(FONTVIEILLE, LA_ROUSSE, departureTimeOfDay="18:00:00")
    assert call(client, spec, "driver_regular_trips", secret, **evening).get_json() == []
    weekend = call(client, spec, "driver_regular_trips", secret, **asked, departureWeekdays="SAT,SUN")
    assert weekend.get_json() == []


def test_regular_ride_requests_are_passengers_regular_trips(
    app: Flask, client: FlaskClient, spec: OpenAPI, secret: str, passenger: int
) -> None:
    alert_id = request_ride(
        app, passenger, day=None, weekdays=frozenset({0, 2}), until=TOMORROW.date() + timedelta(days=20)
    )
    request_ride(app, passenger)  # one day only: not a regular need
    asked = where(FONTVIEILLE, LA_ROUSSE, departureTimeOfDay="07:00:00", timeDelta=3600)
    [found] = call(client, spec, "passenger_regular_trips", secret, **asked).get_json()
    assert found["passenger"]["id"] == str(passenger)
    assert [s["passengerPickupDay"] for s in found["schedules"]] == ["MON", "WED"]
    assert {s["passengerPickupTimeOfDay"] for s in found["schedules"]} == {"07:30:00"}
    moments = [j["passengerPickupDate"] for s in found["schedules"] for j in s["journeySchedules"]]
    assert moments and all(datetime.fromtimestamp(m, PARIS).time() == time(7, 30) for m in moments)
    ids = {j["id"] for s in found["schedules"] for j in s["journeySchedules"]}
    assert all(i.startswith(f"{alert_id}-") for i in ids) and len(ids) == len(moments)
    tuesday = call(client, spec, "passenger_regular_trips", secret, **asked, departureWeekdays="TUE")
    assert tuesday.get_json() == []
    noon = where(FONTVIEILLE, LA_ROUSSE, departureTimeOfDay="12:00:00")
    assert call(client, spec, "passenger_regular_trips", secret, **noon).get_json() == []


# -- refusals ---------------------------------------------------------------------------------------


TODAY_STAMP = stamp(TOMORROW)


@pytest.mark.parametrize(
    ("endpoint", "params", "valid_request", "message"),
    [
        ("driver_journeys", where(FONTVIEILLE, LA_ROUSSE), False, "departureDate est manquant"),
        ("driver_journeys", where(FONTVIEILLE, LA_ROUSSE, departureDate="demain"), False, "nombre entier"),
        (
            "driver_journeys",
            where(FONTVIEILLE, LA_ROUSSE, departureDate=TODAY_STAMP, departureLat="x"),
            False,
            "un nombre",
        ),
        (
            "driver_journeys",
            where((200.0, 7.42), LA_ROUSSE, departureDate=TODAY_STAMP),
            True,
            "aucun lieu sur Terre",
        ),
        (
            "driver_journeys",
            where((48.8566, 2.3522), LA_ROUSSE, departureDate=TODAY_STAMP),
            True,
            "en dehors de la région",
        ),
        (
            "driver_journeys",
            where(FONTVIEILLE, LA_ROUSSE, departureDate=TODAY_STAMP, departureRadius=-1),
            True,
            "rayon",
        ),
        ("driver_journeys", where(FONTVIEILLE, LA_ROUSSE, departureDate=TODAY_STAMP, count=0), True, "count"),
        (
            "driver_journeys",
            where(FONTVIEILLE, LA_ROUSSE, departureDate=TODAY_STAMP, timeDelta=-5),
            True,
            "timeDelta",
        ),
        (
            "driver_journeys",
            where(FONTVIEILLE, LA_ROUSSE, departureDate=TODAY_STAMP, timeDelta=10**7),
            True,
            "timeDelta",
        ),
        ("driver_journeys", where(FONTVIEILLE, LA_ROUSSE, departureDate=10**18), True, "date possible"),
        (
            "driver_journeys",
            where(FONTVIEILLE, LA_ROUSSE, departureDate=TODAY_STAMP, arrivalRadius="nan"),
            True,
            "un nombre",
        ),
        ("passenger_journeys", where(FONTVIEILLE, (43.0, 7.0), departureDate=TODAY_STAMP), True, "région"),
        ("driver_regular_trips", where(FONTVIEILLE, LA_ROUSSE, departureTimeOfDay="25:00:00"), True, "heure"),
        ("driver_regular_trips", where(FONTVIEILLE, LA_ROUSSE), False, "departureTimeOfDay est manquant"),
        (
            "driver_regular_trips",
            where(FONTVIEILLE, LA_ROUSSE, departureTimeOfDay="08:00:00", departureWeekdays="LUNDI"),
            True,
            "MON",
        ),
        (
            "passenger_regular_trips",
            where(
                FONTVIEILLE,
                LA_ROUSSE,
                departureTimeOfDay="08:00:00",
                minDepartureDate=TODAY_STAMP + 86400,
                maxDepartureDate=TODAY_STAMP,
            ),
            True,
            "avant",
        ),
    ],
)
def test_bad_parameters_are_a_400_that_says_why(
    client: FlaskClient,
    spec: OpenAPI,
    secret: str,
    endpoint: str,
    params: dict[str, object],
    valid_request: bool,
    message: str,
) -> None:
    response = call(client, spec, endpoint, secret, valid_request=valid_request, **params)
    assert response.status_code == 400
    assert message in response.get_json()["error"]


@pytest.mark.parametrize("endpoint", ["driver_journeys", "passenger_journeys"])
@pytest.mark.parametrize("moment", [-62135596800, -1, 253402300799, 253402300000, 2**63])
def test_dates_at_the_calendars_ends_are_refused_not_a_crash(
    client: FlaskClient, spec: OpenAPI, secret: str, endpoint: str, moment: int
) -> None:
    asked = where(FONTVIEILLE, LA_ROUSSE, departureDate=moment, timeDelta=0)
    response = call(client, spec, endpoint, secret, **asked)
    assert response.status_code == 400 and "date" in response.get_json()["error"]


@pytest.mark.parametrize("endpoint", ["driver_regular_trips", "passenger_regular_trips"])
@pytest.mark.parametrize(
    "bounds", [(253402300000, 253402300799), (253402300000, None), (None, 253402300799), (-1, None)]
)
def test_regular_bounds_at_the_calendars_ends_are_refused(
    client: FlaskClient, spec: OpenAPI, secret: str, endpoint: str, bounds: tuple[int | None, int | None]
) -> None:
    dates = {
        key: value
        for key, value in zip(("minDepartureDate", "maxDepartureDate"), bounds, strict=True)
        if value is not None
    }
    asked = where(FONTVIEILLE, LA_ROUSSE, departureTimeOfDay="08:00:00", departureWeekdays="MON", **dates)
    response = call(client, spec, endpoint, secret, **asked)
    assert response.status_code == 400 and "date" in response.get_json()["error"]


def test_errors_are_in_the_partners_language(client: FlaskClient, spec: OpenAPI, secret: str) -> None:
    asked = where(FONTVIEILLE, LA_ROUSSE, departureDate=TODAY_STAMP, count=0)
    english = call(client, spec, "driver_journeys", secret, headers={"Accept-Language": "en"}, **asked)
    french = call(client, spec, "driver_journeys", secret, headers={"Accept-Language": "fr"}, **asked)
    assert english.get_json() == {"error": "count must be at least 1."}
    assert french.get_json()["error"] != english.get_json()["error"]


def test_every_error_under_the_prefix_is_json(
    app: Flask, client: FlaskClient, spec: OpenAPI, secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = client.get(f"{PREFIX}/bookings", headers={"X-API-Key": secret})
    assert missing.status_code == 404 and "error" in missing.get_json()
    wrong_method = client.post(f"{PREFIX}/status")
    assert wrong_method.status_code == 405 and "error" in wrong_method.get_json()
    # The site's own pages keep their HTML error page.
    assert "<html" in client.get("/nothing-here").get_data(as_text=True)

    def broken(*args: object, **kwargs: object) -> list[dict[str, object]]:
        raise RuntimeError("a bug")

    monkeypatch.setattr("carpool.services.standard.driver_journeys", broken)
    failed = client.get(
        f"{PREFIX}/driver_journeys",
        query_string=where(FONTVIEILLE, LA_ROUSSE, departureDate=TODAY_STAMP),
        headers={"X-API-Key": secret},
    )
    assert failed.status_code == 500 and "error" in failed.get_json()
    # The standard has no path for 404 and 405; its 500 is checked.
    spec.validate_response(_PartnerRequest(failed.request), WerkzeugOpenAPIResponse(failed))


# -- keys and rates -----------------------------------------------------------------------------------


def test_status_needs_no_key(client: FlaskClient, spec: OpenAPI) -> None:
    response = call(client, spec, "status", None)
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_no_key_an_unknown_key_or_a_revoked_key_is_a_401(
    app: Flask, client: FlaskClient, spec: OpenAPI, secret: str
) -> None:
    asked = where(FONTVIEILLE, LA_ROUSSE, departureDate=TODAY_STAMP)
    assert call(client, spec, "driver_journeys", None, **asked).status_code == 401
    assert call(client, spec, "driver_journeys", "not-a-key", **asked).status_code == 401
    bearer = call(
        client, spec, "driver_journeys", None, headers={"Authorization": f"Bearer {secret}"}, **asked
    )
    assert bearer.status_code == 200
    with app.app_context():
        key = db.session.query(PartnerKey).one()
        assert key.last_used_at is not None and key.secret_hash != secret and secret.startswith(key.prefix)
        partners.revoke(key.id)
    refused = call(client, spec, "passenger_journeys", secret, **asked)
    assert refused.status_code == 401 and "X-API-Key" in refused.get_json()["error"]


def test_each_key_has_its_own_rate_and_is_told_when_to_retry(
    app: Flask, client: FlaskClient, spec: OpenAPI
) -> None:
    slow, other = new_key(app, "Slow", rate="2/minute"), new_key(app, "Other")
    asked = where(FONTVIEILLE, LA_ROUSSE, departureDate=TODAY_STAMP)
    assert call(client, spec, "driver_journeys", slow, **asked).status_code == 200
    # The rate counts requests to every endpoint together.
    assert call(client, spec, "passenger_journeys", slow, **asked).status_code == 200
    over = call(client, spec, "driver_journeys", slow, **asked)
    assert over.status_code == 429 and "error" in over.get_json()
    assert re.fullmatch(r"\d+", over.headers["Retry-After"]) and 0 < int(over.headers["Retry-After"]) <= 60
    assert call(client, spec, "driver_journeys", other, **asked).status_code == 200


def test_keys_from_the_command_line(app: Flask, runner: FlaskCliRunner) -> None:
    added = runner.invoke(args=["partners", "add", "Ville de Nice", "--rate", "10/minute"])
    assert added.exit_code == 0, added.output
    secret = re.search(r"key 1 for Ville de Nice: (\S+)", added.output)
    assert secret
    with app.app_context():
        assert partners.authenticate(secret.group(1)) is not None
    listed = runner.invoke(args=["partners", "list"]).output
    assert "Ville de Nice" in listed and "10/minute" in listed and "active" in listed
    assert secret.group(1) not in listed  # only its prefix
    assert runner.invoke(args=["partners", "revoke", "1"]).exit_code == 0
    assert "revoked" in runner.invoke(args=["partners", "list"]).output
    with app.app_context():
        assert partners.authenticate(secret.group(1)) is None
    assert runner.invoke(args=["partners", "revoke", "9"]).exit_code != 0
    assert runner.invoke(args=["partners", "add", "Bad rate", "--rate", "often"]).exit_code != 0


def test_only_administrators_manage_keys(
    app: Flask,
    signed_in: FlaskClient,  # noqa: F811
    runner: FlaskCliRunner,
) -> None:
    assert signed_in.get("/moderation/partners").status_code == 403
    token = token_of(signed_in, "/")
    assert signed_in.post("/moderation/partners", data={"name": "X", "csrf_token": token}).status_code == 403
    with app.app_context():
        assert partners.list_keys() == []
    assert runner.invoke(args=["users", "make-admin", "camille@example.org"]).exit_code == 0
    page = signed_in.get("/moderation/partners").get_data(as_text=True)
    assert "Clés des partenaires" in page
    made = signed_in.post(
        "/moderation/partners",
        data={"name": "Appli mobilité", "rate_limit": "30/minute", "csrf_token": token},
    )
    shown = re.search(r'<code id="partner-secret">([^<]+)</code>', made.get_data(as_text=True))
    assert made.status_code == 200 and shown
    with app.app_context():
        [key] = partners.list_keys()
        assert (key.name, key.rate_limit) == ("Appli mobilité", "30/minute")
        assert partners.authenticate(shown.group(1)) is not None
    # Shown once: the list shows the prefix only.
    again = signed_in.get("/moderation/partners").get_data(as_text=True)
    assert shown.group(1) not in again and key.prefix in again
    refused = signed_in.post(
        "/moderation/partners", data={"name": "Y", "rate_limit": "vite", "csrf_token": token}
    )
    assert refused.status_code == 400 and "60/minute" in refused.get_data(as_text=True)
    assert signed_in.post(f"/moderation/partners/{key.id}/revoke", data={}).status_code == 400
    with app.app_context():
        assert partners.authenticate(shown.group(1)) is not None  # no token: nothing done
    signed_in.post(f"/moderation/partners/{key.id}/revoke", data={"csrf_token": token})
    with app.app_context():
        assert partners.authenticate(shown.group(1)) is None
    assert "Révoquée" in signed_in.get("/moderation/partners").get_data(as_text=True)


# -- the polyline --------------------------------------------------------------------------------------


def test_the_polyline_encoder_round_trips_a_real_route(app: Flask) -> None:
    with app.app_context():
        route = get_router().route((PALACE.lat, PALACE.lon), (LARVOTTO.lat, LARVOTTO.lon))
    back = decode(encode(route.coords))
    assert len(back) == len(route.coords)
    assert all(
        abs(a - c) <= 6e-6 and abs(b - d) <= 6e-6 for (a, b), (c, d) in zip(back, route.coords, strict=True)
    )


# -- settings --------------------------------------------------------------------------------------


def test_rates_are_counted_in_redis_when_there_is_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert load_config(tmp_path)["RATELIMIT_STORAGE_URI"] == "memory://"
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    assert load_config(tmp_path)["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memcached://127.0.0.1:11211")
    assert load_config(tmp_path)["RATELIMIT_STORAGE_URI"] == "memcached://127.0.0.1:11211"


def test_the_operator_is_named_by_its_setting(
    app: Flask, client: FlaskClient, spec: OpenAPI, secret: str, passenger: int
) -> None:
    request_ride(app, passenger)
    app.config["OPERATOR_ID"] = "covoiturage.example.org"
    asked = where(FONTVIEILLE, LA_ROUSSE, departureDate=stamp(TOMORROW))
    [journey] = call(client, spec, "passenger_journeys", secret, **asked).get_json()
    assert journey["operator"] == journey["passenger"]["operator"] == "covoiturage.example.org"
