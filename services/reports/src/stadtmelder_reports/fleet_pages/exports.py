"""The fleet pages' downloads, made by reports from what it keeps: a plan as JSON, GeoJSON or
CSV (the shared shapes fleet uses too), the road layer as GeoJSON hexagons or the planners' CSV."""

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from stadtmelder_shared.emptying_plans import EmptyingPlan, plan_csv, plan_geojson
from stadtmelder_shared.road_conditions import RoadPieceCondition

ROAD_CSV_COLUMNS = (
    "piece_id", "lat", "lon", "condition", "passes", "vehicles", "median_iri", "p90_iri",
    "last_pass_at", "reported",
)  # fmt: skip
# Each format: its media type and how a plan or the layer is written in it.
PLAN_MEDIA = {
    "json": "application/json",
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
}


def plan_file(plan: EmptyingPlan, fmt: str) -> str:
    if fmt == "csv":
        return plan_csv(plan)
    return json.dumps(plan_geojson(plan) if fmt == "geojson" else plan.model_dump(mode="json"))


def piece_row(piece: RoadPieceCondition) -> dict[str, Any]:
    return {
        "piece_id": piece.piece_id,
        "lat": piece.centre.lat,
        "lon": piece.centre.lon,
        "condition": piece.condition,
        "passes": piece.passes,
        "vehicles": piece.vehicles,
        "median_iri": piece.median_iri,
        "p90_iri": piece.p90_iri,
        "last_pass_at": piece.last_pass_at.isoformat(),
        "reported": piece.reported,
    }


def layer_file(pieces: Sequence[RoadPieceCondition], fmt: str) -> str:
    rows = [piece_row(piece) for piece in pieces]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=ROAD_CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()
    features = []
    for piece, row in zip(pieces, rows, strict=True):
        ring = [[corner.lon, corner.lat] for corner in piece.boundary]
        features.append(
            {
                "type": "Feature",
                "id": piece.piece_id,
                "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
                "properties": {k: v for k, v in row.items() if k not in ("lat", "lon")},
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features})
