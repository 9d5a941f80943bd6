"""Database models: one module per area; every schema change has a migration."""

from .alert import Alert
from .place import Place
from .trip import Trip, TripCell, TripStop
from .user import PREFERENCES, User

__all__ = ["PREFERENCES", "Alert", "Place", "Trip", "TripCell", "TripStop", "User"]
