"""The city's outline, which every reading with a position must lie in: shapely's prepared
geometry, asked for a whole batch of readings at once."""

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from stadtmelder_shared.areas import DEFAULT_AREAS_FILE

Clock = Callable[[], datetime]


class CityOutline:
    """Whether points lie in the city: the `city` feature of the jurisdiction's areas file."""

    def __init__(self, geometry: BaseGeometry) -> None:
        if geometry.area <= 0:
            raise ValueError("the city's outline has no area")
        # Prepared once: its edges indexed, so each point crosses only the few near it.
        shapely.prepare(geometry)
        self._geometry = geometry

    @classmethod
    def load(cls, path: Path | None = None) -> "CityOutline":
        collection: dict[str, Any] = json.loads((path or DEFAULT_AREAS_FILE).read_text("utf-8"))
        for feature in collection["features"]:
            if feature.get("properties", {}).get("kind") == "city":
                return cls(shape(feature["geometry"]))
        raise ValueError(f"{path or DEFAULT_AREAS_FILE} has no feature of kind `city`")

    def contains(self, lat: float, lon: float) -> bool:
        return bool(shapely.contains_xy(self._geometry, lon, lat))

    def contains_all(self, lats: Sequence[float], lons: Sequence[float]) -> list[bool]:
        """One answer per point, in one call into shapely for the whole batch."""
        if not lats:
            return []
        return [bool(inside) for inside in shapely.contains_xy(self._geometry, lons, lats)]
