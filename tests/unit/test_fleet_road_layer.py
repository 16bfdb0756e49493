"""The road condition map layer and export over HTTP: each piece driven within the window, as a
hexagon with its condition class for everyone, with its evidence or as CSV rows for dispatchers;
never a vehicle id."""

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from faststream.asgi import AsgiFastStream
from faststream.asgi.types import Scope
from faststream.kafka import KafkaBroker

from stadtmelder_fleet.road.api import layer_routes
from stadtmelder_fleet.road.domain import Piece, RoadRules, add_reading, piece_of
from stadtmelder_shared.sensor_readings import RoadRoughnessReading

NOW = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
RULES = RoadRules()


def piece(lat: float, lon: float, roughness: list[float], days_ago: int = 1) -> Piece:
    found = Piece(*piece_of(lat, lon, RULES.cell_resolution))
    for n, value in enumerate(roughness):
        at = NOW - timedelta(days=days_ago, hours=n)
        add_reading(
            found,
            RoadRoughnessReading(
                vehicle_id=f"wbd-truck-{n % 2}",
                measured_at=at,
                lat=lat,
                lon=lon,
                speed_kmh=30,
                roughness=value,
            ),
        )
    return found


PIECES = [
    piece(51.434425, 6.762265, [9.0, 11.0, 12.0]),
    piece(51.434800, 6.762800, [1.5, 2.0]),
    piece(51.434000, 6.761500, [8.0], days_ago=30),  # out of the window
]
ROUGH, SMOOTH = PIECES[0].id, PIECES[1].id


async def fetch(path: str, access: str = "planner") -> httpx.Response:
    async def pieces() -> list[Piece]:
        return PIECES

    async def staff_check(scope: Scope) -> str:
        return access

    routes = layer_routes(pieces, RULES, lambda: NOW, staff_check)
    app = AsgiFastStream(KafkaBroker(), asgi_routes=routes)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://fleet") as client:
        return await client.get(path)


async def test_the_public_layer_shows_each_recent_piece_as_a_hexagon_with_its_condition() -> None:
    answer = await fetch("/road/conditions.geojson", access="not_authenticated")

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/geo+json"
    features = answer.json()["features"]
    assert {f["id"]: f["properties"]["condition"] for f in features} == {
        ROUGH: "very_poor",
        SMOOTH: "good",
    }
    ring = features[0]["geometry"]["coordinates"][0]
    assert len(ring) == 7
    assert ring[0] == ring[-1]
    assert features[0]["properties"] == {"piece_id": features[0]["id"], "condition": "very_poor"}
    assert "wbd-truck" not in answer.text


async def test_the_staff_layer_adds_the_evidence_of_each_piece() -> None:
    answer = await fetch("/api/v1/road/conditions")

    assert answer.status_code == 200
    [rough, smooth] = answer.json()["features"]
    assert (rough["properties"]["passes"], rough["properties"]["p90_iri"]) == (3, 12.0)
    assert smooth["properties"]["condition"] == "good"
    assert "wbd-truck" not in answer.text


@pytest.mark.parametrize(("access", "status"), [("not_authenticated", 401), ("not_allowed", 403)])
async def test_the_staff_layer_and_export_refuse_who_is_not_a_dispatcher(
    access: str, status: int
) -> None:
    for query in ("", "?format=csv"):
        answer = await fetch(f"/api/v1/road/conditions{query}", access=access)

        assert answer.status_code == status
        assert answer.json()["code"] == access
        assert "piece" not in answer.text


async def test_an_unknown_export_format_is_named() -> None:
    answer = await fetch("/api/v1/road/conditions?format=xlsx")

    assert answer.status_code == 400
    assert answer.json()["errors"] == [{"key": "format", "message": "format is geojson or csv."}]


async def test_the_export_has_one_row_per_recent_piece_with_its_evidence() -> None:
    answer = await fetch("/api/v1/road/conditions?format=csv")

    assert answer.status_code == 200
    assert "road-conditions.csv" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["piece_id"], r["passes"], r["vehicles"], r["median_iri"]) for r in rows] == [
        (ROUGH, "3", "2", "11.0"),
        (SMOOTH, "2", "2", "1.75"),
    ]
