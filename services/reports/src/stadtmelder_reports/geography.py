"""Places: the jurisdiction boundary, distances and boxes, computed in the app, not the database."""

import json
import math
from dataclasses import dataclass
from pathlib import Path

from shapely import Point, prepare, union_all
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from stadtmelder_shared.events import Location

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class BoundingBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    @classmethod
    def parse(cls, text: str) -> "BoundingBox":
        """`min_lon,min_lat,max_lon,max_lat`, as GeoJSON and most map libraries write it."""
        try:
            min_lon, min_lat, max_lon, max_lat = (float(part) for part in text.split(","))
        except ValueError:
            raise ValueError("bbox must be four numbers: min_lon,min_lat,max_lon,max_lat") from None
        if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
            raise ValueError("bbox corners must be valid coordinates with min before max")
        return cls(min_lon, min_lat, max_lon, max_lat)


@dataclass(frozen=True)
class Boundary:
    name: str
    geometry: BaseGeometry
    approximate: bool

    def contains(self, location: Location) -> bool:
        return bool(self.geometry.covers(Point(location.lon, location.lat)))


def load_boundary(path: Path) -> Boundary:
    """A GeoJSON Feature, FeatureCollection or bare geometry, in WGS84 (lon, lat)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    properties = document.get("properties") or {}
    if document.get("type") == "FeatureCollection":
        geometry = union_all([shape(feature["geometry"]) for feature in document["features"]])
    elif document.get("type") == "Feature":
        geometry = shape(document["geometry"])
    else:
        geometry = shape(document)
    prepare(geometry)
    return Boundary(
        name=str(properties.get("name", path.stem)),
        geometry=geometry,
        approximate=bool(properties.get("approximate", False)),
    )


def distance_m(a: Location, b: Location) -> float:
    """Great-circle distance in metres (haversine); plenty for a city."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat, dlon = lat2 - lat1, math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def box_around(centre: Location, radius_m: float) -> BoundingBox:
    """The smallest lat/lon box holding the circle, for an indexable range query."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = math.degrees(radius_m / (EARTH_RADIUS_M * math.cos(math.radians(centre.lat))))
    return BoundingBox(
        max(centre.lon - dlon, -180),
        max(centre.lat - dlat, -90),
        min(centre.lon + dlon, 180),
        min(centre.lat + dlat, 90),
    )
