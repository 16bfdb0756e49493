"""The city's outline, which every reading with a position must lie in: its rings' edges sorted
into bands of latitude once, so a point crosses only the few edges of its band.

Plain Python, not shapely: the outline is a few dozen points, and shapely brings numpy with it,
about 25 MB of the 150 MB the long-running fleet process may hold.
"""

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from stadtmelder_shared.areas import DEFAULT_AREAS_FILE

Clock = Callable[[], datetime]
Ring = Sequence[Sequence[float]]
# An edge: its two ends' latitudes (low, high), the longitude at `low` and its slope in latitude.
Edge = tuple[float, float, float, float]
BANDS = 256


def rings_of(geometry: Mapping[str, Any]) -> list[Ring]:
    """Every ring (outer and holes) of a GeoJSON Polygon or MultiPolygon, as [lon, lat] pairs."""
    if geometry.get("type") == "Polygon":
        return list(geometry["coordinates"])
    if geometry.get("type") == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    raise ValueError(f"the city's outline is a {geometry.get('type')}, not a (Multi)Polygon")


def _area(ring: Ring) -> float:
    """The ring's area by the shoelace formula, in square degrees, whichever way it turns."""
    twice = sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, [*ring[1:], ring[0]], strict=True))
    return abs(twice) / 2


class CityOutline:
    """Whether points lie in the city: the `city` feature of the jurisdiction's areas file.

    Even-odd rule over all rings, so holes are outside and further polygons inside."""

    def __init__(self, geometry: Mapping[str, Any]) -> None:
        rings = [ring for ring in rings_of(geometry) if len(ring) >= 3]
        if not rings or not any(_area(ring) > 0 for ring in rings):
            raise ValueError("the city's outline has no area")
        edges = [
            _edge(a, b)
            for ring in rings
            for a, b in zip(ring, [*ring[1:], ring[0]], strict=True)
            if a[1] != b[1]  # a level edge is never crossed by a ray along the latitude
        ]
        self._south = min(low for low, _, _, _ in edges)
        self._north = max(high for _, high, _, _ in edges)
        self._west = min(p[0] for ring in rings for p in ring)
        self._east = max(p[0] for ring in rings for p in ring)
        self._band_deg = (self._north - self._south) / BANDS or 1.0
        self._bands: list[list[Edge]] = [[] for _ in range(BANDS)]
        for edge in edges:
            for band in range(self._band(edge[0]), self._band(edge[1]) + 1):
                self._bands[band].append(edge)

    @classmethod
    def load(cls, path: Path | None = None) -> "CityOutline":
        collection: dict[str, Any] = json.loads((path or DEFAULT_AREAS_FILE).read_text("utf-8"))
        for feature in collection["features"]:
            if feature.get("properties", {}).get("kind") == "city":
                return cls(feature["geometry"])
        raise ValueError(f"{path or DEFAULT_AREAS_FILE} has no feature of kind `city`")

    def _band(self, lat: float) -> int:
        return min(max(int((lat - self._south) / self._band_deg), 0), BANDS - 1)

    def contains(self, lat: float, lon: float) -> bool:
        if not (self._south <= lat <= self._north and self._west <= lon <= self._east):
            return False
        inside = False
        # A ray from the point eastwards: an odd number of edges crossed means inside.
        for low, high, lon_at_low, slope in self._bands[self._band(lat)]:
            if low <= lat < high and lon < lon_at_low + (lat - low) * slope:
                inside = not inside
        return inside

    def contains_all(self, lats: Sequence[float], lons: Sequence[float]) -> list[bool]:
        """One answer per point, in the order given."""
        return [self.contains(lat, lon) for lat, lon in zip(lats, lons, strict=True)]


def _edge(a: Sequence[float], b: Sequence[float]) -> Edge:
    (lon_a, lat_a), (lon_b, lat_b) = (a[0], a[1]), (b[0], b[1])
    if lat_a > lat_b:
        (lon_a, lat_a), (lon_b, lat_b) = (lon_b, lat_b), (lon_a, lat_a)
    return lat_a, lat_b, lon_a, (lon_b - lon_a) / (lat_b - lat_a)
