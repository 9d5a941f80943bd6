"""Personal tokens: made with one's e-mail and password, listed, revoked."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from ...services import api_tokens
from .auth import SECURED, member_id, token_required
from .limits import token_attempts
from .problems import refusals, refuse
from .schemas import NewTokenSchema, TokenInSchema, TokenSchema

blp = Blueprint("api_tokens", __name__, url_prefix="/api/v1/tokens", description="Personal API tokens.")


@blp.route("")
class Tokens(MethodView):
    @blp.arguments(TokenInSchema)
    @blp.response(201, NewTokenSchema)
    @token_attempts
    @refusals
    def post(self, credentials: dict[str, Any]) -> api_tokens.NewToken:
        """Make a token from an e-mail address and password (the token is shown once)."""
        try:
            return api_tokens.create_token_with_password(
                credentials["email"], credentials["password"], credentials["name"]
            )
        except api_tokens.BadCredentials as refused:
            refuse(401, refused.message)

    @blp.doc(**SECURED)
    @blp.response(200, TokenSchema(many=True))
    @token_required
    def get(self) -> list[api_tokens.TokenView]:
        """The tokens in use of the member whose token this is."""
        return api_tokens.my_tokens(member_id())


@blp.route("/<int(max=2147483647):token_id>")
class Token(MethodView):
    @blp.doc(**SECURED)
    @blp.response(204)
    @token_required
    @refusals
    def delete(self, token_id: int) -> None:
        """Revoke one of one's tokens (the one in use included)."""
        api_tokens.revoke(token_id, member_id())
