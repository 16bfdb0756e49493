"""Where road pieces live beyond memory: a Protocol and its MongoDB adapter (FerretDB 1.24 too)."""

from collections import deque
from typing import Any, Protocol

from pymongo import ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_fleet.road.domain import KEPT_PASSES, Pass, Piece
from stadtmelder_shared.bulk_writes import replace_in_batches

Document = dict[str, Any]


class PieceStore(Protocol):
    async def load(self, piece_id: str) -> Piece | None: ...

    async def save(self, pieces: list[Piece]) -> None: ...

    async def all_pieces(self, limit: int) -> list[Piece]: ...


class MongoPieceStore:
    """One document per piece, replaced whole: the fleet's single writer owns it, so no
    update needs to be atomic (FerretDB 1.24 makes none)."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._pieces = database["road_pieces"]

    async def load(self, piece_id: str) -> Piece | None:
        found = await self._pieces.find_one({"_id": piece_id})
        return None if found is None else _piece(found)

    async def save(self, pieces: list[Piece]) -> None:
        if pieces:
            writes = [ReplaceOne({"_id": p.id}, _document(p), upsert=True) for p in pieces]
            await replace_in_batches(self._pieces, writes)

    async def all_pieces(self, limit: int) -> list[Piece]:
        return [_piece(found) async for found in self._pieces.find({}).limit(limit)]


def _document(piece: Piece) -> Document:
    return {
        "_id": piece.id,
        "lat": piece.lat,
        "lon": piece.lon,
        "passes": [
            {
                "vehicle": p.vehicle_id,
                "first_at": p.first_at,
                "last_at": p.last_at,
                "roughness_sum": p.roughness_sum,
                "readings": p.readings,
            }
            for p in piece.passes
        ],
        "finding_id": piece.finding_id,
        "detected_event_id": piece.detected_event_id,
        "reported_passes": piece.reported_passes,
    }


def _piece(found: Document) -> Piece:
    passes = (
        Pass(p["vehicle"], p["first_at"], p["last_at"], p["roughness_sum"], p["readings"])
        for p in found.get("passes", [])
    )
    return Piece(
        id=found["_id"],
        lat=found["lat"],
        lon=found["lon"],
        passes=deque(passes, maxlen=KEPT_PASSES),
        finding_id=found.get("finding_id"),
        detected_event_id=found.get("detected_event_id"),
        reported_passes=found.get("reported_passes", 0),
    )
