"""Places: the jurisdiction boundary, distances and boxes, computed in the app, not the database."""

import json
from dataclasses import dataclass
from pathlib import Path

from shapely import Point, prepare, union_all
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from stadtmelder_shared.event_values import Location
from stadtmelder_shared.geo import degree_box


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


def box_around(centre: Location, radius_m: float) -> BoundingBox:
    """The smallest lat/lon box holding the circle, for an indexable range query."""
    return BoundingBox(*degree_box(centre, radius_m))
