"""Database models: one module per area; every schema change has a migration."""

from .place import Place

__all__ = ["Place"]
