"""Two people meet through the site in a real browser: a driver registers, confirms
the address by the e-mailed link and publishes a trip with a stopover; a passenger
finds it from a village on its road, asks for a seat; the driver accepts; they write
to each other; after the trip each reviews the other.

The journey is made in French, in English, without JavaScript, and on a phone. Every
page is kept as a screenshot; on the way the browser must report no script error, no
request the content security policy blocked and no server error; axe-core finds no
serious or critical accessibility violation on any page; on the phone no page is
wider than the screen.
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from email import policy
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from tests.browser.conftest import PHONE, Problems, Site, new_context, screenshot

PASSWORD = "correct horse battery"
DAYS_AHEAD = 3
DAY = (date.today() + timedelta(days=DAYS_AHEAD)).isoformat()

#: What a person reads on the buttons and in the messages, in each language.
WORDS = {
    "fr": {
        "register": "Créer mon compte",
        "confirmed": "Votre adresse e-mail est confirmée.",
        "sign in": "Se connecter",
        "hello": "Bonjour {name} !",
        "publish": "Publier mon trajet",
        "find": "Trouver un covoiturage",
        "ask": "Demander au conducteur",
        "sent": "Votre demande est envoyée au conducteur.",
        "accept": "Accepter",
        "accepted": "Acceptée",
        "send": "Envoyer",
        "review": "Donner un avis sur {name}",
        "save review": "Enregistrer mon avis",
    },
    "en": {
        "register": "Create my account",
        "confirmed": "Your e-mail address is confirmed.",
        "sign in": "Sign in",
        "hello": "Hello {name}!",
        "publish": "Publish my trip",
        "find": "Find a ride",
        "ask": "Ask the driver",
        "sent": "Your request is sent to the driver.",
        "accept": "Accept",
        "accepted": "Accepted",
        "send": "Send",
        "review": "Review {name}",
        "save review": "Save my review",
    },
}

#: A tile for every map: the tests have no internet, and the tile server's images are
#: not what they check (the policy's check comes before any request is made).
_TILE = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a5b1d1b40000000049454e44ae426082"
)


@dataclass(frozen=True)
class Way:
    """How the journey is made: the person's language, JavaScript or not, screen."""

    name: str
    language: str
    javascript: bool = True
    phone: bool = False

    def context_options(self) -> dict[str, object]:
        options: dict[str, object] = {
            "locale": {"fr": "fr-FR", "en": "en-GB"}[self.language],
            "java_script_enabled": self.javascript,
            "timezone_id": "Europe/Paris",
        }
        if self.phone:
            options.update(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
        return options


WAYS = [
    Way("french", "fr"),
    Way("english", "en"),
    Way("without-javascript", "fr", javascript=False),
    Way("phone", "fr", phone=True),
]


@dataclass
class Journey:
    """One way through the site: the pages seen, checked and kept as they are seen."""

    site: Site
    way: Way
    folder: Path
    problems: Problems
    checked: list[str] = field(default_factory=list)

    def words(self, key: str, **values: str) -> str:
        return WORDS[self.way.language][key].format(**values)

    def person(self, browser: Browser) -> Page:
        context = new_context(browser, self.problems, **self.way.context_options())
        _serve_tiles(context)
        return context.new_page()

    def look(self, page: Page, name: str) -> None:
        """The page as it is now: kept, and checked as a person would need it."""
        page.wait_for_load_state("load")
        screenshot(page, self.folder, name)
        assert page.locator("html").get_attribute("lang") == self.way.language, name
        assert self.problems.seen == [], name
        if self.way.javascript:
            violations = Axe().run(page).response["violations"]
            serious = [
                f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
                for v in violations
                if v["impact"] in ("serious", "critical")
            ]
            assert serious == [], f"{name}: {serious}"
        if self.way.phone:
            wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert wider <= 0, f"{name} is {wider}px wider than the phone's screen"
        self.checked.append(name)

    def mail_link(self, address: str, path: str) -> str:
        """The link to ``path`` in the last mail sent to ``address``."""
        for message in reversed(_mails(self.site.outbox)):
            if address in str(message["To"]):
                body = message.get_body(("plain",))
                assert body is not None
                found = re.search(rf"{re.escape(self.site.url)}{path}\S+", body.get_content())
                if found:
                    return found.group(0)
        raise AssertionError(f"no mail to {address} with a link to {path}")

    def member(self, browser: Browser, name: str) -> Page:
        """A person who registers, confirms by the mailed link and signs in."""
        address = f"{name.lower()}.{self.way.name}@example.org"
        page = self.person(browser)
        page.goto(self.site.url + "/account/register")
        page.locator("#email").fill(address)
        page.locator("#display_name").fill(name)
        page.locator("#password").fill(PASSWORD)
        self.look(page, f"{name}-register")
        page.get_by_role("button", name=self.words("register")).click()
        self.look(page, f"{name}-registered")
        page.goto(self.mail_link(address, "/account/confirm/"))
        expect(page.get_by_text(self.words("confirmed"))).to_be_visible()
        page.locator("#email").fill(address)
        page.locator("#password").fill(PASSWORD)
        self.look(page, f"{name}-sign-in")
        page.locator("main").get_by_role("button", name=self.words("sign in")).click()
        expect(page.get_by_text(self.words("hello", name=name))).to_be_visible()
        self.look(page, f"{name}-home")
        return page


def _mails(outbox: Path) -> list[email.message.EmailMessage]:
    files = sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in files]  # type: ignore[misc]


