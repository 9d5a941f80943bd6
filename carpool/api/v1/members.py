"""Members as others see them: profile, trust figures and reviews received."""

from __future__ import annotations

from flask_smorest import Blueprint

from ...services import members
from .limits import per_address
from .problems import refusals
from .schemas import MemberSchema

blp = Blueprint(
    "api_members", __name__, url_prefix="/api/v1/members", description="Members' public profiles."
)


@blp.get("/<int(max=2147483647):user_id>")
@blp.response(200, MemberSchema)
@per_address
@refusals
def profile(user_id: int) -> members.PublicProfile:
    """A member's public profile (never their e-mail or phone); a deleted account is a 404."""
    return members.public_profile(user_id)
