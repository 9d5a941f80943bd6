"""Profiles: what members say about themselves, what others see, and their language."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from carpool.extensions import db
from carpool.models import User
from tests.site.test_auth import token_of
from tests.site.test_pages import signed_in  # noqa: F401  (fixture)


def profile_data(client: FlaskClient, **changes: str) -> dict[str, str]:
    data = {
        "display_name": "Camille M.",
        "bio": "Je vais à Nice tous les jours pour le travail.",
        "phone": "+33 6 12 34 56 78",
        "car_model": "Renault Clio",
        "car_colour": "bleue",
        "smoking": "no",
        "pets": "depends",
        "music": "",
        "chattiness": "chatty",
        "language": "fr",
        "csrf_token": token_of(client, "/account/profile"),
    }
    data.update(changes)
    return data


def test_a_member_fills_in_their_profile_and_others_see_it_without_the_phone(
    app: Flask,
    signed_in: FlaskClient,  # noqa: F811
) -> None:
    response = signed_in.post("/account/profile", data=profile_data(signed_in))
    assert response.status_code == 302
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Votre profil est enregistré." in page
    with app.app_context():
        user = db.session.query(User).filter_by(email="camille@example.org").one()
        assert (user.display_name, user.phone, user.smoking, user.music) == (
            "Camille M.",
            "+33 6 12 34 56 78",
            "no",
            "",
        )
        user_id = user.id
    signed_in.post("/account/logout", data={"csrf_token": token_of(signed_in, "/")})
    public = signed_in.get(f"/members/{user_id}").get_data(as_text=True)
    assert "Camille M." in public and "Renault Clio, bleue" in public
    assert "Non-fumeur" in public and "Selon l’animal" in public and "J’aime discuter" in public
    assert "12 34 56 78" not in public and "camille@example.org" not in public
    assert signed_in.get("/members/999").status_code == 404


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"display_name": ""}, "Ce champ est obligatoire."),
        ({"phone": "appelle-moi"}, "Uniquement des chiffres"),
        ({"smoking": "sometimes"}, "smoking-error"),
        ({"bio": "x" * 501}, "500"),
    ],
)
def test_a_wrong_profile_is_shown_again_with_the_reason(
    signed_in: FlaskClient,  # noqa: F811
    changes: dict[str, str],
    message: str,
) -> None:
    response = signed_in.post("/account/profile", data=profile_data(signed_in, **changes))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in page
    assert message in page
    assert "Je vais à Nice" in page or "x" * 100 in page  # what was typed is kept


def test_the_language_of_the_profile_is_the_language_of_the_site(signed_in: FlaskClient) -> None:  # noqa: F811
    signed_in.post("/account/profile", data=profile_data(signed_in, language="en"))
    page = signed_in.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="en">' in page and "Find a ride" in page
    # The switch in the header changes the profile too.
    signed_in.post("/language", data={"language": "fr", "next": "/", "csrf_token": token_of(signed_in, "/")})
    page = signed_in.get("/account/profile").get_data(as_text=True)
    assert '<html lang="fr">' in page and 'value="fr" selected' in page.replace('lang="fr" ', "")
