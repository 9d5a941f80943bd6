"""Database models: one module per area; every schema change has a migration."""

from .alert import Alert, AlertMatch
from .booking import BOOKING_STATES, Booking, BookingEvent
from .conversation import Conversation, ConversationReport, Message
from .mail import MailJob
from .place import Place
from .review import NoShow, Review
from .trip import RegularTrip, Trip, TripCell, TripStop
from .user import NOTIFICATIONS, PREFERENCES, User

__all__ = [
    "BOOKING_STATES",
    "NOTIFICATIONS",
    "PREFERENCES",
    "Alert",
    "AlertMatch",
    "Booking",
    "BookingEvent",
    "Conversation",
    "ConversationReport",
    "MailJob",
    "Message",
    "NoShow",
    "Place",
    "RegularTrip",
    "Review",
    "Trip",
    "TripCell",
    "TripStop",
    "User",
]
