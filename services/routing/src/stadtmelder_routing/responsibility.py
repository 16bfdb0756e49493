"""Who is responsible where: areas, the rule table, and the spatially indexed routing decision."""

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import shapely
from shapely import MultiPolygon, Point, Polygon, STRtree
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from stadtmelder_routing.assets import Asset
from stadtmelder_shared.areas import DEFAULT_AREAS_FILE
from stadtmelder_shared.departments import Directory
from stadtmelder_shared.event_values import Location

DEFAULT_DIRECTORY = Path(__file__).parent / "jurisdictions" / "duisburg"
AreaKind = Literal["city", "district"]
AREA_KINDS: tuple[AreaKind, ...] = get_args(AreaKind)
# A rule bound to a smaller kind of area is more specific than one bound to a larger kind.
_LEVEL: dict[str | None, int] = {None: 0, "city": 1, "district": 2}


class ResponsibilityDataError(ValueError):
    """Areas or rules that cannot be used: the message names the file, feature or rule."""


@dataclass(frozen=True)
class Area:
    id: str
    name: str
    kind: AreaKind
    geometry: Polygon | MultiPolygon
    approximate: bool = False

    def covers(self, location: Location) -> bool:
        return bool(self.geometry.covers(Point(location.lon, location.lat)))


@dataclass(frozen=True)
class Rule:
    """One row of the table; `category` is a code or a prefix pattern such as `street_light_*`."""

    category: str
    department_id: str
    area_id: str | None = None
    asset_type: str | None = None
    asset_owner: str | None = None
    priority: int = 0

    @property
    def id(self) -> str:
        text = f"rule:{self.category}"
        if self.area_id:
            text += f"@{self.area_id}"
        if self.asset_type:
            text += f"[type={self.asset_type}]"
        if self.asset_owner:
            text += f"[owner={self.asset_owner}]"
        return text

    @property
    def is_pattern(self) -> bool:
        return self.category.endswith("*")

    def applies_to(self, category: str) -> bool:
        if self.is_pattern:
            return category.startswith(self.category[:-1])
        return category == self.category

    def accepts(self, asset: Asset | None) -> bool:
        if self.asset_type is not None and (asset is None or asset.type != self.asset_type):
            return False
        return self.asset_owner is None or (asset is not None and asset.owner == self.asset_owner)


@dataclass(frozen=True)
class Decision:
    """`area_id` is the winning rule's area, else the most specific area the place lies in."""

    department_id: str
    rule: str
    area_id: str | None


class ResponsibilityModel:
    """Areas in an STRtree and rules indexed by category and area, so that a decision looks only
    at the few areas around the place and the rules bound to them, however many there are.

    Among the matching rules the highest priority wins, then the more specific one (asset
    owner, asset type, a district before the city before anywhere, a code before a pattern),
    then the lower area id and rule id; so overlapping areas still give one stable answer.
    """

    def __init__(self, areas: Iterable[Area], rules: Iterable[Rule]) -> None:
        self.areas = tuple(sorted(areas, key=lambda area: area.id))
        self.rules = tuple(rules)
        self._areas_by_id = {area.id: area for area in self.areas}
        _check(self.areas, self.rules)
        self._geometries = np.array([area.geometry for area in self.areas], dtype=object)
        shapely.prepare(self._geometries)
        self._tree = STRtree(self._geometries)
        self._patterns = sorted({rule.category for rule in self.rules if rule.is_pattern})
        table: dict[str, dict[str | None, list[tuple[tuple[Any, ...], Rule]]]] = {}
        for rule in self.rules:
            bucket = table.setdefault(rule.category, {}).setdefault(rule.area_id, [])
            bucket.append((self._rank(rule), rule))
        self._table = {
            category: {
                area_id: tuple(sorted(bucket, key=_by_rank)) for area_id, bucket in by_area.items()
            }
            for category, by_area in table.items()
        }

    def areas_at(self, location: Location) -> tuple[Area, ...]:
        """The areas covering the place, most specific first (district before city, then id)."""
        point = Point(location.lon, location.lat)
        candidates = self._tree.query(point)
        if len(candidates) == 0:
            return ()
        hits = candidates[shapely.covers(self._geometries[candidates], point)]
        found = [self.areas[i] for i in hits]
        return tuple(sorted(found, key=lambda area: (-_LEVEL[area.kind], area.id)))

    def decide(
        self, category: str, location: Location | None, asset: Asset | None = None
    ) -> Decision | None:
        """The responsible department, or None when no rule matches (the caller goes to triage).

        Without a location only rules without an area apply, unless the asset says where it is.
        """
        place = location if location is not None or asset is None else asset.location
        areas = self.areas_at(place) if place is not None else ()
        area_ids: list[str | None] = [None, *(area.id for area in areas)]
        best: tuple[tuple[Any, ...], Rule] | None = None
        for key in (category, *(p for p in self._patterns if category.startswith(p[:-1]))):
            by_area = self._table.get(key)
            if by_area is None:
                continue
            for area_id in area_ids:
                for ranked in by_area.get(area_id, ()):
                    if ranked[1].accepts(asset):
                        if best is None or ranked[0] < best[0]:
                            best = ranked
                        break
        if best is None:
            return None
        rule = best[1]
        return Decision(
            rule.department_id, rule.id, rule.area_id or (areas[0].id if areas else None)
        )

    def department_ids(self) -> set[str]:
        return {rule.department_id for rule in self.rules}

    def _rank(self, rule: Rule) -> tuple[Any, ...]:
        area = self._areas_by_id.get(rule.area_id) if rule.area_id else None
        return (
            -rule.priority,
            rule.asset_owner is None,
            rule.asset_type is None,
            -_LEVEL[area.kind if area else None],
            rule.is_pattern,
            -len(rule.category),
            rule.area_id or "",
            rule.id,
        )


