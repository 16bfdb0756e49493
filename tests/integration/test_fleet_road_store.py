"""The road pieces' store, one contract for the MongoDB adapter on FerretDB and the fake: a
piece comes back with its passes and finding, replaced whole on the next save."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from stadtmelder_fleet.road.domain import KEPT_PASSES, Piece, add_reading
from stadtmelder_fleet.road.findings import Finding
from stadtmelder_fleet.road.store import PACKED_HEAD, PACKED_PASS, MongoPieceStore, PieceStore
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.sensor_readings import RoadRoughnessReading
from tests.fleet_fakes import InMemoryPieceStore

pytestmark = pytest.mark.integration

AT = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)


def store_for(database: Any) -> PieceStore:
    return InMemoryPieceStore() if database is None else MongoPieceStore(database)


def piece_with_passes(count: int) -> Piece:
    piece = Piece("8c1fa5310955bff", 51.434425, 6.762265)
    for n in range(count):
        reading = RoadRoughnessReading(
            vehicle_id=f"truck-{n % 3}",
            measured_at=AT + timedelta(hours=n),
            lat=piece.lat,
            lon=piece.lon,
            speed_kmh=30,
            roughness=2.0 + n / 2,
        )
        add_reading(piece, reading)
    return piece


async def test_a_saved_piece_comes_back_with_its_passes_and_finding(database: Any) -> None:
    store = store_for(database)
    piece = piece_with_passes(4)
    piece.finding_id, piece.detected_event_id, piece.reported_passes = "road-x-1", "event-1", 3
    await store.save([piece, Piece("8c1fa5310955fff", 51.43, 6.76)])

    found = await store.load(piece.id)

    assert found == piece
    assert found is not None
    assert found.passes[1].first_at == AT + timedelta(hours=1)
    assert await store.load("8c1fa53109aaaaa") is None
    assert len(await store.all_pieces(limit=10)) == 2


async def test_saving_again_replaces_the_piece_and_keeps_passes_bounded(database: Any) -> None:
    store = store_for(database)
    piece = piece_with_passes(3)
    piece.finding_id = "road-x-1"
    await store.save([piece])
    piece = piece_with_passes(KEPT_PASSES + 5)
    await store.save([piece])

    found = await store.load(piece.id)

    assert found is not None
    assert found.finding_id is None
    assert len(found.passes) == KEPT_PASSES
    assert found.passes[0].roughness == 4.5  # the five oldest have left


async def test_open_findings_are_kept_apart_from_the_pieces_until_dropped(database: Any) -> None:
    store = store_for(database)
    at = Location(lat=51.434425, lon=6.762265)
    finding = Finding("road-x-1", "event-1", at, {"8c1fa5310955bff"}, reported_passes=3)
    await store.save_finding(finding)
    finding.pieces.add("8c1fa5310942dff")
    await store.save_finding(finding)
    await store.save_finding(Finding("road-y-2", "event-2", at, {"8c1fa53109aaaaa"}))
    await store.drop_finding("road-y-2")

    assert await store.open_findings() == [finding]
    assert await store.load_many(["8c1fa5310955bff"]) == []


async def test_a_piece_is_saved_as_three_fields_and_older_layouts_still_load(
    real_database: Any,
) -> None:
    piece = piece_with_passes(3)
    passes = [
        {
            "vehicle": p.vehicle_id,
            "first_at": p.first_at,
            "last_at": p.last_at,
            "roughness_sum": p.roughness_sum,
            "readings": p.readings,
        }
        for p in piece.passes
    ]
    fields = {"lat": piece.lat, "lon": piece.lon, "reported_passes": 0, "ignore_before_s": 0.0}
    packed_passes = b"".join(  # truck-0, truck-1, truck-2: their places in `vehicles`
        PACKED_PASS.pack(int(p.vehicle_id[-1]), p.first_s, p.last_s, p.roughness_sum, p.readings)
        for p in piece.passes
    )
    older = [
        {"_id": "sub-documents", "lat": piece.lat, "lon": piece.lon, "passes": passes},
        {"_id": "packed-passes", **fields, "vehicles": ["truck-0", "truck-1", "truck-2"],
         "passes": packed_passes},
    ]  # fmt: skip
    await real_database["road_pieces"].insert_many(older)
    store = MongoPieceStore(real_database)

    for layout in ("sub-documents", "packed-passes"):
        found = await store.load(layout)
        assert found is not None
        assert (found.lat, found.lon, found.passes) == (piece.lat, piece.lon, piece.passes)
    await store.save([piece])
    saved = await real_database["road_pieces"].find_one({"_id": piece.id})
    assert sorted(saved) == ["_id", "packed", "vehicles"]
    assert len(saved["packed"]) == PACKED_HEAD.size + 3 * PACKED_PASS.size
    assert await store.load(piece.id) == piece
