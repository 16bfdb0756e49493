"""Things that stand at one place (street lights, containers), read from CSV or GeoJSON points:
rows of values with where each came from, and all-or-nothing building with every bad row named."""

import csv
import io
import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
Row = tuple[str, dict[str, Any]]
MAX_ERRORS_SHOWN = 20


class PointFileError(ValueError):
    """A file that cannot be imported; the message names each bad row and what is wrong."""


def rows_from_file(path: Path) -> list[Row]:
    """Rows of a CSV file (a header with id, lat, lon) or of a GeoJSON file of points."""
    text, document = read_csv_or_json(path)
    if text is not None:
        return rows_from_csv(text, path.name)
    return rows_from_geojson(document, path.name)


def read_csv_or_json(path: Path) -> tuple[str | None, Any]:
    """(its text, None) for a `.csv` file, else (None, its JSON document)."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        return text, None
    try:
        return None, json.loads(text)
    except json.JSONDecodeError as error:
        raise PointFileError(f"{path.name}: neither CSV nor JSON ({error})") from None


def rows_from_csv(text: str, source: str) -> list[Row]:
    reader = csv.DictReader(io.StringIO(text))
    missing = {"id", "lat", "lon"} - set(reader.fieldnames or ())
    if missing:
        raise PointFileError(f"{source}: the header lacks {', '.join(sorted(missing))}")
    return [
        (
            f"{source} line {reader.line_num}",
            {key: value.strip() for key, value in row.items() if key and value},
        )
        for row in reader
    ]


def rows_from_geojson(document: Any, source: str) -> list[Row]:
    """One row per feature: its properties, its id, and `lat`/`lon` from its Point; a feature
    that is no Point becomes a row carrying `_error`, reported by `build_all`."""
    if isinstance(document, dict) and document.get("type") == "Feature":
        features = [document]
    elif isinstance(document, dict) and document.get("type") == "FeatureCollection":
        features = document.get("features") or []
    else:
        raise PointFileError(f"{source}: expected a GeoJSON Feature or FeatureCollection")
    rows: list[Row] = []
    for n, feature in enumerate(features, 1):
        where = f"{source} feature {n}"
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not isinstance(geometry, dict) or geometry.get("type") != "Point":
            rows.append((where, {"_error": "the geometry is not a Point"}))
            continue
        coordinates = geometry.get("coordinates")
        if not isinstance(coordinates, list) or len(coordinates) < 2:
            rows.append((where, {"_error": "the Point has no longitude and latitude"}))
            continue
        values = dict(feature.get("properties") or {})
        values.setdefault("id", feature.get("id"))
        values["lon"], values["lat"] = coordinates[0], coordinates[1]
        rows.append((where, values))
    return rows


def build_all(
    rows: list[Row], source: str, build: Callable[[Mapping[str, Any]], T], id_of: Callable[[T], str]
) -> list[T]:
    """Every row built, or PointFileError naming each row `build` refused (ValueError) and each
    repeated id: an import never stores half a file."""
    built: list[T] = []
    errors: list[str] = []
    first_seen: dict[str, str] = {}
    for where, values in rows:
        try:
            if "_error" in values:
                raise ValueError(values["_error"])
            thing = build(values)
        except ValueError as error:
            errors.append(f"{where}: {error}")
            continue
        if (key := id_of(thing)) in first_seen:
            errors.append(f"{where}: id {key!r} was already used on {first_seen[key]}")
            continue
        first_seen[key] = where
        built.append(thing)
    if errors:
        shown = errors[:MAX_ERRORS_SHOWN]
        more = len(errors) - len(shown)
        summary = f"{source}: {len(errors)} bad row(s), nothing imported"
        raise PointFileError(
            "\n".join([summary, *shown, *([f"... and {more} more"] if more else [])])
        )
    if not built:
        raise PointFileError(f"{source}: nothing found")
    return built


def coordinate(values: Mapping[str, Any], name: str, limit: float) -> float:
    """The number in `values[name]`, finite and within ±limit, or ValueError saying why not."""
    raw = values.get(name)
    if raw is None or raw == "":
        raise ValueError(f"{name} is missing")
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"{name} {raw!r} is not a number") from None
    if not (math.isfinite(number) and -limit <= number <= limit):
        raise ValueError(f"{name} {raw!r} is out of range")
    return number
