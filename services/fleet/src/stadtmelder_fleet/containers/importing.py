"""Containers from a CSV or GeoJSON file, in the point format routing's asset import reads."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from stadtmelder_fleet.containers.domain import (
    CONTAINER_TYPES,
    Container,
    ContainerImportError,
)
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.point_files import PointFileError, build_all, coordinate, rows_from_file
from stadtmelder_shared.sensor_readings import ContainerType

# Above this a "container" is a skip or a typo: the largest underground ones hold 5 m³.
MAX_CAPACITY_L = 10_000
EXAMPLE_FILE = Path(__file__).with_name("duisburg-containers.example.csv")


def read_container_file(path: Path) -> list[Container]:
    """Every container of the file (`id,lat,lon,kind,capacity_l,district`), or an error naming
    each bad row. `kind` is the column routing's asset files use; `container_type` works too."""
    try:
        return build_all(rows_from_file(path), path.name, container_from_row, lambda c: c.id)
    except PointFileError as error:
        raise ContainerImportError(str(error)) from None


def container_from_row(values: Mapping[str, Any]) -> Container:
    container_id = str(values.get("id") or "").strip()
    if not container_id:
        raise ValueError("id is missing")
    kind = values.get("container_type") or values.get("kind")
    if kind not in CONTAINER_TYPES:
        raise ValueError(f"kind {kind!r} is not one of {', '.join(CONTAINER_TYPES)}")
    district = str(values.get("district") or "").strip()
    if not district:
        raise ValueError("district is missing (an area id such as district-500)")
    location = Location(lat=coordinate(values, "lat", 90), lon=coordinate(values, "lon", 180))
    return Container(container_id, location, cast(ContainerType, kind), _capacity(values), district)


def _capacity(values: Mapping[str, Any]) -> int:
    raw = values.get("capacity_l")
    try:
        capacity = int(str(raw))
    except ValueError:
        raise ValueError(f"capacity_l {raw!r} is not a whole number of litres") from None
    if not 0 < capacity <= MAX_CAPACITY_L:
        raise ValueError(f"capacity_l {capacity} is not between 1 and {MAX_CAPACITY_L}")
    return capacity
