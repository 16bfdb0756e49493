"""Where road pieces live beyond memory: a Protocol and its MongoDB adapter (FerretDB 1.24 too)."""

import asyncio
import struct
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from bson.binary import Binary
from pymongo import ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_fleet.road.domain import KEPT_PASSES, Pass, Piece
from stadtmelder_fleet.road.findings import Finding
from stadtmelder_shared.bulk_writes import WRITE_BATCH, replace_in_batches
from stadtmelder_shared.event_values import Location

Document = dict[str, Any]
LOADS_AT_ONCE = 8
# A piece's numbers packed into one value: FerretDB reads and writes a document field by field,
# as JSON beside a schema of every field, so the fewer fields a flush of 10,000 pieces writes,
# the sooner it is done. First the piece's centre, reported passes and the time before which
# readings are ignored; then each pass as its vehicle's place in the piece's `vehicles`, first
# and last second, roughness sum and number of readings (30 bytes, where a sub-document of five
# fields took a few hundred).
PACKED_HEAD = struct.Struct("<ddId")
PACKED_PASS = struct.Struct("<HdddI")


class PieceStore(Protocol):
    async def load(self, piece_id: str) -> Piece | None: ...

    async def load_many(self, piece_ids: Sequence[str]) -> list[Piece]:
        """The pieces of these ids that the store holds."""
        ...

    async def save(self, pieces: list[Piece]) -> None: ...

    async def all_pieces(self, limit: int) -> list[Piece]: ...

    async def open_findings(self) -> list[Finding]: ...

    async def save_finding(self, finding: Finding) -> None: ...

    async def drop_finding(self, finding_id: str) -> None: ...


class MongoPieceStore:
    """One document per piece and one per open finding, replaced whole: the fleet's single
    writer owns them, so no update needs to be atomic (FerretDB 1.24 makes none)."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._pieces = database["road_pieces"]
        self._findings = database["road_findings"]

    async def load(self, piece_id: str) -> Piece | None:
        found = await self._pieces.find_one({"_id": piece_id})
        return None if found is None else _piece(found)

    async def load_many(self, piece_ids: Sequence[str]) -> list[Piece]:
        # One query per id, a few at a time: FerretDB 1.24 answers `$in` on _id by reading
        # the whole collection.
        limit = asyncio.Semaphore(LOADS_AT_ONCE)

        async def one(piece_id: str) -> Piece | None:
            async with limit:
                return await self.load(piece_id)

        found = await asyncio.gather(*(one(piece_id) for piece_id in piece_ids))
        return [piece for piece in found if piece is not None]

    async def open_findings(self) -> list[Finding]:
        return [_finding(found) async for found in self._findings.find({})]

    async def save_finding(self, finding: Finding) -> None:
        await self._findings.replace_one(
            {"_id": finding.id}, _finding_document(finding), upsert=True
        )

    async def drop_finding(self, finding_id: str) -> None:
        await self._findings.delete_one({"_id": finding_id})

    async def save(self, pieces: list[Piece]) -> None:
        # Documents made a batch at a time: a flush of 10,000 pieces built at once would lift
        # the process's peak memory by tens of MB.
        for start in range(0, len(pieces), WRITE_BATCH):
            chunk = pieces[start : start + WRITE_BATCH]
            writes = [ReplaceOne({"_id": p.id}, _document(p), upsert=True) for p in chunk]
            await replace_in_batches(self._pieces, writes)

    async def all_pieces(self, limit: int) -> list[Piece]:
        return [_piece(found) async for found in self._pieces.find({}).limit(limit)]


def _document(piece: Piece) -> Document:
    vehicles = list(dict.fromkeys(p.vehicle_id for p in piece.passes))
    place = {vehicle: number for number, vehicle in enumerate(vehicles)}
    head = PACKED_HEAD.pack(piece.lat, piece.lon, piece.reported_passes, piece.ignore_before_s)
    passes = (
        PACKED_PASS.pack(place[p.vehicle_id], p.first_s, p.last_s, p.roughness_sum, p.readings)
        for p in piece.passes
    )
    document: Document = {
        "_id": piece.id,
        "vehicles": vehicles,
        "packed": Binary(b"".join([head, *passes])),
    }
    if piece.finding_id is not None:
        document |= {"finding_id": piece.finding_id, "detected_event_id": piece.detected_event_id}
    return document


def _piece(found: Document) -> Piece:
    vehicles = found.get("vehicles", [])
    if "packed" in found:
        lat, lon, reported_passes, ignore_before_s = PACKED_HEAD.unpack_from(found["packed"])
        passes = _passes(found["packed"][PACKED_HEAD.size :], vehicles)
    else:  # saved before the numbers were packed: a field each
        lat, lon = found["lat"], found["lon"]
        reported_passes = found.get("reported_passes", 0)
        ignore_before_s = found.get("ignore_before_s", 0.0)
        passes = _passes(found.get("passes", []), vehicles)
    return Piece(
        id=found["_id"],
        lat=lat,
        lon=lon,
        passes=passes[-KEPT_PASSES:],
        finding_id=found.get("finding_id"),
        detected_event_id=found.get("detected_event_id"),
        reported_passes=reported_passes,
        ignore_before_s=ignore_before_s,
    )


def _passes(stored: bytes | list[Document], vehicles: list[str]) -> list[Pass]:
    """Packed passes; a list of sub-documents is how pieces saved before packing hold them."""
    if isinstance(stored, bytes):
        return [
            Pass(sys.intern(vehicles[vehicle]), first_s, last_s, roughness_sum, readings)
            for vehicle, first_s, last_s, roughness_sum, readings in PACKED_PASS.iter_unpack(stored)
        ]
    return [
        Pass(
            sys.intern(p["vehicle"]),
            _seconds(p["first_at"]),
            _seconds(p["last_at"]),
            p["roughness_sum"],
            p["readings"],
        )
        for p in stored
    ]


def _seconds(at: datetime) -> float:
    """A stored date as POSIX seconds; naive ones are UTC, as BSON keeps them."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


def _finding_document(finding: Finding) -> Document:
    return {
        "detected_event_id": finding.detected_event_id,
        "lat": finding.at.lat,
        "lon": finding.at.lon,
        "pieces": sorted(finding.pieces),
        "reported_passes": finding.reported_passes,
    }


def _finding(found: Document) -> Finding:
    return Finding(
        found["_id"],
        found["detected_event_id"],
        Location(lat=found["lat"], lon=found["lon"]),
        set(found["pieces"]),
        found["reported_passes"],
    )
