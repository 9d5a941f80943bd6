"""What every answer of the site tells the browser to protect its members: a content
security policy (scripts, styles and frames only from the site itself; map tiles from
the tile server), no type sniffing, no referrer beyond the site's origin, no framing,
and session cookies that never travel in clear once the site is served over HTTPS.

Bound in :func:`carpool.create_app` with :func:`init_app`, as an extension would be.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface

if TYPE_CHECKING:
    from flask import Response

__all__ = ["content_security_policy", "init_app", "tile_source"]


def tile_source(tile_url: str) -> str:
    """The CSP source of a map tile URL template: its scheme and host, with Leaflet's
    ``{s}`` subdomain placeholder as a wildcard.

    Examples
    --------
    >>> tile_source("https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    'https://tile.openstreetmap.org'
    >>> tile_source("https://{s}.tile.example.org/{z}/{x}/{y}.png")
    'https://*.tile.example.org'
    >>> tile_source("/tiles/{z}/{x}/{y}.png")
    "'self'"
    """
    parts = urlsplit(tile_url.replace("{s}", "subdomain-placeholder"))
    if not parts.netloc:
        return "'self'"
    host = parts.netloc.replace("subdomain-placeholder", "*")
    return f"{parts.scheme}://{host}"


def content_security_policy(tile_url: str) -> str:
    """The policy of every page: nothing inline (no ``unsafe-inline``, for scripts or
    styles), nothing from elsewhere but the map's tiles, no plugins, no framing, and
    forms that post to the site only.

    Examples
    --------
    >>> "'unsafe-inline'" in content_security_policy("https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    False
    """
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": f"'self' {tile_source(tile_url)}",
        "connect-src": "'self'",
        "font-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with a cookie marked Secure whenever the request
    came over HTTPS (behind nginx, gunicorn reads X-Forwarded-Proto): the demo site on
    http://127.0.0.1:5000 keeps working, a public site's cookie never goes in clear."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure or super().get_cookie_secure(app)


def init_app(app: Flask) -> None:
    """Cookie settings, and the headers added to every answer."""
    app.session_interface = _SessionInterface()
    # HttpOnly is Flask's default; Lax keeps the cookie off other sites' POSTs (Flask
    # sets no SameSite unless told).
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    policy = content_security_policy(str(app.config["MAP_TILE_URL"]))

    @app.after_request
    def protect(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        # The tile server needs to know which site asks (OpenStreetMap's tile policy),
        # never which page: the origin only, and nothing over plain HTTP.
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors, for old browsers
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        if request.is_secure:
            # Once a member reached the site over HTTPS, their browser never asks over HTTP.
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
