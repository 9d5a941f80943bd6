"""The pages anyone can open, in a real browser: without an account, in French and in
English, checked by axe-core and against the content security policy."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser

from tests.browser.conftest import PHONE, Problems, Site, new_context, screenshot

PUBLIC_PAGES = {
    "home": "/",
    "results": f"/search?origin=Monaco&destination=Menton&day={date.today() + timedelta(days=2)}",
    "sign-in": "/account/login",
    "register": "/account/register",
    "reset": "/account/reset",
    "charter": "/charter",
    "association": "/association",
    "transparency": "/transparency",
    "privacy": "/privacy",
    "open-data": "/open-data",
    "requests": "/requests",
}


@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
def test_public_pages_have_no_serious_accessibility_violation(
    site: Site, browser: Browser, artifacts: Path, problems: Problems, locale: str
) -> None:
    page = new_context(browser, problems, locale=locale).new_page()
    for name, path in PUBLIC_PAGES.items():
        page.goto(site.url + path)
        screenshot(page, artifacts, name)
        assert page.locator("html").get_attribute("lang") == locale[:2]
        violations = Axe().run(page).response["violations"]
        serious = [v["id"] for v in violations if v["impact"] in ("serious", "critical")]
        assert serious == [], f"{name}: {serious}"
    assert problems.seen == []


def test_public_pages_fit_a_phone(site: Site, browser: Browser, artifacts: Path, problems: Problems) -> None:
    page = new_context(browser, problems, viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    for name, path in PUBLIC_PAGES.items():
        page.goto(site.url + path)
        screenshot(page, artifacts, name)
        wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wider <= 0, f"{name} is {wider}px wider than the phone's screen"
    assert problems.seen == []


def test_the_browser_refuses_a_script_written_into_a_page(
    site: Site, browser: Browser, problems: Problems
) -> None:
    """What the policy is for: were some member's text ever to slip into a page as a
    script, the browser would not run it (and the journeys would report it)."""
    page = new_context(browser, problems).new_page()
    page.goto(site.url + "/")
    page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "document.body.dataset.injected = 'yes'";
                   document.head.appendChild(s); }"""
    )
    assert page.locator("body").get_attribute("data-injected") is None
    assert any("Content Security Policy" in seen for seen in problems.seen), problems.seen
