"""Duisburg's districts for the simulator: OpenStreetMap outlines from a directory, in metres."""

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

Metres = tuple[float, float]
Coordinates = npt.NDArray[np.float64]
METRES_PER_DEGREE_LAT = 111_320.0
# Only the seven districts (100 Walsum ... 700 Süd): their quarters' files overlap them.
DISTRICT_FILES = "[1-7]00_*.json"


@dataclass(frozen=True)
class Projection:
    """Flat metres around an origin: exact enough across one city, and cheap per reading."""

    lat: float = 51.43
    lon: float = 6.76

    def to_metres(self, lon: float, lat: float) -> tuple[float, float]:
        x = (lon - self.lon) * METRES_PER_DEGREE_LAT * math.cos(math.radians(self.lat))
        return x, (lat - self.lat) * METRES_PER_DEGREE_LAT

    def array_to_metres(self, lon_lat: Coordinates) -> Coordinates:
        """Many (lon, lat) rows at once, as `shapely.transform` hands them over."""
        x = (lon_lat[:, 0] - self.lon) * METRES_PER_DEGREE_LAT * math.cos(math.radians(self.lat))
        return np.column_stack([x, (lon_lat[:, 1] - self.lat) * METRES_PER_DEGREE_LAT])

    def to_degrees(self, x: float, y: float) -> tuple[float, float]:
        """(lat, lon) of a point in metres."""
        lon = self.lon + x / (METRES_PER_DEGREE_LAT * math.cos(math.radians(self.lat)))
        return self.lat + y / METRES_PER_DEGREE_LAT, lon


@dataclass(frozen=True)
class District:
    number: str
    name: str
    outline: Polygon  # in metres of the city's projection


class OutlinesMissingError(Exception):
    """The directory holds no district outlines."""


def load_districts(directory: Path, projection: Projection) -> list[District]:
    """The districts whose files lie in `directory` (`100_walsum.json`, ...), by number."""
    districts = []
    for path in sorted(directory.glob(DISTRICT_FILES)):
        number, _, name = path.stem.partition("_")
        outline = largest_polygon(shape(json.loads(path.read_text(encoding="utf-8"))))
        districts.append(
            District(number, name, shapely.transform(outline, projection.array_to_metres))
        )
    if not districts:
        raise OutlinesMissingError(f"no district outlines ({DISTRICT_FILES}) in {directory}")
    return districts


def largest_polygon(geometry: BaseGeometry) -> Polygon:
    """The district's main area; detached bits (a river island) get no streets of their own."""
    merged = unary_union(getattr(geometry, "geoms", [geometry]))
    parts = list(getattr(merged, "geoms", [merged]))
    polygons = [p for p in parts if isinstance(p, Polygon)]
    return max(polygons, key=lambda p: p.area)
