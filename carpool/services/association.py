"""The association that runs the site, as its own pages present it: its name, how to
reach it and give to it, and the facts its privacy page states, read from the
configuration so that the pages never say something the site does not do."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app

from . import geocoder

__all__ = ["About", "PrivacyFacts", "about", "privacy_facts"]


@dataclass(frozen=True)
class About:
    """The association as its pages name it.

    ``donation_url`` is its donation page (its own, or its payment provider's), or ""
    when none is set: then no donation button is shown. ``contact_email`` may be ""
    too, before the association sets it.
    """

    name: str
    contact_email: str
    donation_url: str
    #: The most a driver may ask per km and passenger (the charter's "costs shared").
    ceiling_per_km: float
    currency: str


@dataclass(frozen=True)
class PrivacyFacts:
    """What the privacy page states about the data kept and who receives it.

    ``tile_host`` is the server the browser asks for the map's images ("" when the
    site serves them itself); ``geocoder_host`` the server that the site, not the
    browser, asks for places its gazetteer lacks ("" when it asks none).
    """

    about: About
    retention_months: int
    tile_host: str
    geocoder_host: str


def _web_address(url: str) -> str:
    """``url`` if it is an http(s) address, else "": a setting such as
    ``javascript:…`` never becomes a link."""
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else ""


def about() -> About:
    """The association's name, addresses and cost-sharing ceiling, from the configuration."""
    config = current_app.config
    return About(
        name=str(config["ASSOCIATION_NAME"]),
        contact_email=str(config["CONTACT_EMAIL"]).strip(),
        donation_url=_web_address(str(config["DONATION_URL"])),
        ceiling_per_km=float(config["CONTRIBUTION_CEILING_PER_KM"]),
        currency=str(config["CURRENCY"]),
    )


def privacy_facts() -> PrivacyFacts:
    """The privacy page's facts: retention and the hosts that see members' requests."""
    config = current_app.config
    return PrivacyFacts(
        about=about(),
        retention_months=int(config["RETENTION_MONTHS"]),
        tile_host=urlsplit(str(config["MAP_TILE_URL"])).hostname or "",
        geocoder_host=str(config["GEOCODER_DOMAIN"]) if geocoder.enabled() else "",
    )
