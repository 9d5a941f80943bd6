"""Alerts: searches kept, which mail each trip published along the way; a public
one is a "looking for a ride" request drivers see."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from ...services import alerts
from .auth import SECURED, member_id, token_required
from .problems import refusals
from .schemas import AlertInSchema, AlertSchema

blp = Blueprint("api_alerts", __name__, url_prefix="/api/v1/alerts", description="Searches kept as alerts.")

ALERT = "/<int(max=2147483647):alert_id>"


def _view(alert_id: int) -> alerts.AlertView:
    return next(alert for alert in alerts.my_alerts(member_id()) if alert.id == alert_id)


@blp.route("")
class Alerts(MethodView):
    @blp.doc(**SECURED)
    @blp.response(200, AlertSchema(many=True))
    @token_required
    def get(self) -> list[alerts.AlertView]:
        """One's alerts, those still running first."""
        return alerts.my_alerts(member_id())

    @blp.doc(**SECURED)
    @blp.arguments(AlertInSchema)
    @blp.response(201, AlertSchema)
    @token_required
    @refusals
    def post(self, data: dict[str, Any]) -> alerts.AlertView:
        """Keep an alert for one day (give or take ``flex_days``) or for days of the
        week until ``until``; asking for the same alert twice keeps it once."""
        wish = alerts.AlertWish(**{**data, "weekdays": frozenset(data["weekdays"])})
        return _view(alerts.create_alert(member_id(), wish))


@blp.route(ALERT)
class Alert(MethodView):
    @blp.doc(**SECURED)
    @blp.response(204)
    @token_required
    @refusals
    def delete(self, alert_id: int) -> None:
        """Forget an alert."""
        alerts.delete_alert(alert_id, member_id())


@blp.post(f"{ALERT}/pause")
@blp.doc(**SECURED)
@blp.response(200, AlertSchema)
@token_required
@refusals
def pause(alert_id: int) -> alerts.AlertView:
    """No more e-mails for this alert (and its request hidden) until it is resumed."""
    alerts.set_paused(alert_id, member_id(), True)
    return _view(alert_id)


@blp.post(f"{ALERT}/resume")
@blp.doc(**SECURED)
@blp.response(200, AlertSchema)
@token_required
@refusals
def resume(alert_id: int) -> alerts.AlertView:
    """Alert again, for the trips published from now on."""
    alerts.set_paused(alert_id, member_id(), False)
    return _view(alert_id)
