"""Who calls ``/api/v1``: a member by a personal token (``Authorization: Bearer``),
never by the site's session cookie, so that no other site can act for them."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import g, request
from flask_babel import gettext as _
from flask_smorest import abort

from ...services import api_tokens
from .limits import per_member

__all__ = ["SECURED", "member_id", "token_required"]

P = ParamSpec("P")
R = TypeVar("R")

#: The documentation of an operation that needs a token.
SECURED: dict[str, list[dict[str, list[str]]]] = {"security": [{"bearerAuth": []}]}


def _bearer() -> str | None:
    scheme, _space, secret = request.headers.get("Authorization", "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def token_required(view: Callable[P, R]) -> Callable[P, R]:
    """Refuse the request (401) without a valid token; else the member is :func:`member_id`,
    and the request counts against their rate (429 over it)."""
    limited = per_member(view)

    @wraps(view)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        secret = _bearer()
        user_id = api_tokens.authenticate(secret) if secret else None
        if user_id is None:
            abort(
                401,
                message=_("A valid API token is needed: send it as “Authorization: Bearer <token>”."),
                headers={"WWW-Authenticate": 'Bearer realm="carpool"'},
            )
        g.api_member_id = user_id
        return limited(*args, **kwargs)

    return checked


def member_id() -> int:
    """The member the token of this request acts for."""
    found: int = g.api_member_id
    return found
