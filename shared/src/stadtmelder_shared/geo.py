"""Distances and boxes on the earth, enough for a city: the app does geography, not the database."""

import math

from stadtmelder_shared.event_values import Location

EARTH_RADIUS_M = 6_371_008.8


def distance_m(a: Location, b: Location) -> float:
    """Great-circle distance in metres (haversine); the one formula every service measures by."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    return haversine_m(lat1, math.cos(lat1), lat2, math.cos(lat2), math.radians(b.lon - a.lon))


def haversine_m(lat1: float, cos1: float, lat2: float, cos2: float, dlon: float) -> float:
    """`distance_m` from latitudes in radians with their cosines and the longitudes' difference
    in radians, for callers that measure many pairs and take each place's once (fleet's
    distance matrix)."""
    h = math.sin((lat2 - lat1) / 2) ** 2 + cos1 * cos2 * math.sin(dlon / 2) ** 2
    # Rounding can lift h a hair above 1 for points on opposite sides of the earth.
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(h, 1.0)))


def degree_box(centre: Location, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) of the smallest box holding the circle."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = math.degrees(radius_m / (EARTH_RADIUS_M * math.cos(math.radians(centre.lat))))
    return (
        max(centre.lon - dlon, -180),
        max(centre.lat - dlat, -90),
        min(centre.lon + dlon, 180),
        min(centre.lat + dlat, 90),
    )
