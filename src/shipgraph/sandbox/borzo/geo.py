"""Coordinates: a stand-in geocoder, distances, the courier's moves, route optimisation."""

from __future__ import annotations

import hashlib
import math

Position = tuple[float, float]

# The document's example addresses geocode to the document's coordinates; any other address
# to a stable pseudo-random spot in greater Jakarta (no real geocoder is reachable).
KNOWN_ADDRESSES: dict[str, Position] = {
    "JL. Jawa, Blok J1 No. 31, Komplek Nusaloka, Tangerang, Rw. Mekar Jaya, Serpong, Kota "
    "Tangerang Selatan, Banten 15310": (-6.3037234, 106.6886525),
    "Jl. Raya Ragunan No.39, RT.1/RW.2, Ps. Minggu, Kota Jakarta Selatan, Daerah Khusus "
    "Ibukota Jakarta 12540": (-6.2914558, 106.8322649),
}
JAKARTA_SOUTH_WEST = (-6.40, 106.65)
JAKARTA_SPAN = (0.30, 0.35)
# Borzo Indonesia's delivery area, roughly: outside it points are coordinates_out_of_bounds.
INDONESIA = ((-11.5, 94.5), (6.5, 141.5))
EARTH_RADIUS_KM = 6371.0088


def geocode(address: str) -> Position:
    known = KNOWN_ADDRESSES.get(address.strip())
    if known is not None:
        return known
    digest = hashlib.sha256(address.strip().lower().encode()).digest()
    a = int.from_bytes(digest[:4], "big") / 2**32
    b = int.from_bytes(digest[4:8], "big") / 2**32
    return (
        round(JAKARTA_SOUTH_WEST[0] + JAKARTA_SPAN[0] * a, 7),
        round(JAKARTA_SOUTH_WEST[1] + JAKARTA_SPAN[1] * b, 7),
    )


def in_service_area(position: Position) -> bool:
    (south, west), (north, east) = INDONESIA
    return south <= position[0] <= north and west <= position[1] <= east


def distance_km(a: Position, b: Position) -> float:
    """Great-circle (haversine) distance."""
    lat1, lat2 = math.radians(a[0]), math.radians(b[0])
    d_lat, d_lon = lat2 - lat1, math.radians(b[1] - a[1])
    h = math.sin(d_lat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(d_lon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def move_toward(start: Position, target: Position, fraction: float) -> Position:
    fraction = min(max(fraction, 0.0), 1.0)
    return (
        round(start[0] + (target[0] - start[0]) * fraction, 7),
        round(start[1] + (target[1] - start[1]) * fraction, 7),
    )


def nearest_first(start: Position | None, stops: list[Position | None]) -> list[int]:
    """Indexes of ``stops`` in nearest-neighbour order from ``start`` (unknown ones last)."""
    order: list[int] = []
    left = [i for i, stop in enumerate(stops) if stop is not None]
    here = start
    while left and here is not None:
        origin = here
        best = min(left, key=lambda i: distance_km(origin, stops[i] or origin))
        order.append(best)
        left.remove(best)
        here = stops[best]
    return order + left + [i for i, stop in enumerate(stops) if stop is None]
