"""Google's encoded polyline format, as the standard covoiturage API gives routes.

Twenty lines written here rather than a dependency: the format is fixed and small,
and the PyPI packages for it add nothing but an install. See
https://developers.google.com/maps/documentation/utilities/polylinealgorithm
"""

from __future__ import annotations

from collections.abc import Iterable

from routing import LatLon

__all__ = ["decode", "encode"]


def _encode_number(value: int) -> str:
    # The sign goes into the lowest bit, then 5-bit chunks, lowest first, each but
    # the last flagged with 0x20, each shifted into printable ASCII by 63.
    value = ~(value << 1) if value < 0 else value << 1
    chunks = []
    while value >= 0x20:
        chunks.append(chr((0x20 | (value & 0x1F)) + 63))
        value >>= 5
    chunks.append(chr(value + 63))
    return "".join(chunks)


def encode(points: Iterable[LatLon], precision: int = 5) -> str:
    """The encoded polyline of ``points`` (lat, lon): each point as its difference
    from the previous one, in units of ``10 ** -precision`` degrees.

    Examples
    --------
    >>> encode([(38.5, -120.2), (40.7, -120.95), (43.252, -126.453)])
    '_p~iF~ps|U_ulLnnqC_mqNvxq`@'
    >>> encode([])
    ''
    """
    factor = 10**precision
    previous = (0, 0)
    out = []
    for lat, lon in points:
        current = (round(lat * factor), round(lon * factor))
        out.append(_encode_number(current[0] - previous[0]))
        out.append(_encode_number(current[1] - previous[1]))
        previous = current
    return "".join(out)


def decode(text: str, precision: int = 5) -> list[LatLon]:
    """The points of an encoded polyline (the inverse of :func:`encode`).

    Examples
    --------
    >>> decode('_p~iF~ps|U_ulLnnqC_mqNvxq`@')
    [(38.5, -120.2), (40.7, -120.95), (43.252, -126.453)]
    """
    numbers = []
    value = shift = 0
    for char in text:
        chunk = ord(char) - 63
        value |= (chunk & 0x1F) << shift
        shift += 5
        if chunk < 0x20:
            numbers.append(~(value >> 1) if value & 1 else value >> 1)
            value = shift = 0
    factor = 10**precision
    points = []
    lat = lon = 0
    for dlat, dlon in zip(numbers[::2], numbers[1::2], strict=True):
        lat, lon = lat + dlat, lon + dlon
        points.append((lat / factor, lon / factor))
    return points
