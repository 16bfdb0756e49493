"""Road condition's use cases: record a reading on its piece and act on what the piece's
evidence calls for; keep at most so many pieces in memory, the rest in the store."""

import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from stadtmelder_fleet.road import domain
from stadtmelder_fleet.road.domain import Cleared, Detected, Piece, RoadRules
from stadtmelder_fleet.road.store import PieceStore
from stadtmelder_shared import topics
from stadtmelder_shared.events import Event, Location
from stadtmelder_shared.road_damage import RoadDamageCleared, RoadDamageDetected
from stadtmelder_shared.sensor_readings import RoadRoughnessReading

log = logging.getLogger(__name__)


class EventPublisher(Protocol):
    async def publish(self, topic: str, event: Event) -> None: ...


class RoadService:
    """One writer per piece: a single fleet replica consumes the roughness readings (see
    docs), so the pieces in its memory are the truth and the store their copy."""

    def __init__(
        self,
        store: PieceStore,
        publisher: EventPublisher,
        rules: RoadRules,
        jurisdiction: str,
        clock: Callable[[], datetime],
        max_pieces: int = 10_000,
    ) -> None:
        self._store, self._publisher = store, publisher
        self._rules, self._clock = rules, clock
        self._jurisdiction = jurisdiction
        self._max_pieces = max_pieces
        self._pieces: OrderedDict[str, Piece] = OrderedDict()
        self._changed: set[str] = set()

    @property
    def pieces_in_memory(self) -> int:
        return len(self._pieces)

    async def record(self, reading: RoadRoughnessReading) -> None:
        if not domain.counts(reading, self._rules):
            return
        piece = await self._piece(reading.lat, reading.lon)
        domain.add_reading(piece, reading)
        self._changed.add(piece.id)
        decision = domain.decide(piece, self._clock(), self._rules)
        if decision is None:
            return
        match decision:
            case Detected(evidence, condition):  # or Confirmed, its kind
                finding = piece.finding_id or domain.finding_id(piece.id, evidence.last_pass_at)
                detected = RoadDamageDetected(
                    condition=condition.value, evidence=evidence, **self._about(piece, finding)
                )
                await self._publisher.publish(topics.ROAD_DAMAGE, detected)
                first = piece.detected_event_id or detected.event_id
                domain.mark_detected(piece, finding, first, evidence)
            case Cleared(evidence, finding, detected_event_id):
                cleared = RoadDamageCleared(
                    caused_by=detected_event_id, evidence=evidence, **self._about(piece, finding)
                )
                await self._publisher.publish(topics.ROAD_DAMAGE, cleared)
                domain.mark_cleared(piece, evidence)
        # A reported or cleared piece is saved at once: a restart must not report it twice.
        await self._store.save([piece])
        self._changed.discard(piece.id)

    def _about(self, piece: Piece, finding: str) -> dict[str, Any]:
        """What both events say about the finding and its piece."""
        return {
            "report_id": finding,
            "jurisdiction": self._jurisdiction,
            "piece_id": piece.id,
            "location": Location(lat=piece.lat, lon=piece.lon),
        }

    async def all_pieces(self, limit: int = 50_000) -> list[Piece]:
        """Every piece, the ones in memory fresher than their stored copies."""
        stored = {piece.id: piece for piece in await self._store.all_pieces(limit)}
        return list((stored | dict(self._pieces)).values())[:limit]

    async def flush(self) -> int:
        """Saves the pieces changed since the last flush; readings in between are what a crash
        loses, a few seconds of evidence, never a report or a clearing."""
        changed = [self._pieces[key] for key in self._changed if key in self._pieces]
        self._changed.clear()
        if changed:
            await self._store.save(changed)
        return len(changed)

    async def _piece(self, lat: float, lon: float) -> Piece:
        key, centre_lat, centre_lon = domain.piece_of(lat, lon, self._rules.cell_resolution)
        piece = self._pieces.get(key)
        if piece is not None:
            self._pieces.move_to_end(key)
            return piece
        piece = await self._store.load(key) or Piece(key, centre_lat, centre_lon)
        self._pieces[key] = piece
        while len(self._pieces) > self._max_pieces:
            _, evicted = self._pieces.popitem(last=False)
            if evicted.id in self._changed:
                self._changed.discard(evicted.id)
                await self._store.save([evicted])
        return piece
