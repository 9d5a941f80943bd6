"""One's own data, as the profile page's download gives it."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from ...services import privacy
from .auth import SECURED, member_id, token_required

blp = Blueprint("api_account", __name__, url_prefix="/api/v1/me", description="One's own account.")


@blp.get("/data")
@blp.doc(**SECURED)
@blp.response(200)
@token_required
def my_data() -> dict[str, Any]:
    """All one's data: account, trips, bookings, messages, reviews, alerts."""
    return privacy.export_data(member_id())
