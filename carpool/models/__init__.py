"""Database models: one module per area; every schema change has a migration."""

from .place import Place
from .trip import Trip, TripStop
from .user import User

__all__ = ["Place", "Trip", "TripStop", "User"]
