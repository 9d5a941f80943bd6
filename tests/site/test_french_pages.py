"""The French pages contain no English UI text: every page a member can reach, in
every state that shows different text, rendered in French and searched for the
English of every translated string (and for the form library's own messages)."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from carpool import ROOT
from tests.site.test_auth import token_of
from tests.site.test_bookings import member
from tests.site.test_pages import publish, signed_in  # noqa: F401  (fixture)
from tests.site.test_reviews import completed_booking, user_id
from tests.site.test_trips import TOMORROW

#: Visible text and the attributes read aloud or shown (labels of the map, hints).
_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S)
_SPOKEN = re.compile(r'(?:aria-label|title|placeholder|alt)="([^"]*)"')


def visible_text(page: str) -> str:
    spoken = " ".join(_SPOKEN.findall(page))
    return html.unescape(_TAGS.sub(" ", page) + " " + spoken)


@pytest.fixture(scope="module")
def english_phrases() -> list[str]:
    """The English text of every UI string whose French differs: the longest piece
    between placeholders, when it is long enough not to be a French word too."""
    with (ROOT / "translations" / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalogue = read_po(source, locale="fr")
    phrases = []
    for message in catalogue:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for english in ids:
            if not english or english in strings:
                continue
            piece = max(re.split(r"%\(\w+\)[sd]", english), key=len).strip(" :;,.")
            if len(piece) >= 8 and " " in piece:
                phrases.append(piece)
    # WTForms' own messages, for fields whose checks come from the library.
    phrases += ["Not a valid", "This field is required", "Invalid CSRF", "Field must be"]
    return phrases


def _moderation_pages(client: FlaskClient, trip: str) -> dict[str, TestResponse]:
    """The signed-in driver becomes a moderator; Claude reports their trip, and Sam."""
    from carpool.extensions import db
    from carpool.models import User
    from carpool.services import moderation

    with client.application.app_context():
        driver = db.session.get(User, 1)
        assert driver is not None
        driver.is_admin = True
        other = User(email="claude@example.org", display_name="Claude", password_hash="-", language="fr")
        rude = User(email="sam@example.org", display_name="Sam", password_hash="-", language="fr")
        db.session.add_all([other, rude])
        db.session.commit()
        trip_id = int(trip.rsplit("/", 1)[1])
        moderation.report(other.id, moderation.ReportTarget("trip", trip_id), "professional", "Taxi")
        closed = moderation.report(other.id, moderation.ReportTarget("user", rude.id), "behaviour", "Impoli")
        member_page = f"/members/{other.id}"
    refused = client.post(
        f"/moderation/reports/{closed}",
        data={"action": "suspend", "csrf_token": token_of(client, "/")},
        follow_redirects=True,
    )
    client.post(
        f"/moderation/reports/{closed}", data={"action": "close", "csrf_token": token_of(client, "/")}
    )
    return {
        "other member": client.get(member_page),
        "moderation queue": client.get("/moderation"),
        "moderation dashboard": client.get("/moderation/dashboard"),
        "moderation report": client.get("/moderation/reports/1"),
        "moderation report refused": refused,
        "moderation report closed": client.get(f"/moderation/reports/{closed}"),
        "moderation log": client.get("/moderation/log"),
        "moderation members": client.get("/moderation/users?q=a"),
        "moderation trips": client.get("/moderation/trips"),
        "moderation bookings": client.get("/moderation/bookings?q=nobody"),
        "partner keys, none": client.get("/moderation/partners"),
        "partner key made": client.post(
            "/moderation/partners", data={"name": "Appli", "csrf_token": token_of(client, "/")}
        ),
        "partner key refused": client.post(
            "/moderation/partners",
            data={"name": "", "rate_limit": "vite", "csrf_token": token_of(client, "/")},
        ),
        "partner key revoked": _revoked_partner_key(client),
    }


def _revoked_partner_key(client: FlaskClient) -> TestResponse:
    """The partner keys page after revoking the key made before."""
    token = token_of(client, "/moderation/partners")
    return client.post("/moderation/partners/1/revoke", data={"csrf_token": token}, follow_redirects=True)


def pages(client: FlaskClient) -> dict[str, str]:
    """Every kind of page, in French, for a signed-in driver with a published trip."""
    day = TOMORROW.date().isoformat()
    empty_day = (TOMORROW + timedelta(days=20)).date().isoformat()
    response = publish(client, **{"stopovers-0": "Monaco"}, luggage="large", pets="y")
    trip = response.headers["Location"]
    shown = {
        "home": client.get("/"),
        "publish form": client.get("/trips/new"),
        "publish refused": publish(client, origin="Nulle-Part", seats="12", return_day=day),
        "trip (driver)": client.get(trip),
        "trip (passenger's view)": client.get(trip + "?pickup=43.73,7.42&dropoff=43.74,7.43"),
        "edit form": client.get(trip + "/edit"),
        "results": client.get(f"/search?origin=Cap-d'Ail&destination=Monaco&day={day}"),
        "no results": client.get(f"/search?origin=Monaco&destination=Cap-d'Ail&day={empty_day}"),
        "search refused": client.get("/search?origin=Nulle-Part&destination=&day=demain"),
        "profile form": client.get("/account/profile"),
        "profile refused": client.post(
            "/account/profile",
            data={"display_name": "", "phone": "?", "smoking": "x", "csrf_token": token_of(client, "/")},
        ),
        "member": client.get("/members/1"),
        "my trips": client.get("/my/trips"),
        "inbox": client.get("/inbox"),
        "alerts": client.get("/alerts"),
        "alert refused": client.post(
            "/alerts",
            data={
                "origin": "Nulle-Part",
                "destination": "Monaco",
                "seats": "0",
                "csrf_token": token_of(client, "/"),
            },
        ),
        "ride requests": client.get("/requests"),
        "delete account": client.get("/account/delete"),
        "api tokens": client.get("/account/tokens"),
        "api token made": client.post(
            "/account/tokens",
            data={"token-name": "Téléphone", "token-csrf_token": token_of(client, "/account/profile")},
        ),
        "regular trip form": client.get("/trips/regular/new"),
        "regular trip": client.get(
            client.post(
                "/trips/regular/new",
                data={
                    "origin": "Cap-d'Ail",
                    "destination": "Monaco",
                    "seats": "2",
                    "max_detour_min": "10",
                    "luggage": "medium",
                    "time_2": "07:45",
                    "start_on": day,
                    "end_on": (TOMORROW + timedelta(days=15)).date().isoformat(),
                    "csrf_token": token_of(client, "/"),
                },
            ).headers["Location"]
        ),
        "regular trip refused": client.post(
            "/trips/regular/new",
            data={"origin": "Monaco", "destination": "Nulle-Part", "csrf_token": token_of(client, "/")},
        ),
        "not found": client.get("/trips/999"),
        "charter": client.get("/charter"),
        "association": client.get("/association"),
        "transparency": client.get("/transparency"),
        "privacy": client.get("/privacy"),
        "open data": client.get("/open-data"),
    }
    shown.update(_moderation_pages(client, trip))
    client.post(trip + "/cancel", data={"reason": "Panne", "csrf_token": token_of(client, trip)})
    shown["cancelled trip"] = client.get(trip)
    shown.update(after_a_trip(client))
    client.post("/account/logout", data={"csrf_token": token_of(client, "/")})
    for path in ("/account/login", "/account/register", "/account/reset"):
        shown[path] = client.get(path)
    shown["no results (signed out)"] = client.get(
        f"/search?origin=Monaco&destination=Cap-d'Ail&day={empty_day}"
    )
    shown["past date"] = client.get(
        f"/search?origin=Monaco&destination=Cap-d'Ail&day={(TOMORROW - timedelta(days=400)).date()}"
    )
    return {name: response.get_data(as_text=True) for name, response in shown.items()}


def after_a_trip(client: FlaskClient) -> dict[str, TestResponse]:
    """The pages of a trip that took place: the booking, the review form (new,
    refused, being changed), the profile with a review, a no-show reported."""
    app = client.application
    passenger = member(app, "Alix")
    booking = f"/bookings/{completed_booking(app, user_id(app, 'camille@example.org'), passenger)}"
    shown = {
        "booking after the trip": client.get(booking),
        "my trips after a trip": client.get("/my/trips"),
        "review form": client.get(booking + "/review"),
        "review refused": client.post(
            booking + "/review", data={"rating": "9", "comment": "x", "csrf_token": token_of(client, booking)}
        ),
    }
    client.post(
        booking + "/review",
        data={"rating": "4", "comment": "Ponctuelle", "csrf_token": token_of(client, booking)},
    )
    shown["review being changed"] = client.get(booking + "/review")
    shown["member with reviews"] = client.get(f"/members/{passenger}")
    client.post(booking + "/no-show", data={"csrf_token": token_of(client, booking)})
    shown["booking with a no-show"] = client.get(booking)
    return shown


def test_french_pages_contain_no_english_ui_text(
    app: Flask,
    signed_in: FlaskClient,  # noqa: F811
    english_phrases: list[str],
) -> None:
    rendered = pages(signed_in)
    assert len(english_phrases) > 100  # the catalogue was read
    # Each page is in the state it stands for.
    assert "Trajet avec Camille" in rendered["results"]
    assert "Être alerté" in rendered["no results"] and "Être alerté" in rendered["no results (signed out)"]
    assert "Modifier ce trajet" in rendered["trip (driver)"] and "Annulé" in rendered["cancelled trip"]
    assert 'class="error"' in rendered["publish refused"]
    assert rendered["transparency"].count("<svg") == 4 and "Ni pistage" in rendered["privacy"]
    assert "Donner un avis sur Alix" in rendered["booking after the trip"]
    assert "Donner un avis sur Alix" in rendered["my trips after a trip"]
    assert "Choisissez une note" in rendered["review refused"] and "4/5" in rendered["member with reviews"]
    assert "Vous avez signalé l’absence de Alix." in rendered["booking with a no-show"]
    assert "Signaler ce membre" in rendered["other member"] and "Taxi" in rendered["moderation queue"]
    assert "Choisissez le dernier jour" in rendered["moderation report refused"]
    assert "Clos sans suite" in rendered["moderation log"]
    assert "Nouveaux membres" in rendered["moderation dashboard"]
    leaks = {
        name: [phrase for phrase in english_phrases if phrase in visible_text(page)]
        for name, page in rendered.items()
    }
    assert all('<html lang="fr">' in page for page in rendered.values())
    broken = [name for name, page in rendered.items() if "Un problème est survenu de notre côté" in page]
    assert not broken  # the error page is in French too: it must be asked for
    assert not any(leaks.values()), leaks