def _serve_tiles(context: BrowserContext) -> None:
    def tile(route: Route) -> None:
        route.fulfill(status=200, content_type="image/png", body=_TILE)

    context.route(re.compile(r"https://[^/]*tile\.openstreetmap\.org/.*"), tile)


@pytest.mark.parametrize("way", WAYS, ids=[way.name for way in WAYS])
def test_a_driver_and_a_passenger_meet_through_the_site(
    site: Site, browser: Browser, artifacts: Path, problems: Problems, way: Way
) -> None:
    journey = Journey(site, way, artifacts, problems)
    driver_name, passenger_name = "Camille", f"Alix{way.name.title().replace('-', '')}"

    # The driver offers a trip from Cap-d'Ail to Roquebrune-Cap-Martin through Monaco.
    driver = journey.member(browser, driver_name + way.name.title().replace("-", ""))
    driver_name = driver_name + way.name.title().replace("-", "")
    driver.goto(site.url + "/trips/new")
    driver.locator("#origin").fill("Cap-d'Ail")
    driver.locator("#stopovers-0").fill("Monaco")
    driver.locator("#destination").fill("Roquebrune-Cap-Martin")
    driver.locator("#day").fill(DAY)
    driver.locator("#hour").fill("08:00")
    driver.locator("#seats").fill("3")
    journey.look(driver, "driver-publish-form")
    driver.get_by_role("button", name=journey.words("publish")).click()
    expect(driver).to_have_url(re.compile(r"/trips/\d+$"))
    trip_url = driver.url
    body = driver.locator("main")
    for place in ("Cap-d'Ail", "Monaco", "Roquebrune-Cap-Martin"):
        expect(body).to_contain_text(place)
    if way.javascript:  # the route on a map; without JavaScript, the stops listed above
        expect(driver.locator(".map.leaflet-container")).to_be_visible()
        expect(driver.locator(".leaflet-overlay-pane path").first).to_be_attached()
    else:  # and no empty frame where the map would be
        expect(driver.locator(".map")).to_be_hidden()
    journey.look(driver, "driver-trip")

    # The passenger looks for a ride from Beausoleil, a village on the trip's road.
    passenger = journey.member(browser, passenger_name)
    passenger.goto(site.url + "/")
    passenger.locator("#origin").fill("Beausoleil")
    passenger.locator("#destination").fill("Roquebrune-Cap-Martin")
    passenger.locator("#day").fill(DAY)
    passenger.get_by_role("button", name=journey.words("find")).click()
    result = passenger.locator(f'.card a[href^="{trip_url.removeprefix(site.url)}?"]')
    expect(result).to_have_count(1)
    journey.look(passenger, "passenger-results")
    result.click()
    expect(passenger.locator("#book-title")).to_be_visible()
    journey.look(passenger, "passenger-trip")
    passenger.get_by_role("button", name=journey.words("ask")).click()
    expect(passenger.get_by_text(journey.words("sent"))).to_be_visible()
    booking_url = passenger.url
    assert re.search(r"/bookings/\d+$", booking_url)
    journey.look(passenger, "passenger-booking-requested")

    # The driver accepts, from the link in the mail that told them.
    driver.goto(journey.mail_link(f"{driver_name.lower()}.{way.name}@example.org", "/bookings/"))
    journey.look(driver, "driver-booking-request")
    driver.locator("main").get_by_role("button", name=journey.words("accept"), exact=True).click()
    expect(driver.locator("main")).to_contain_text(journey.words("accepted"))
    journey.look(driver, "driver-booking-accepted")

    # They write to each other about the booking.
    passenger.goto(booking_url)
    passenger.locator("#body").fill("Je serai devant la mairie de Beausoleil.")
    passenger.get_by_role("button", name=journey.words("send"), exact=True).click()
    expect(passenger.locator("main")).to_contain_text("Je serai devant la mairie de Beausoleil.")
    journey.look(passenger, "passenger-conversation")
    driver.goto(site.url + "/inbox")
    journey.look(driver, "driver-inbox")
    driver.locator("main a[href^='/conversations/']").first.click()
    expect(driver.locator("main")).to_contain_text("Je serai devant la mairie de Beausoleil.")
    driver.locator("#body").fill("Parfait, à jeudi !")
    driver.get_by_role("button", name=journey.words("send"), exact=True).click()
    journey.look(driver, "driver-conversation")
    passenger.reload()
    expect(passenger.locator("main")).to_contain_text("Parfait, à jeudi !")

    # The trip takes place; each reviews the other.
    booking_id = int(booking_url.rsplit("/", 1)[1])
    site.into_the_past(booking_id, days=DAYS_AHEAD + 1)
    for page, other, who in ((passenger, driver_name, "passenger"), (driver, passenger_name, "driver")):
        page.goto(booking_url)
        page.get_by_role("link", name=journey.words("review", name=other)).click()
        page.locator("input[name=rating][value='5']").check()
        page.locator("#comment").fill("Très agréable, merci !")
        journey.look(page, f"{who}-review")
        page.get_by_role("button", name=journey.words("save review")).click()
        expect(page).to_have_url(re.compile(r"/bookings/\d+$"))
        journey.look(page, f"{who}-reviewed")
    driver.goto(f"{site.url}/members/{site.member_id(passenger_name)}")
    expect(driver.locator("main")).to_contain_text("Très agréable, merci !")
    journey.look(driver, "passenger-profile")

    assert problems.seen == []
    assert len(journey.checked) >= 20
