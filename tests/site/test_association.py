"""The association's pages (charter, how it is run, privacy), their settings, the
footer that links them, and a site that makes no request to another host."""

from __future__ import annotations

import html
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from carpool.config import load_config
from tests.site.test_pages import publish, signed_in  # noqa: F401  (fixture)
from tests.site.test_trips import TOMORROW

PAGES = ("/charter", "/association", "/transparency", "/privacy")


class _Attributes(HTMLParser):
    """Every (tag, attribute, value) of a page, entities decoded."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [(tag, name, value or "") for name, value in attrs]


def attributes(page: str) -> list[tuple[str, str, str]]:
    parser = _Attributes()
    parser.feed(page)
    return parser.found


def external(page: str) -> list[tuple[str, str, str]]:
    """The addresses of ``page`` that point to another host: in src, href, action…,
    and in any attribute at all (a data-* attribute read by a script). Not the SVG
    namespace of the charts (``xmlns``): a name, which no browser fetches."""
    return [
        (tag, name, value)
        for tag, name, value in attributes(page)
        if not name.startswith("xmlns")
        and (urlsplit(value.strip()).netloc or value.strip().startswith(("http:", "https:", "//")))
    ]


def english(client: FlaskClient, path: str) -> str:
    return client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)


def french(client: FlaskClient, path: str) -> str:
    return client.get(path, headers={"Accept-Language": "fr"}).get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "fr", "en"),
    [
        ("/charter", "La charte des membres", "The members' charter"),
        ("/association", "Comment elle est financée", "How it is funded"),
        ("/transparency", "Transparence : les chiffres du site", "Transparency: the site's figures"),
        ("/privacy", "Vie privée : vos données", "Privacy: your data"),
    ],
)
def test_the_pages_answer_in_french_and_english(client: FlaskClient, path: str, fr: str, en: str) -> None:
    for language, heading in (("fr", fr), ("en", en)):
        response = client.get(path, headers={"Accept-Language": language})
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert f'<html lang="{language}">' in page and heading in html.unescape(page)


def test_the_footer_links_the_association_s_pages_everywhere(client: FlaskClient) -> None:
    for path in ("/", "/account/login", "/search", "/trips/999", *PAGES):
        page = client.get(path).get_data(as_text=True)
        footer = page[page.index("<footer>") :]
        links = [value for tag, name, value in attributes(footer) if tag == "a" and name == "href"]
        assert set(PAGES) <= set(links), path


def test_the_association_s_settings_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    defaults = load_config(tmp_path)
    assert (defaults["DONATION_URL"], defaults["CONTACT_EMAIL"]) == ("", "")
    assert (defaults["RETENTION_MONTHS"], defaults["CO2_G_PER_KM"]) == (24, 193.0)
    for name, value in {
        "ASSOCIATION_NAME": "Covoit’ Vallée",
        "CONTACT_EMAIL": "bureau@covoit.example.org",
        "DONATION_URL": "https://dons.example.org/",
        "RETENTION_MONTHS": "36",
        "CO2_G_PER_KM": "170.5",
    }.items():
        monkeypatch.setenv(name, value)
    config = load_config(tmp_path)
    assert (
        config["ASSOCIATION_NAME"] == "Covoit’ Vallée"
        and config["DONATION_URL"] == "https://dons.example.org/"
    )
    assert config["CONTACT_EMAIL"] == "bureau@covoit.example.org"
    assert config["RETENTION_MONTHS"] == 36 and config["CO2_G_PER_KM"] == 170.5


def test_the_charter_says_what_members_commit_to(app: Flask, client: FlaskClient) -> None:
    page = french(client, "/charter")
    for commitment in (
        "jamais un bénéfice",
        "Aucune commission",
        "Pas de conduite professionnelle",
        "Le respect",
        "Ponctualité",
        "Sécurité",
        "Aucune discrimination",
    ):
        assert commitment in page, commitment
    assert "0,10\u00a0€ par kilomètre" in page  # the cost-sharing ceiling in force
    assert "Every member" in english(client, "/charter")


def test_how_the_association_is_run_and_funded(client: FlaskClient) -> None:
    page = french(client, "/association")
    for fact in (
        "assemblée générale",
        "bénévoles",
        "modérateurs",
        "dons et des cotisations",
        "subventions publiques",
        "Aucune publicité",
        "aucune vente de données",
        "publie ses comptes chaque année",
        "ne traite jamais aucun paiement",
    ):
        assert fact in page, fact
    assert 'href="/transparency"' in page and 'href="/privacy"' in page


def _donation_links(page: str, url: str) -> list[tuple[str, str, str]]:
    return [(t, n, v) for t, n, v in attributes(page) if v == url]


def test_a_donation_button_only_when_the_association_has_a_donation_page(
    app: Flask, client: FlaskClient
) -> None:
    page = french(client, "/association")
    assert "Faire un don" not in page and not external(page)
    assert "ne traite jamais aucun paiement" in page  # said whether or not there is a button

    url = "https://dons.example.org/carpool?campagne=2026&moyen=cb"
    app.config["DONATION_URL"] = url
    for read in (french, english):
        page = read(client, "/association")
        assert _donation_links(page, url) == [("a", "href", url)]
        assert external(page) == [("a", "href", url)]  # a link the member follows, nothing loaded
    assert 'class="button" href="https://dons.example.org/carpool?campagne=2026&amp;moyen=cb"' in page
    assert "Faire un don" in french(client, "/association") and "Make a donation" in page

    app.config["DONATION_URL"] = "javascript:alert(1)"  # never a link
    page = french(client, "/association")
    assert "Faire un don" not in page and "javascript:" not in page


def test_the_contact_address_is_given_once_it_is_set(app: Flask, client: FlaskClient) -> None:
    assert "mailto:" not in french(client, "/privacy")
    assert "écrivez à" not in french(client, "/association")
    app.config["CONTACT_EMAIL"] = "bureau@covoit.example.org"
    app.config["ASSOCIATION_NAME"] = "Covoit’ du Haut-Pays"
    link = '<a href="mailto:bureau@covoit.example.org">bureau@covoit.example.org</a>'
    for path in ("/charter", "/association", "/privacy"):
        page = french(client, path)
        assert link in page, path
    assert "Covoit’ du Haut-Pays est une association" in french(client, "/association")


def test_the_privacy_page_states_the_settings_in_force(app: Flask, client: FlaskClient) -> None:
    page = french(client, "/privacy")
    assert "24 mois après le trajet" in page
    assert "tile.openstreetmap.org" in page and "adresse IP" in page
    assert "numéro de téléphone" in page and "signalement" in page and "avis" in page.lower()
    assert "Aucune publicité" in page and "aucun pistage" in page
    assert "Nominatim" not in page and "nominatim.openstreetmap.org" not in page

    app.config.update(
        RETENTION_MONTHS=1,
        MAP_TILE_URL="https://tuiles.covoit.example.org/{z}/{x}/{y}.png",
        GEOCODER="nominatim",
        GEOCODER_DOMAIN="lieux.covoit.example.org",
    )
    page = french(client, "/privacy")
    assert "1 mois après le trajet" in page
    assert "tuiles.covoit.example.org" in page and "tile.openstreetmap.org" not in page
    assert "lieux.covoit.example.org" in page
    assert "1 month after the trip" in english(client, "/privacy")
    app.config["MAP_TILE_URL"] = "/tiles/{z}/{x}/{y}.png"  # tiles served by the site itself
    assert "viennent de ce site même" in french(client, "/privacy")


def test_the_main_pages_request_nothing_from_another_host(
    app: Flask,
    signed_in: FlaskClient,  # noqa: F811
) -> None:
    """No address of the site's pages points to another host: no script, style, image,
    font or form elsewhere, and no link either. The one external address is the map
    tiles' (MAP_TILE_URL), given to the map's script in a data attribute.

    There is no allow-list: the OpenStreetMap copyright link is written by the map's
    script into the map's attribution (a link, which loads nothing until followed),
    and the donation link exists only when DONATION_URL is set (tested above)."""
    trip = publish(signed_in).headers["Location"]
    day = TOMORROW.date().isoformat()
    paths = [
        "/",
        f"/search?origin=Cap-d'Ail&destination=Monaco&day={day}",
        trip,
        trip + "?pickup=43.7300,7.4200&dropoff=43.7400,7.4300",
        "/trips/new",
        *PAGES,
    ]
    tiles = app.config["MAP_TILE_URL"]
    maps = 0
    for path in paths:
        page = signed_in.get(path).get_data(as_text=True)
        found = external(page)
        assert all((name, value) == ("data-tiles", tiles) for _, name, value in found), (path, found)
        assert page.count(tiles) == len(found), path  # the tile address only in that attribute
        assert "url(" not in page and "@import" not in page, path
        maps += len(found)
    assert maps >= 4  # the home page's, the publishing form's and the trip page's maps
    assert "Trajet avec Camille" in signed_in.get(paths[1]).get_data(as_text=True)  # a result shown
    stylesheet = signed_in.get("/static/css/site.css").get_data(as_text=True)
    assert "url(" not in stylesheet and "@import" not in stylesheet
