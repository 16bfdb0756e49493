"""Street lights, playgrounds and containers: reading them in and finding the one a report means."""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
from shapely import STRtree, box, points

from stadtmelder_shared.event_values import Answer, Location
from stadtmelder_shared.geo import EARTH_RADIUS_M, distance_m
from stadtmelder_shared.point_files import (
    PointFileError,
    Row,
    build_all,
    coordinate,
    rows_from_csv,
    rows_from_file,
    rows_from_geojson,
)
from stadtmelder_shared.sensor_readings import ContainerType

AssetType = Literal["street_light", "playground", "container"]
ASSET_TYPES: tuple[AssetType, ...] = get_args(AssetType)
# The kinds the fleet's fill sensors know, so one container file serves both imports.
CONTAINER_KINDS = (*get_args(ContainerType), "clothes")

ASSET_TYPE_BY_CATEGORY: Mapping[str, AssetType] = {
    "street_light_out": "street_light",
    "street_light_damaged": "street_light",
    "playground_damage": "playground",
    "playground_litter": "playground",
    "container_full": "container",
}
# A playground is an area recorded as one point, so a report on its far side must still find it.
SNAP_DISTANCE_M: Mapping[AssetType, float] = {
    "street_light": 30.0,
    "playground": 75.0,
    "container": 30.0,
}
# A pole number typed by a citizen is trusted only if that pole stands near the reported place.
POLE_NUMBER_TRUSTED_WITHIN_M = 250.0

_CORE_FIELDS = {"id", "type", "lat", "lon", "owner"}


class AssetImportError(ValueError):
    """Rows that cannot be imported; the message names each bad row and what is wrong with it."""


@dataclass(frozen=True)
class Asset:
    id: str
    type: AssetType
    location: Location
    owner: str = "city"
    properties: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @property
    def pole_number(self) -> str | None:
        value = self.properties.get("pole_number")
        return None if value is None else str(value)

    @property
    def equipment(self) -> tuple[str, ...]:
        return tuple(self.properties.get("equipment") or ())

    @property
    def container_kind(self) -> str | None:
        value = self.properties.get("kind")
        return None if value is None else str(value)


class _Points:
    """The assets of one type in an STRtree over lon/lat points, for nearest-within queries."""

    def __init__(self, assets: list[Asset]) -> None:
        self.assets = sorted(assets, key=lambda asset: asset.id)
        lons = np.array([a.location.lon for a in self.assets], dtype=float)
        lats = np.array([a.location.lat for a in self.assets], dtype=float)
        self.tree = STRtree(np.asarray(points(lons, lats), dtype=object))

    def nearest_within(self, location: Location, max_distance_m: float) -> Asset | None:
        # The degree box only preselects; distances are then measured on the sphere.
        dlat = math.degrees(max_distance_m / EARTH_RADIUS_M)
        widest = math.radians(min(abs(location.lat) + dlat, 89.9))
        dlon = math.degrees(max_distance_m / (EARTH_RADIUS_M * math.cos(widest)))
        envelope = box(
            location.lon - dlon, location.lat - dlat, location.lon + dlon, location.lat + dlat
        )
        candidates = self.tree.query(envelope)
        if len(candidates) == 0:
            return None
        # The box around a snap distance of metres holds a handful of assets: measuring them one
        # by one costs less than building arrays for them.
        measured = ((distance_m(location, self.assets[i].location), int(i)) for i in candidates)
        within = [(d, i) for d, i in measured if d <= max_distance_m]
        # Assets are sorted by id, so on equal distances the lower index is the lower id.
        return self.assets[min(within)[1]] if within else None


class AssetRegistry:
    def __init__(self, assets: Iterable[Asset]) -> None:
        self._by_id: dict[str, Asset] = {}
        self._by_pole: dict[str, list[Asset]] = {}
        by_type: dict[AssetType, list[Asset]] = {}
        for asset in assets:
            self._by_id[asset.id] = asset
            by_type.setdefault(asset.type, []).append(asset)
            if asset.pole_number is not None:
                self._by_pole.setdefault(_pole_key(asset.pole_number), []).append(asset)
        self._points = {asset_type: _Points(group) for asset_type, group in by_type.items()}

    def __len__(self) -> int:
        return len(self._by_id)

    def find(self, asset_id: str) -> Asset | None:
        return self._by_id.get(asset_id)

    def find_by_pole_number(self, pole_number: str, near: Location | None = None) -> Asset | None:
        """The pole with that number; if several share it, the one nearest `near`, else None."""
        matches = self._by_pole.get(_pole_key(pole_number), [])
        if len(matches) == 1:
            return matches[0]
        if not matches or near is None:
            return None
        return min(matches, key=lambda asset: (distance_m(near, asset.location), asset.id))

    def snap(
        self, asset_type: AssetType, location: Location, max_distance_m: float
    ) -> Asset | None:
        """The nearest asset of that type at most `max_distance_m` metres away."""
        group = self._points.get(asset_type)
        return None if group is None else group.nearest_within(location, max_distance_m)