def _by_rank(ranked: tuple[tuple[Any, ...], Rule]) -> tuple[Any, ...]:
    return ranked[0]


def _check(areas: Sequence[Area], rules: Sequence[Rule]) -> None:
    if duplicates := _repeated(area.id for area in areas):
        raise ResponsibilityDataError(f"area ids used more than once: {', '.join(duplicates)}")
    known = {area.id for area in areas}
    if unknown := sorted({r.id for r in rules if r.area_id is not None and r.area_id not in known}):
        raise ResponsibilityDataError(f"rules refer to unknown areas: {', '.join(unknown)}")
    if duplicates := _repeated(rule.id for rule in rules):
        raise ResponsibilityDataError(f"rules given more than once: {', '.join(duplicates)}")


def _repeated(ids: Iterable[str]) -> list[str]:
    return sorted(i for i, count in Counter(ids).items() if count > 1)


# --- files --------------------------------------------------------------------------------------

_ID_PREFIX = re.compile(r"^(\d+)[_-](.+)$")


def load_model(
    directory: Path = DEFAULT_DIRECTORY,
    *,
    areas: Sequence[Area] | None = None,
    departments: Directory | None = None,
) -> ResponsibilityModel:
    """The model from a jurisdiction folder (`areas.geojson`, `rules.json`).

    `areas`, when given (imported official areas), replace the folder's approximate ones;
    `departments`, when given, must know every department the rules name.
    """
    if areas is None:
        own = directory / "areas.geojson"
        areas = read_area_file(own if own.exists() else DEFAULT_AREAS_FILE)
    model = ResponsibilityModel(areas, read_rules(directory / "rules.json"))
    if departments is not None:
        unknown = sorted(i for i in model.department_ids() if departments.get(i) is None)
        if unknown:
            raise ResponsibilityDataError(f"rules name unknown departments: {', '.join(unknown)}")
    return model


def read_rules(path: Path) -> tuple[Rule, ...]:
    document = json.loads(path.read_text(encoding="utf-8"))
    return tuple(
        _rule(entry, f"{path.name} rule {n}") for n, entry in enumerate(document["rules"], 1)
    )


def _rule(entry: Mapping[str, Any], where: str) -> Rule:
    allowed = {"category", "department", "area", "asset_type", "asset_owner", "priority", "note"}
    if unknown := sorted(set(entry) - allowed):
        raise ResponsibilityDataError(f"{where}: unknown fields {', '.join(unknown)}")
    try:
        category, department = entry["category"], entry["department"]
    except KeyError as missing:
        raise ResponsibilityDataError(f"{where}: {missing.args[0]} is required") from None
    if not isinstance(category, str) or not category or "*" in category[:-1]:
        raise ResponsibilityDataError(f"{where}: category must be a code or a prefix ending in *")
    priority = entry.get("priority", 0)
    if not isinstance(priority, int):
        raise ResponsibilityDataError(f"{where}: priority must be a whole number")
    return Rule(
        category=category,
        department_id=str(department),
        area_id=entry.get("area"),
        asset_type=entry.get("asset_type"),
        asset_owner=entry.get("asset_owner"),
        priority=priority,
    )


