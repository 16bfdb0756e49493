"""Reading a file of known works (GeoJSON features or CSV rows with a `geometry` column in WKT or
GeoJSON): every feature checked, and either all of them or none with each problem named."""

import csv
import io
from pathlib import Path
from typing import Any

from stadtmelder_reports.works.domain import Works, works_from_values
from stadtmelder_shared.point_files import PointFileError, Row, build_all, read_csv_or_json

CSV_REQUIRED = ("id", "title", "operator", "from", "until", "geometry")


def read_works_file(path: Path) -> list[Works]:
    try:
        text, document = read_csv_or_json(path)
        if text is None:
            return works_from_geojson(document, path.name)
    except PointFileError as error:
        raise WorksImportError(str(error)) from None
    return works_from_csv(text, path.name)


def works_from_geojson(document: Any, source: str) -> list[Works]:
    if isinstance(document, dict) and document.get("type") == "FeatureCollection":
        features = document.get("features")
    elif isinstance(document, dict) and document.get("type") == "Feature":
        features = [document]
    else:
        raise WorksImportError(f"{source}: expected a GeoJSON Feature or FeatureCollection")
    if not isinstance(features, list):
        raise WorksImportError(f"{source}: features is not a list")
    rows: list[Row] = []
    for n, feature in enumerate(features, 1):
        if not isinstance(feature, dict) or not isinstance(feature.get("properties", {}), dict):
            rows.append((f"{source} feature {n}", {"_error": "not a GeoJSON Feature"}))
            continue
        values = dict(feature.get("properties") or {})
        values.setdefault("id", feature.get("id"))
        values["geometry"] = feature.get("geometry")
        rows.append((_where(source, n, values), values))
    return _built(rows, source)


def works_from_csv(text: str, source: str) -> list[Works]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [name for name in CSV_REQUIRED if name not in (reader.fieldnames or ())]
    if missing:
        raise WorksImportError(f"{source}: the header lacks {', '.join(missing)}")
    rows: list[Row] = []
    for row in reader:
        values = {key: value.strip() for key, value in row.items() if key and value}
        where = f"{source} line {reader.line_num}"
        rows.append((f"{where} (id {values['id']!r})" if "id" in values else where, values))
    return _built(rows, source)


def _where(source: str, n: int, values: dict[str, Any]) -> str:
    works_id = values.get("id")
    return f"{source} feature {n}" + (f" (id {works_id!r})" if works_id else "")


class WorksImportError(ValueError):
    """A file that cannot be imported; the message names each bad feature and its problem."""


def _built(rows: list[Row], source: str) -> list[Works]:
    try:
        return build_all(rows, source, works_from_values, lambda works: works.id)
    except PointFileError as error:
        raise WorksImportError(str(error)) from None
