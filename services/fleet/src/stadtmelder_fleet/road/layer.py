"""The road condition map layer and its export: each piece with passes in the window, as a
GeoJSON hexagon or a CSV row, with its condition class and evidence (no vehicle ids)."""

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import h3

from stadtmelder_fleet.road.domain import Piece, RoadRules, condition_of, evidence_of, in_window

CSV_COLUMNS = (
    "piece_id", "lat", "lon", "condition", "passes", "vehicles", "median_iri", "p90_iri",
    "last_pass_at", "reported",
)  # fmt: skip


def condition_rows(
    pieces: Iterable[Piece], now: datetime, rules: RoadRules
) -> list[dict[str, Any]]:
    rows = []
    for piece in pieces:
        recent = in_window(piece, now, rules.window)
        if not recent:
            continue
        evidence = evidence_of(recent, rules.window)
        rows.append(
            {
                "piece_id": piece.id,
                "lat": round(piece.lat, 6),
                "lon": round(piece.lon, 6),
                "condition": condition_of(evidence, rules).value,
                "passes": evidence.passes,
                "vehicles": evidence.vehicles,
                "median_iri": evidence.median_iri,
                "p90_iri": evidence.p90_iri,
                "last_pass_at": evidence.last_pass_at.isoformat(),
                "reported": piece.finding_id is not None,
            }
        )
    return rows


def as_geojson(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Each piece as its hexagon, so a map shows the road's extent, not a cloud of points."""
    features = []
    for row in rows:
        ring = [[lon, lat] for lat, lon in h3.cell_to_boundary(row["piece_id"])]
        features.append(
            {
                "type": "Feature",
                "id": row["piece_id"],
                "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
                "properties": {k: v for k, v in row.items() if k not in ("lat", "lon")},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def as_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
