"""Configuration from environment variables, with safe defaults.

Every setting can be given as an environment variable of the same name; tests pass
their own through ``create_app(test_config)``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

__all__ = ["load_config", "secret_key"]

_DEFAULTS: dict[str, Any] = {
    "DEFAULT_LOCALE": "fr",
    "LANGUAGES": ("fr", "en"),
    "TIMEZONE": "Europe/Paris",
    "MAX_SNAP_M": 5_000.0,
    # Who computes times and routes: "builtin" (the routing core's own contraction
    # hierarchy on ROAD_GRAPH) or "osrm" (an osrm-routed server at OSRM_URL, prepared
    # from the same extract as ROAD_GRAPH; see docs/OSRM.md). Points are snapped on
    # ROAD_GRAPH either way. OSRM_TIMEOUT: seconds to wait for each of its answers;
    # OSRM_MAX_TABLE_SIZE: the server's --max-table-size (larger tables are asked in parts).
    "ROUTER_BACKEND": "builtin",
    "OSRM_URL": "http://127.0.0.1:5001",
    "OSRM_TIMEOUT": 10.0,
    "OSRM_MAX_TABLE_SIZE": 100,
    # Side of the search index's cells: smaller reads fewer trips per search and
    # stores more rows per trip. Run 'flask trips reindex' after changing it.
    "SEARCH_CELL_M": 5_000.0,
    # "inline", "thread" or "rq"; empty: rq with REDIS_URL, a thread with MAIL_SERVER,
    # else inline (the file outbox).
    "MAIL_DELIVERY": "",
    # The site's address, for links in mails sent outside a request (commands, workers).
    "SITE_URL": "http://127.0.0.1:5000",
    "REDIS_URL": "",
    # With REDIS_URL: how long the routes computed when publishing in bulk are kept
    # there (under their stops), for the next week's same trips; 0: not kept.
    "ROUTE_CACHE_DAYS": 14.0,
    "MAIL_SERVER": "",
    "MAIL_PORT": 587,
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_USE_TLS": True,
    "MAIL_SENDER": "carpool <no-reply@localhost>",
    "GEOCODER": "",  # "nominatim" to look up places missing from the gazetteer
    "GEOCODER_USER_AGENT": "carpool",  # Nominatim's policy: name the site (and a contact)
    "GEOCODER_DOMAIN": "nominatim.openstreetmap.org",  # or an association's own Nominatim
    "GEOCODER_SCHEME": "https",
    "GEOCODER_TIMEOUT": 5.0,  # seconds; a slower answer counts as "unknown place"
    "MAP_TILE_URL": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    # Bytes a request may send: the site takes no uploads, and its largest form (a trip
    # with six stopovers and a description) is a few kilobytes; a bigger body is a 413.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "CONTRIBUTION_PER_KM": 0.06,
    "CONTRIBUTION_CEILING_PER_KM": 0.10,
    "CURRENCY": "EUR",
    # A booking cancelled this close to the pickup counts as a late cancellation.
    "LATE_CANCELLATION_HOURS": 24,
    # The association that runs the site, as its pages name it, and its address.
    "ASSOCIATION_NAME": "carpool",
    "CONTACT_EMAIL": "",
    # Where members give to the association (its own or its payment provider's page);
    # empty: no donation button. The site itself never handles payments.
    "DONATION_URL": "",
    # Past trips and messages older than this are purged or anonymised; the privacy
    # page states it.
    "RETENTION_MONTHS": 24,
    # Grams of CO2 a passenger car emits per km, for the CO2 avoided on /transparency.
    "CO2_G_PER_KM": 193.0,
    # The author of a review may change it for this many days after writing it.
    "REVIEW_EDIT_DAYS": 14,
    # A no-show can be reported from the pickup time until this many days after it.
    "NO_SHOW_DAYS": 14,
    # Automatic flags for the moderators: a driver publishing more trips than this
    # leaving within 7 days, or offering this many seats or more on one trip.
    "FLAG_TRIPS_PER_WEEK": 20,
    "FLAG_SEATS": 7,
    # The licence of the open data export (/open-data) and the address of its text.
    # The routes' lengths and durations come from OpenStreetMap's roads (under the ODbL
    # too): hence the default, and the attribution to its contributors in the files.
    "OPEN_DATA_LICENCE": "Open Database License (ODbL) 1.0",
    "OPEN_DATA_LICENCE_URL": "https://opendatacommons.org/licenses/odbl/1-0/",
    # The partner API (/api/standard/v1): how this site names itself to partners (a
    # domain name it owns; empty: SERVER_NAME, else "carpool.localhost"), and the
    # requests a partner key may make, unless the key has its own rate.
    "OPERATOR_ID": "",
    "PARTNER_RATE_LIMIT": "60/minute",
    # The JSON API (/api/v1): requests per member's token, or per client address where
    # no token is needed; and attempts to make a token with a password, per address.
    "API_RATE_LIMIT": "120/minute",
    "API_TOKEN_RATE_LIMIT": "10/minute",
    # The site's own pages (carpool/blueprints/limits.py). A form counts only when it
    # is posted: reading it costs nothing. Signing in, per client address: ten tries a
    # minute for someone who mistypes, 50 guesses an hour for a robot.
    "LOGIN_RATE_LIMIT": "10/minute;50/hour",
    # Signing in, per e-mail address tried, from wherever it comes: a password cannot
    # be guessed from many addresses at once (720 guesses a day at most); the owner,
    # should a stranger try their address that often, waits an hour at worst.
    "LOGIN_EMAIL_RATE_LIMIT": "5/minute;30/hour",
    # New accounts per client address: an association's meeting signs its members up
    # over one Wi-Fi; a robot making accounts stops at 20 an hour.
    "REGISTER_RATE_LIMIT": "5/minute;20/hour",
    # Password-reset requests per client address: one is enough, a few when the mail
    # is slow to come; each sends a mail.
    "RESET_RATE_LIMIT": "5/minute;20/hour",
    # Mails that registering and resetting send to one e-mail address (the link, or
    # "someone tried to register with your address"), whoever asks: no mailbox can be
    # flooded through the site.
    "MAIL_PER_ADDRESS_RATE_LIMIT": "5/hour;20/day",
    # Messages a member sends from the pages: a conversation never needs ten a minute;
    # a spammer writing to every driver stops at 100 a day.
    "MESSAGE_RATE_LIMIT": "10/minute;100/day",
    # Searches per client address: a person reads results for longer than a second,
    # and even an office behind one address stays below; a robot copying the site's
    # trips does not. The search is the busiest page and the one that costs most.
    "SEARCH_RATE_LIMIT": "60/minute",
    # Where rate limits are counted: empty means REDIS_URL when there is one (shared
    # by every worker), else the process's memory.
    "RATELIMIT_STORAGE_URI": "",
    # False turns every rate limit off (a load test on loopback; never a public site).
    "RATELIMIT_ENABLED": True,
}
_NUMBERS = {
    "MAX_SNAP_M": float,
    "SEARCH_CELL_M": float,
    "ROUTE_CACHE_DAYS": float,
    "GEOCODER_TIMEOUT": float,
    "OSRM_TIMEOUT": float,
    "OSRM_MAX_TABLE_SIZE": int,
    "MAIL_PORT": int,
    "MAX_CONTENT_LENGTH": int,
    "LATE_CANCELLATION_HOURS": int,
    "RETENTION_MONTHS": int,
    "CO2_G_PER_KM": float,
    "REVIEW_EDIT_DAYS": int,
    "NO_SHOW_DAYS": int,
    "FLAG_TRIPS_PER_WEEK": int,
    "FLAG_SEATS": int,
    "CONTRIBUTION_PER_KM": float,
    "CONTRIBUTION_CEILING_PER_KM": float,
}


def secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once into the instance folder
    (readable by its owner only), so sessions survive restarts without a setup step."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance_path / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def load_config(instance_path: Path) -> dict[str, Any]:
    """The configuration: defaults, overridden by environment variables."""
    config: dict[str, Any] = dict(_DEFAULTS)
    for key, default in _DEFAULTS.items():
        value = os.environ.get(key)
        if value is None:
            continue
        if key in _NUMBERS:
            config[key] = _NUMBERS[key](value)
        elif isinstance(default, bool):
            config[key] = value.lower() in ("1", "true", "yes", "on")
        elif isinstance(default, tuple):
            config[key] = tuple(v.strip() for v in value.split(","))
        else:
            config[key] = value
    config["SECRET_KEY"] = secret_key(instance_path)
    config["RATELIMIT_STORAGE_URI"] = config["RATELIMIT_STORAGE_URI"] or config["REDIS_URL"] or "memory://"
    # Flask-Limiter sends X-RateLimit-* and, with a 429, Retry-After in seconds.
    config["RATELIMIT_HEADERS_ENABLED"] = True
    config["SQLALCHEMY_DATABASE_URI"] = os.environ.get(
        "DATABASE_URL", f"sqlite:///{instance_path / 'carpool.sqlite'}"
    )
    config["ROAD_GRAPH"] = os.environ.get("ROAD_GRAPH", str(instance_path / "region.graph"))
    config["MAIL_OUTBOX"] = os.environ.get("MAIL_OUTBOX", str(instance_path / "outbox"))
    return config
