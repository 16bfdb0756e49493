"""Road condition over HTTP: the public map layer of condition classes, and for staff the same
layer with its evidence, as GeoJSON or as the planners' CSV export."""

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from faststream.asgi import AsgiResponse, get
from faststream.asgi.handlers import GetHandler
from faststream.asgi.types import Scope

from stadtmelder_fleet.road.domain import Piece, RoadRules
from stadtmelder_fleet.road.layer import as_csv, as_geojson, condition_rows

PUBLIC_PATH = "/road/conditions.geojson"
STAFF_PATH = "/api/v1/road/conditions"
# What the public layer shows of a piece: where, and how good the road is; the figures are
# for staff, who plan repairs with them.
PUBLIC_FIELDS = ("piece_id", "condition")
Pieces = Callable[[], Awaitable[list[Piece]]]
StaffCheck = Callable[[Scope], Awaitable[str]]
GEOJSON = {"content-type": "application/geo+json"}


def layer_routes(
    pieces: Pieces, rules: RoadRules, clock: Callable[[], datetime], is_staff: StaffCheck
) -> list[tuple[str, GetHandler]]:
    async def rows() -> list[dict[str, Any]]:
        return condition_rows(await pieces(), clock(), rules)

    @get(description="The city's road pieces by condition class, as GeoJSON hexagons.")
    async def road_conditions(scope: Scope) -> AsgiResponse:
        public = [{key: row[key] for key in PUBLIC_FIELDS} for row in await rows()]
        return AsgiResponse(json.dumps(as_geojson(public)).encode(), 200, GEOJSON)

    @get(description="Road pieces with their evidence, GeoJSON or CSV (staff only).")
    async def road_conditions_for_staff(scope: Scope) -> AsgiResponse:
        access = await is_staff(scope)
        if access != "planner":
            return _refused(access)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        wanted = query.get("format", ["geojson"])[-1]
        if wanted == "csv":
            headers = {
                "content-type": "text/csv; charset=utf-8",
                "content-disposition": 'attachment; filename="road-conditions.csv"',
            }
            return AsgiResponse(as_csv(await rows()).encode(), 200, headers)
        if wanted == "geojson":
            return AsgiResponse(json.dumps(as_geojson(await rows())).encode(), 200, GEOJSON)
        problem = {"key": "format", "message": "format is geojson or csv."}
        return _answer(400, {"code": "invalid", "detail": problem["message"], "errors": [problem]})

    return [(PUBLIC_PATH, road_conditions), (STAFF_PATH, road_conditions_for_staff)]


def _refused(access: str) -> AsgiResponse:
    if access == "not_authenticated":
        return _answer(401, {"code": access, "detail": "Sign in as staff for the road export."})
    return _answer(403, {"code": access, "detail": "The road export is for dispatchers."})


def _answer(status: int, body: dict[str, Any]) -> AsgiResponse:
    """The project's error shape: status, machine-readable code, a sentence, the fields."""
    text = json.dumps({"status_code": status, **body}).encode()
    return AsgiResponse(text, status, {"content-type": "application/json"})
