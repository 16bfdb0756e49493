"""Reading a playground register from GeoJSON (an OpenStreetMap `leisure=playground` export as
it is) or CSV: every feature checked, every problem named, nothing taken from a bad file."""

import csv
import io
import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from stadtmelder_reports.playgrounds.domain import Playground
from stadtmelder_shared.point_files import (
    PointFileError,
    Row,
    build_all,
    coordinate,
    read_csv_or_json,
)

GEOMETRY_TYPES = ("Point", "Polygon", "MultiPolygon")
NAME_MAX_LENGTH = 200
# OpenStreetMap exports name the element `@id` (overpass turbo) or give it as the feature's id.
ID_PROPERTIES = ("id", "@id", "osm_id")
# Ids go into page addresses: OpenStreetMap's `way/123` becomes `way-123`, the same on every import.
NOT_IN_ID = re.compile(r"[^A-Za-z0-9._-]+")


class PlaygroundFileError(ValueError):
    """A file that cannot be imported; the message names each bad feature and its problem."""


def read_playground_file(path: Path) -> list[Playground]:
    """The playgrounds of a `.csv` (id, name, operator, lat, lon or wkt) or GeoJSON file."""
    try:
        text, document = read_csv_or_json(path)
    except PointFileError as error:
        raise PlaygroundFileError(str(error)) from None
    if text is not None:
        return playgrounds_from_csv(text, path.name)
    return playgrounds_from_geojson(document, path.name)


def playgrounds_from_geojson(document: Any, source: str) -> list[Playground]:
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise PlaygroundFileError(f"{source}: expected a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list):
        raise PlaygroundFileError(f"{source}: the FeatureCollection has no list of features")
    rows = [
        (_where(source, n, feature), {"feature": feature}) for n, feature in enumerate(features, 1)
    ]
    return _built(rows, source, lambda row: _from_feature(row["feature"]))


def playgrounds_from_csv(text: str, source: str) -> list[Playground]:
    """One playground a line: `id`, `name`, `operator`, and `lat`, `lon` or a `wkt` outline."""
    reader = csv.DictReader(io.StringIO(text))
    header = set(reader.fieldnames or ())
    if "id" not in header or not ({"lat", "lon"} <= header or "wkt" in header):
        raise PlaygroundFileError(f"{source}: the header needs id and lat, lon or wkt")
    rows = [
        (f"{source} line {reader.line_num}", {k: v.strip() for k, v in row.items() if k and v})
        for row in reader
    ]
    return _built(rows, source, _from_row)


def _built(rows: list[Row], source: str, build: Callable[[Any], Playground]) -> list[Playground]:
    try:
        return build_all(rows, source, build, lambda playground: playground.id)
    except PointFileError as error:
        raise PlaygroundFileError(str(error).replace("bad row(s)", "bad feature(s)")) from None


def _where(source: str, number: int, feature: Any) -> str:
    found = _identifier(feature) if isinstance(feature, dict) else None
    return f"{source} feature {number}" + (f" (id {found})" if found else "")


def _identifier(feature: Mapping[str, Any]) -> str | None:
    properties = feature.get("properties")
    values = properties if isinstance(properties, dict) else {}
    for candidate in (*(values.get(name) for name in ID_PROPERTIES), feature.get("id")):
        if candidate not in (None, ""):
            return NOT_IN_ID.sub("-", str(candidate).strip()).strip("-") or None
    return None


def _from_feature(feature: Any) -> Playground:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ValueError("not a GeoJSON Feature")
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        raise ValueError("properties is not an object")
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
        kind = geometry.get("type") if isinstance(geometry, dict) else geometry
        raise ValueError(f"geometry {kind!r} is not one of {', '.join(GEOMETRY_TYPES)}")
    return _playground(_identifier(feature), properties, _geometry(geometry))


def _from_row(values: Mapping[str, Any]) -> Playground:
    if "wkt" in values:
        try:
            outline = shapely.from_wkt(values["wkt"])
        except shapely.errors.GEOSException as error:
            raise ValueError(f"wkt is not readable ({error})") from None
        if outline.geom_type not in GEOMETRY_TYPES:
            raise ValueError(f"wkt {outline.geom_type} is not one of {', '.join(GEOMETRY_TYPES)}")
        geometry = _checked(outline)
    else:
        geometry = shapely.Point(coordinate(values, "lon", 180), coordinate(values, "lat", 90))
    return _playground(_identifier({"properties": values}), values, geometry)


def _geometry(geometry: Mapping[str, Any]) -> BaseGeometry:
    try:
        found = shape(dict(geometry))
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.GEOSException):
        raise ValueError(f"the {geometry.get('type')} has unreadable coordinates") from None
    return _checked(found)


def _checked(geometry: BaseGeometry) -> BaseGeometry:
    if geometry.is_empty:
        raise ValueError(f"the {geometry.geom_type} is empty")
    lon_min, lat_min, lon_max, lat_max = geometry.bounds
    if not all(math.isfinite(n) for n in geometry.bounds) or not (
        -180 <= lon_min <= lon_max <= 180 and -90 <= lat_min <= lat_max <= 90
    ):
        raise ValueError("coordinates lie outside longitude ±180, latitude ±90")
    if not geometry.is_valid:
        raise ValueError(f"the outline is not valid: {shapely.is_valid_reason(geometry)}")
    return geometry


def _playground(
    identifier: str | None, values: Mapping[str, Any], geometry: BaseGeometry
) -> Playground:
    if not identifier:
        raise ValueError("id is missing (give `id` or `@id`)")
    name = _text(values, "name")
    if name is not None and len(name) > NAME_MAX_LENGTH:
        raise ValueError(f"the name is longer than {NAME_MAX_LENGTH} characters")
    return Playground(identifier, name, geometry, _text(values, "operator"))


def _text(values: Mapping[str, Any], key: str) -> str | None:
    value = values.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key} is not text")
    return value.strip() or None
