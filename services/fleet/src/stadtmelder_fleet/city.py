"""The city's outline, which every reading with a position must lie in.

Plain Python, not shapely: shapely brings numpy, about 19 MB of the fleet's 150 MB, for one
point-in-polygon test. The outline's edges are sorted into bands of latitude once, so a test
crosses only the few edges of its band, whatever the outline's size.
"""

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from stadtmelder_shared.areas import DEFAULT_AREAS_FILE

Clock = Callable[[], datetime]
Edge = tuple[float, float, float, float]  # lon, lat of one end, lon, lat of the other
BANDS = 256


class CityOutline:
    """Whether a point lies in the city: the `city` feature of the jurisdiction's areas file
    (Polygon or MultiPolygon, holes included: a point inside an odd number of rings is in)."""

    def __init__(self, rings: Sequence[Sequence[Sequence[float]]]) -> None:
        edges = [
            (float(a[0]), float(a[1]), float(b[0]), float(b[1]))
            for ring in rings
            for a, b in zip(ring, [*ring[1:], ring[0]], strict=True)
            if a[1] != b[1]  # a horizontal edge is never crossed by a horizontal ray
        ]
        if not edges:
            raise ValueError("the city's outline has no area")
        self._south = min(min(e[1], e[3]) for e in edges)
        north = max(max(e[1], e[3]) for e in edges)
        self._band_height = (north - self._south) / BANDS or 1.0
        self._bands: list[list[Edge]] = [[] for _ in range(BANDS)]
        for edge in edges:
            low, high = sorted((edge[1], edge[3]))
            for band in range(self._band(low), self._band(high) + 1):
                self._bands[band].append(edge)

    @classmethod
    def load(cls, path: Path | None = None) -> "CityOutline":
        collection: dict[str, Any] = json.loads((path or DEFAULT_AREAS_FILE).read_text("utf-8"))
        for feature in collection["features"]:
            if feature.get("properties", {}).get("kind") == "city":
                return cls(_rings(feature["geometry"]))
        raise ValueError(f"{path or DEFAULT_AREAS_FILE} has no feature of kind `city`")

    def _band(self, lat: float) -> int:
        return min(BANDS - 1, max(0, int((lat - self._south) / self._band_height)))

    def contains(self, lat: float, lon: float) -> bool:
        """Even-odd rule: a ray eastwards from the point crosses the outline an odd number of
        times when the point is inside."""
        if lat < self._south or lat >= self._south + self._band_height * BANDS:
            return False
        inside = False
        for x1, y1, x2, y2 in self._bands[self._band(lat)]:
            if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
        return inside


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    if geometry["type"] == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    raise ValueError(f"the city's outline is a {geometry['type']}, not a (Multi)Polygon")
