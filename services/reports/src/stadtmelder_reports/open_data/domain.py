"""Open data's rules: which fields of a public report are published, as GeoJSON features (RFC
7946) and CSV rows, under which licence, and which reports make up one day's file. No I/O."""

import csv
import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from stadtmelder_reports.core.domain import Report

Format = Literal["geojson", "csv"]
FORMATS: tuple[Format, ...] = ("geojson", "csv")
MEDIA_TYPES: dict[Format, str] = {"geojson": "application/geo+json", "csv": "text/csv"}
FORMAT_NAMES: dict[Format, str] = {"geojson": "GeoJSON", "csv": "CSV"}
# RFC 7946 §11.2: six decimals are about 10 cm, more than a citizen's tap on a map says.
COORDINATE_DECIMALS = 6
# The first day a daily file is offered for; earlier days hold no reports of this system.
FIRST_DAY = date(2020, 1, 1)
CSV_COLUMNS = (
    "id", "url", "created_at", "updated_at", "status", "category", "category_name",
    "category_group", "department", "description", "address", "lon", "lat", "supporter_count",
)  # fmt: skip

# The licences of the dcat-ap.de vocabulary a city is likely to choose, with their names;
# another URI is published as it is, named by the URI.
DCAT_AP_DE = "http://dcat-ap.de/def/licenses"
DL_BY_DE = f"{DCAT_AP_DE}/dl-by-de/2.0"
LICENCE_NAMES = {
    DL_BY_DE: "Datenlizenz Deutschland – Namensnennung – Version 2.0",
    f"{DCAT_AP_DE}/dl-zero-de/2.0": "Datenlizenz Deutschland – Zero – Version 2.0",
    f"{DCAT_AP_DE}/cc-by/4.0": "Creative Commons Namensnennung – 4.0 International",
    f"{DCAT_AP_DE}/cc-zero": "Creative Commons CC Zero License (cc-zero)",
    f"{DCAT_AP_DE}/odbl": "Open Data Commons Open Database License (ODbL)",
}
# Where people read the licence text itself.
LICENCE_TEXTS = {
    DL_BY_DE: "https://www.govdata.de/dl-de/by-2-0",
    f"{DCAT_AP_DE}/dl-zero-de/2.0": "https://www.govdata.de/dl-de/zero-2-0",
}


@dataclass(frozen=True)
class Licence:
    uri: str
    attribution: str

    @property
    def name(self) -> str:
        return LICENCE_NAMES.get(self.uri, self.uri)

    @property
    def text_url(self) -> str:
        return LICENCE_TEXTS.get(self.uri, self.uri)


@dataclass(frozen=True)
class OpenRecord:
    """What anyone may have of a report: its public text, place and progress, nobody's
    contact data, no answers (free text nobody moderates), no comments, no photos."""

    id: str
    url: str
    created_at: datetime
    updated_at: datetime
    status: str
    category: str
    category_name: str
    category_group: str
    department: str | None
    description: str
    address: str | None
    lon: float | None
    lat: float | None
    supporter_count: int


def open_record(report: Report, base_url: str, language: str = "de") -> OpenRecord:
    """`report` must be the public copy (`ReportService.list_reports` gives only those)."""
    place = report.location
    return OpenRecord(
        id=report.id,
        url=f"{base_url}/reports/{report.id}",
        created_at=report.created_at.astimezone(UTC),
        updated_at=report.updated_at.astimezone(UTC),
        status=report.status,
        category=report.category.code,
        category_name=report.category.name(language),
        category_group=report.category.group,
        department=report.department.name if report.department else None,
        description=report.description,
        address=report.address,
        lon=round(place.lon, COORDINATE_DECIMALS) if place else None,
        lat=round(place.lat, COORDINATE_DECIMALS) if place else None,
        supporter_count=report.supporter_count,
    )


def _properties(record: OpenRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "url": record.url,
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
        "status": record.status,
        "category": record.category,
        "category_name": record.category_name,
        "category_group": record.category_group,
        "department": record.department,
        "description": record.description,
        "address": record.address,
        "supporter_count": record.supporter_count,
    }


def geojson_feature(record: OpenRecord) -> dict[str, Any]:
    """A Feature with a Point in WGS84 as [lon, lat] (RFC 7946 §3.1.1); no place: null."""
    geometry = (
        {"type": "Point", "coordinates": [record.lon, record.lat]}
        if record.lon is not None and record.lat is not None
        else None
    )
    return {
        "type": "Feature",
        "id": record.id,
        "geometry": geometry,
        "properties": _properties(record),
    }


# A FeatureCollection written in pieces, so a long one never has to be held whole; no `crs`
# member, which RFC 7946 removed (WGS84 is implied).
GEOJSON_START = '{"type":"FeatureCollection","features":['
GEOJSON_END = "]}\n"


def geojson_features(records: Iterable[OpenRecord], first: bool) -> str:
    """Features joined for the middle of the collection; `first` when none were written yet."""
    text = ",".join(
        json.dumps(geojson_feature(r), ensure_ascii=False, separators=(",", ":")) for r in records
    )
    return text if first or not text else "," + text


def csv_header() -> str:
    return csv_rows_text([dict(zip(CSV_COLUMNS, CSV_COLUMNS, strict=True))])


def csv_rows(records: Iterable[OpenRecord]) -> str:
    return csv_rows_text(_row(record) for record in records)


def csv_rows_text(rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    # RFC 4180: CRLF ends a record; quotes where a field needs them.
    csv.DictWriter(out, CSV_COLUMNS, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def _row(record: OpenRecord) -> dict[str, Any]:
    row = _properties(record)
    row["department"] = record.department or ""
    row["address"] = record.address or ""
    row["lon"] = "" if record.lon is None else f"{record.lon:.{COORDINATE_DECIMALS}f}"
    row["lat"] = "" if record.lat is None else f"{record.lat:.{COORDINATE_DECIMALS}f}"
    return row


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The reports created on `day` (UTC), as the inclusive range the report list filters by;
    the database keeps milliseconds."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1) - timedelta(milliseconds=1)


def offers_day(day: date, today: date) -> bool:
    """A daily file exists for every day from FIRST_DAY through today (today's still grows)."""
    return FIRST_DAY <= day <= today


def fingerprint(reports: Iterable[Report], *settings: str) -> str:
    """Changes with any write to any of the day's reports (each bumps its revision), with a
    report hidden or shown, and with the settings the file is written under: a cached file
    with the same fingerprint is the file a fresh read would give."""
    digest = hashlib.sha256("|".join(settings).encode())
    for report in sorted(reports, key=lambda r: r.id):
        digest.update(f";{report.id}:{report.revision}".encode())
    return digest.hexdigest()
