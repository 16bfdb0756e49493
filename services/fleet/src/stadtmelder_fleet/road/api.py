"""Road condition over HTTP: the map layer as GeoJSON and the planners' CSV export."""

import json
from collections.abc import Awaitable, Callable
from datetime import datetime

from faststream.asgi import AsgiResponse, get
from faststream.asgi.handlers import GetHandler
from faststream.asgi.types import Scope

from stadtmelder_fleet.road.domain import Piece, RoadRules
from stadtmelder_fleet.road.layer import as_csv, as_geojson, condition_rows

Pieces = Callable[[], Awaitable[list[Piece]]]


def layer_routes(
    pieces: Pieces, rules: RoadRules, clock: Callable[[], datetime]
) -> list[tuple[str, GetHandler]]:
    @get(include_in_schema=False)
    async def conditions_geojson(scope: Scope) -> AsgiResponse:
        rows = condition_rows(await pieces(), clock(), rules)
        body = json.dumps(as_geojson(rows)).encode()
        return AsgiResponse(body, 200, headers={"content-type": "application/geo+json"})

    @get(include_in_schema=False)
    async def conditions_csv(scope: Scope) -> AsgiResponse:
        rows = condition_rows(await pieces(), clock(), rules)
        headers = {
            "content-type": "text/csv; charset=utf-8",
            "content-disposition": 'attachment; filename="road-conditions.csv"',
        }
        return AsgiResponse(as_csv(rows).encode(), 200, headers=headers)

    return [
        ("/road/conditions.geojson", conditions_geojson),
        ("/road/conditions.csv", conditions_csv),
    ]