def read_area_file(
    path: Path,
    *,
    kind: AreaKind | None = None,
    id_property: str = "id",
    name_property: str = "name",
) -> list[Area]:
    """Areas from a GeoJSON Feature, FeatureCollection, GeometryCollection or bare geometry.

    Ids come from `id_property` (a number like 100 becomes `district-100`); files without
    properties take id and name from the file name, `100_walsum.json` → `district-100`, Walsum.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ResponsibilityDataError(f"{path.name}: not JSON ({error})") from None
    if not isinstance(document, dict):
        raise ResponsibilityDataError(f"{path.name}: not a GeoJSON object")
    kind_from_file = kind or "district"
    if document.get("type") == "FeatureCollection":
        features = document.get("features") or []
        if not features:
            raise ResponsibilityDataError(f"{path.name}: the FeatureCollection has no features")
        named_by_file = len(features) == 1
        return [
            _area_from_feature(
                feature,
                f"{path.name} feature {n}",
                path if named_by_file else None,
                kind,
                id_property,
                name_property,
            )
            for n, feature in enumerate(features, 1)
        ]
    if document.get("type") == "Feature":
        return [_area_from_feature(document, path.name, path, kind, id_property, name_property)]
    area_id, name = _names_from_file(path, kind_from_file)
    geometry = _polygonal(document, path.name)
    return [Area(area_id, name, kind_from_file, geometry)]


def _area_from_feature(
    feature: Mapping[str, Any],
    where: str,
    path: Path | None,
    kind: AreaKind | None,
    id_property: str,
    name_property: str,
) -> Area:
    properties = feature.get("properties") or {}
    area_kind = kind or properties.get("kind") or "district"
    if area_kind not in AREA_KINDS:
        raise ResponsibilityDataError(f"{where}: kind {area_kind!r} is not one of {AREA_KINDS}")
    raw_id = properties.get(id_property, feature.get("id"))
    raw_name = properties.get(name_property)
    if raw_id is None or raw_name is None:
        if path is None:
            missing = id_property if raw_id is None else name_property
            raise ResponsibilityDataError(f"{where}: property {missing!r} is missing")
        file_id, file_name = _names_from_file(path, area_kind)
        raw_id = file_id if raw_id is None else raw_id
        raw_name = file_name if raw_name is None else raw_name
    area_id = str(raw_id).strip()
    if area_id.isdigit():
        area_id = f"{area_kind}-{area_id}"
    geometry = _polygonal(feature.get("geometry"), where)
    return Area(area_id, str(raw_name), area_kind, geometry, bool(properties.get("approximate")))


def _names_from_file(path: Path, kind: str) -> tuple[str, str]:
    stem = path.name.split(".")[0]
    if match := _ID_PREFIX.match(stem):
        number, rest = match.groups()
        return f"{kind}-{number}", "-".join(word.capitalize() for word in rest.split("-"))
    return f"{kind}-{stem.lower()}", stem.replace("_", " ").replace("-", " ").title()


def _polygonal(data: Any, where: str) -> Polygon | MultiPolygon:
    """The polygons of a geometry; invalid rings are repaired, anything else is refused."""
    if not isinstance(data, dict) or "type" not in data:
        raise ResponsibilityDataError(f"{where}: no geometry")
    try:
        geometry: BaseGeometry = shape(data)
    except (ValueError, TypeError, AttributeError, IndexError) as error:
        raise ResponsibilityDataError(f"{where}: unreadable geometry ({error})") from None
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    parts = [
        part
        for part in shapely.get_parts(geometry)
        if isinstance(part, Polygon | MultiPolygon) and not part.is_empty
    ]
    if not parts:
        raise ResponsibilityDataError(f"{where}: {geometry.geom_type} holds no polygon")
    merged = shapely.union_all(parts)
    if not isinstance(merged, Polygon | MultiPolygon):
        raise ResponsibilityDataError(f"{where}: the polygons do not form an area")
    min_lon, min_lat, max_lon, max_lat = merged.bounds
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise ResponsibilityDataError(f"{where}: coordinates are not WGS84 longitude/latitude")
    return merged
