"""How often ``/api/v1`` may be called (Flask-Limiter): per member for what needs a
token, per client address for the rest, and tighter for making a token with a
password (so that passwords cannot be guessed through the API). Over a limit: 429,
with ``Retry-After``, as problem details."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import g

from ...extensions import MESSAGES_SCOPE, configured_rate, limiter, member_bucket

__all__ = ["messages", "per_address", "per_member", "token_attempts"]

P = ParamSpec("P")
R = TypeVar("R")


def _member_bucket() -> str:
    return member_bucket(g.api_member_id)


def per_member(view: Callable[P, R]) -> Callable[P, R]:
    """Count the request against the member's share, over every endpoint together
    (call it once the token is known: see :func:`.auth.token_required`)."""
    limited: Callable[P, R] = limiter.shared_limit(
        configured_rate("API_RATE_LIMIT"), scope="api-v1-member", key_func=_member_bucket
    )(view)
    return limited


def messages(view: Callable[P, R]) -> Callable[P, R]:
    """Count a message against the member's share of messages, the same share as the
    pages' (:func:`carpool.blueprints.limits.messages`): the API is no way around it.
    Put it under :func:`.auth.token_required`, which makes the member known."""
    limited: Callable[P, R] = limiter.shared_limit(
        configured_rate("MESSAGE_RATE_LIMIT"), scope=MESSAGES_SCOPE, key_func=_member_bucket
    )(view)
    return limited


def per_address(view: Callable[P, R]) -> Callable[P, R]:
    """Count the request against the client address's share of the open endpoints."""
    limited: Callable[P, R] = limiter.shared_limit(configured_rate("API_RATE_LIMIT"), scope="api-v1-open")(
        view
    )
    return limited


def token_attempts(view: Callable[P, R]) -> Callable[P, R]:
    """Count an attempt to make a token with a password, per client address."""
    limited: Callable[P, R] = limiter.limit(configured_rate("API_TOKEN_RATE_LIMIT"))(view)
    return limited
