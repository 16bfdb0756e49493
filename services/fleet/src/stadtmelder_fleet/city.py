"""The city's outline, which every reading with a position must lie in."""

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from shapely import Point, prepare
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from stadtmelder_shared.areas import DEFAULT_AREAS_FILE

Clock = Callable[[], datetime]


class CityOutline:
    """Whether a point lies in the city: the `city` feature of the jurisdiction's areas file."""

    def __init__(self, geometry: BaseGeometry) -> None:
        prepare(geometry)
        self._geometry = geometry

    @classmethod
    def load(cls, path: Path | None = None) -> "CityOutline":
        collection: dict[str, Any] = json.loads((path or DEFAULT_AREAS_FILE).read_text("utf-8"))
        for feature in collection["features"]:
            if feature.get("properties", {}).get("kind") == "city":
                return cls(shape(feature["geometry"]))
        raise ValueError(f"{path or DEFAULT_AREAS_FILE} has no feature of kind `city`")

    def contains(self, lat: float, lon: float) -> bool:
        return bool(self._geometry.contains(Point(lon, lat)))
