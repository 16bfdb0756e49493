"""Known works as the register keeps them: what is done where, when and by whom, the checks an
imported or entered works must pass, and the event that announces its state."""

import json
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import shapely
from shapely import affinity
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from stadtmelder_shared.event_values import WorksRef
from stadtmelder_shared.translations import N_
from stadtmelder_shared.works import Phase, WorksChanged, phase_on, works_key

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
TEXT_LIMITS = {"title": 200, "operator": 200, "description": 2000, "reference": 100}
# A line of works (a pipe along a street) becomes a corridor this wide unless the file says.
DEFAULT_CORRIDOR_M = 10.0
MAX_CORRIDOR_M = 200.0
# Larger than any street works; a larger outline is a mistake in the file (e.g. swapped axes).
MAX_SPAN_DEGREES = 0.5
METRES_PER_DEGREE = 111_320.0
# Vertices kept of an outline; an imported survey with more is simplified by the buffer anyway.
MAX_VERTICES = 5000


class InvalidWorks(ValueError):
    """What is wrong with works: the English sentence for imports and the API, and the
    catalogue key of the sentence the works page shows."""

    def __init__(self, text: str, key: str) -> None:
        super().__init__(text)
        self.key = key


@dataclass(frozen=True)
class Works:
    id: str
    title: str
    operator: str
    starts_on: date
    ends_on: date
    outline: dict[str, Any]  # GeoJSON Polygon or MultiPolygon, WGS 84
    description: str = ""
    reference: str | None = None
    withdrawn: bool = False

    def phase(self, day: date) -> Phase:
        return phase_on(self.starts_on, self.ends_on, day)

    def shape(self) -> BaseGeometry:
        return shape(self.outline)

    def ref(self) -> WorksRef:
        return WorksRef(**{name: getattr(self, name) for name in WorksRef.model_fields})

    def changed(self, revision: int, jurisdiction: str, now: datetime) -> WorksChanged:
        """The announcement of this state; its id names works and revision, so a relay that
        publishes it twice publishes the same event."""
        state = asdict(self)
        key, state["works_id"] = works_key(state.pop("id")), self.id
        envelope = {"event_id": f"{key}-r{revision}", "occurred_at": now, "report_id": key}
        return WorksChanged(**envelope, jurisdiction=jurisdiction, revision=revision, **state)


def works_from_values(values: Mapping[str, Any]) -> Works:
    """Works from a feature's or row's values, or ValueError saying what is wrong."""
    works_id = _text(values, "id", 64, required=True)
    if not ID_PATTERN.match(works_id):
        raise InvalidWorks(
            f"id {works_id!r} may hold only letters, digits, '.', '_' and '-'", N_("works_err_id")
        )
    starts_on, ends_on = _day(values, "from"), _day(values, "until")
    if ends_on < starts_on:
        raise InvalidWorks(f"until {ends_on} is before from {starts_on}", N_("works_err_dates"))
    return Works(
        id=works_id,
        title=_text(values, "title", TEXT_LIMITS["title"], required=True),
        operator=_text(values, "operator", TEXT_LIMITS["operator"], required=True),
        starts_on=starts_on,
        ends_on=ends_on,
        outline=outline_of(values.get("geometry"), values.get("width_m")),
        description=_text(values, "description", TEXT_LIMITS["description"]),
        reference=_text(values, "reference", TEXT_LIMITS["reference"]) or None,
    )


