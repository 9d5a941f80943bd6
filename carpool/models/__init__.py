"""Database models: one module per area; every schema change has a migration."""

from .alert import Alert, AlertMatch
from .api_token import ApiToken
from .booking import BOOKING_STATES, Booking, BookingEvent
from .conversation import Conversation, Message
from .mail import MailJob
from .moderation import MODERATION_ACTIONS, REPORT_CATEGORIES, REPORT_KINDS, ModerationAction, Report
from .partner import PartnerKey
from .place import Place
from .review import NoShow, Review
from .trip import RegularTrip, Trip, TripCell, TripStop
from .user import NOTIFICATIONS, PREFERENCES, User

__all__ = [
    "BOOKING_STATES",
    "MODERATION_ACTIONS",
    "NOTIFICATIONS",
    "PREFERENCES",
    "REPORT_CATEGORIES",
    "REPORT_KINDS",
    "Alert",
    "AlertMatch",
    "ApiToken",
    "Booking",
    "BookingEvent",
    "Conversation",
    "MailJob",
    "Message",
    "ModerationAction",
    "NoShow",
    "PartnerKey",
    "Place",
    "RegularTrip",
    "Report",
    "Review",
    "Trip",
    "TripCell",
    "TripStop",
    "User",
]
