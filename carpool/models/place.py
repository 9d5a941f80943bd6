"""Named places of the region: the offline gazetteer behind place search."""

from __future__ import annotations

from sqlalchemy import Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class Place(db.Model):  # type: ignore[name-defined,misc]
    """A city, town, village, hamlet or suburb people can start from or go to.

    ``search_key`` is the name folded for search (no accents, lower case, words
    separated by single spaces): "Saint-Étienne" is stored as "saint etienne".
    """

    __tablename__ = "place"
    __table_args__ = (UniqueConstraint("source", "source_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    search_key: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    population: Mapped[int] = mapped_column(Integer, default=0)
    #: Where the place comes from: "geonames", "osm" or "nominatim" (a geocoder
    #: answer kept as a cache); with source_id, unique.
    source: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[str] = mapped_column(String(40))

    def __repr__(self) -> str:
        return f"<Place {self.name!r} {self.lat:.4f},{self.lon:.4f}>"