def outline_of(geometry: Any, width_m: Any = None) -> dict[str, Any]:
    """A valid GeoJSON Polygon or MultiPolygon from a GeoJSON geometry (a dict or its text) or
    WKT; a LineString becomes a corridor `width_m` metres wide around it."""
    found = _geometry(geometry)
    if found.geom_type in ("LineString", "MultiLineString"):
        found = corridor(found, _width(width_m))
    elif width_m not in (None, ""):
        raise InvalidWorks("width_m applies only to a LineString", N_("works_err_width"))
    if found.geom_type not in ("Polygon", "MultiPolygon"):
        raise InvalidWorks(
            f"the geometry is a {found.geom_type}, not a Polygon or LineString",
            N_("works_err_geometry"),
        )
    if found.is_empty:
        raise InvalidWorks("the geometry is empty", N_("works_err_geometry"))
    if shapely.get_num_coordinates(found) > MAX_VERTICES:
        raise InvalidWorks(
            f"the outline has more than {MAX_VERTICES} vertices", N_("works_err_outline")
        )
    min_lon, min_lat, max_lon, max_lat = found.bounds
    if not all(math.isfinite(v) for v in found.bounds):
        raise InvalidWorks("the coordinates are not all numbers", N_("works_err_geometry"))
    if not (min_lon >= -180 and max_lon <= 180 and min_lat >= -90 and max_lat <= 90):
        raise InvalidWorks(
            "the coordinates lie outside longitude/latitude ranges (WGS 84)",
            N_("works_err_outline"),
        )
    if max(max_lon - min_lon, max_lat - min_lat) > MAX_SPAN_DEGREES:
        raise InvalidWorks(
            "the outline spans more than 0.5°; are longitude and latitude swapped?",
            N_("works_err_outline"),
        )
    if not found.is_valid:
        raise InvalidWorks(
            f"the outline is not a valid polygon: {explain_validity(found)}",
            N_("works_err_geometry"),
        )
    # Through JSON: the stored and announced outline holds lists, as any GeoJSON reader's would.
    plain: dict[str, Any] = json.loads(json.dumps(mapping(found)))
    return plain


def corridor(line: BaseGeometry, width_m: float) -> BaseGeometry:
    """The area within width/2 metres of a line, measured in a plane around the line's latitude
    (good to a few centimetres over a city's streets)."""
    centre = line.centroid
    squeeze = math.cos(math.radians(centre.y))
    flat = affinity.scale(line, xfact=squeeze, yfact=1.0, origin=centre)
    area = flat.buffer(width_m / 2 / METRES_PER_DEGREE, quad_segs=4)
    return affinity.scale(area, xfact=1 / squeeze, yfact=1.0, origin=centre)


def _geometry(value: Any) -> BaseGeometry:
    if value is None or value == "":
        raise InvalidWorks("the geometry is missing", N_("works_err_geometry_missing"))
    try:
        if isinstance(value, str):
            text = value.strip()
            return shapely.from_geojson(text) if text.startswith("{") else shapely.from_wkt(text)
        if isinstance(value, dict):
            return shape(value)
    except (shapely.errors.ShapelyError, ValueError, TypeError, KeyError, IndexError) as error:
        raise InvalidWorks(
            f"the geometry cannot be read: {error}", N_("works_err_geometry")
        ) from None
    raise InvalidWorks("the geometry is neither GeoJSON nor WKT", N_("works_err_geometry"))


def _width(value: Any) -> float:
    if value is None or value == "":
        return DEFAULT_CORRIDOR_M
    try:
        width = float(value)
    except (TypeError, ValueError):
        raise InvalidWorks(f"width_m {value!r} is not a number", N_("works_err_width")) from None
    if not (math.isfinite(width) and 0 < width <= MAX_CORRIDOR_M):
        raise InvalidWorks(
            f"width_m must lie between 0 and {MAX_CORRIDOR_M:g} metres", N_("works_err_width")
        )
    return width


def _text(values: Mapping[str, Any], name: str, limit: int, required: bool = False) -> str:
    raw = values.get(name)
    text = "" if raw is None else str(raw).strip()
    if required and not text:
        raise InvalidWorks(f"{name} is missing", N_("works_err_missing"))
    if len(text) > limit:
        raise InvalidWorks(f"{name} is longer than {limit} characters", N_("works_err_too_long"))
    return text


def _day(values: Mapping[str, Any], name: str) -> date:
    raw = values.get(name)
    if raw is None or raw == "":
        raise InvalidWorks(f"{name} is missing", N_("works_err_date"))
    try:
        return date.fromisoformat(str(raw).strip()[:10])
    except ValueError:
        raise InvalidWorks(
            f"{name} {raw!r} is not a date (YYYY-MM-DD)", N_("works_err_date")
        ) from None
