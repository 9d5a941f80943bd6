"""Database models: one module per area; every schema change has a migration."""

from .alert import Alert
from .booking import BOOKING_STATES, Booking, BookingEvent
from .conversation import Conversation, Message
from .place import Place
from .trip import Trip, TripCell, TripStop
from .user import PREFERENCES, User

__all__ = [
    "BOOKING_STATES",
    "PREFERENCES",
    "Alert",
    "Booking",
    "BookingEvent",
    "Conversation",
    "Message",
    "Place",
    "Trip",
    "TripCell",
    "TripStop",
    "User",
]