def asset_for_report(
    registry: AssetRegistry,
    category: str,
    location: Location | None,
    answers: Mapping[str, Answer],
) -> Asset | None:
    """The asset a report is about: the pole it names, else the nearest asset of its kind."""
    asset_type = ASSET_TYPE_BY_CATEGORY.get(category)
    if asset_type is None:
        return None
    pole_number = answers.get("pole_number")
    if asset_type == "street_light" and isinstance(pole_number, str) and pole_number.strip():
        pole = registry.find_by_pole_number(pole_number, near=location)
        plausible = pole is not None and (
            location is None or distance_m(location, pole.location) <= POLE_NUMBER_TRUSTED_WITHIN_M
        )
        if pole is not None and pole.type == "street_light" and plausible:
            return pole
    if location is None:
        return None
    return registry.snap(asset_type, location, SNAP_DISTANCE_M[asset_type])


def _pole_key(pole_number: str) -> str:
    return "".join(pole_number.split()).upper()


# --- import -------------------------------------------------------------------------------------


def read_asset_file(path: Path, asset_type: AssetType | None = None) -> list[Asset]:
    """Assets from a CSV file (`id,type,lat,lon,owner,...`) or GeoJSON points.

    `asset_type` applies to rows without a type; a row naming another type is an error.
    """
    try:
        return _assets(rows_from_file(path), path.name, asset_type)
    except PointFileError as error:
        raise AssetImportError(str(error)) from None


def assets_from_csv(text: str, source: str, asset_type: AssetType | None = None) -> list[Asset]:
    try:
        return _assets(rows_from_csv(text, source), source, asset_type)
    except PointFileError as error:
        raise AssetImportError(str(error)) from None


def assets_from_geojson(
    document: Any, source: str, asset_type: AssetType | None = None
) -> list[Asset]:
    try:
        return _assets(rows_from_geojson(document, source), source, asset_type)
    except PointFileError as error:
        raise AssetImportError(str(error)) from None


def _assets(rows: list[Row], source: str, asset_type: AssetType | None) -> list[Asset]:
    for _, values in rows:
        # A list in GeoJSON, "swing; slide" in a CSV cell.
        if isinstance(equipment := values.get("equipment"), str):
            values["equipment"] = [item.strip() for item in equipment.split(";") if item.strip()]
    return build_all(rows, source, lambda values: _asset(values, asset_type), lambda a: a.id)


def _asset(values: Mapping[str, Any], default_type: AssetType | None) -> Asset:
    asset_id = str(values.get("id") or "").strip()
    if not asset_id:
        raise ValueError("id is missing")
    asset_type = values.get("type") or default_type
    if asset_type not in ASSET_TYPES:
        raise ValueError(f"type {asset_type!r} is not one of {', '.join(ASSET_TYPES)}")
    if default_type is not None and asset_type != default_type:
        raise ValueError(f"type {asset_type!r} but the import is for {default_type!r}")
    lat, lon = coordinate(values, "lat", 90), coordinate(values, "lon", 180)
    properties = {k: v for k, v in values.items() if k not in _CORE_FIELDS and v is not None}
    if asset_type == "street_light" and not str(properties.get("pole_number") or "").strip():
        raise ValueError("a street light needs a pole_number")
    if asset_type == "container" and properties.get("kind") not in CONTAINER_KINDS:
        raise ValueError(f"container kind must be one of {', '.join(CONTAINER_KINDS)}")
    equipment = properties.get("equipment")
    if equipment is not None and not (
        isinstance(equipment, list) and all(isinstance(item, str) for item in equipment)
    ):
        raise ValueError("equipment must be a list of names")
    owner = str(values.get("owner") or "city").strip()
    return Asset(asset_id, asset_type, Location(lat=lat, lon=lon), owner, properties)
