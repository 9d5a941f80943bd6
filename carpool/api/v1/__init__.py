"""The site's own JSON API, ``/api/v1``: what the site does, for apps and partners.

One module per area (as the site's blueprints); views read the request (checked
against :mod:`.schemas`), call one service and answer JSON; the services' refusals
become problem details (:mod:`.problems`). The OpenAPI document is generated from the
views and schemas (:mod:`.api`), at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

from flask import Flask

from ...extensions import csrf
from . import account, alerts, bookings, conversations, members, places, regular_trips, search, tokens, trips
from .api import SETTINGS, CarpoolApi
from .problems import problem_response, unexpected_response

__all__ = ["PREFIX", "init_app", "problem_response", "unexpected_response"]

PREFIX = "/api/v1"


def init_app(app: Flask) -> CarpoolApi:
    """Serve ``/api/v1`` and its OpenAPI document on ``app``."""
    for name, value in SETTINGS.items():
        app.config.setdefault(name, value)
    api = CarpoolApi(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for module in (
        tokens,
        places,
        trips,
        regular_trips,
        search,
        bookings,
        conversations,
        alerts,
        members,
        account,
    ):
        # Tokens, not the session cookie, authenticate here: no cross-site forgery to fear.
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp)
    return api
