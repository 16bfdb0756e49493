"""Road condition's use cases: record a reading on its piece and act on what the piece's
evidence calls for; keep at most so many pieces in memory, the rest in the store."""

import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import h3

from stadtmelder_fleet.road import domain
from stadtmelder_fleet.road.domain import Cleared, Condition, Detected, Piece, RoadRules
from stadtmelder_fleet.road.findings import Findings
from stadtmelder_fleet.road.store import PieceStore
from stadtmelder_shared import topics
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.kafka import EventPublisher
from stadtmelder_shared.road_damage import RoadDamageCleared, RoadDamageDetected, RoadEvidence
from stadtmelder_shared.sensor_readings import RoadRoughnessReading

log = logging.getLogger(__name__)


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
        self._leaving: dict[str, Piece] = {}
        self._findings = Findings()

    @property
    def pieces_in_memory(self) -> int:
        return len(self._pieces)

    async def load(self) -> None:
        """Before the consumer starts: the open findings, so that a piece turning rough next
        to one joins it. Pieces come into memory as the vehicles drive over them."""
        self._findings.restore(await self._store.open_findings())

    async def record(self, reading: RoadRoughnessReading) -> None:
        await self.record_many([reading])

    async def record_many(self, readings: Sequence[RoadRoughnessReading]) -> None:
        """Adds a batch of readings to their pieces, then acts once on each piece they touched:
        what a piece's evidence calls for depends on its passes, not on each second of them."""
        counted = [r for r in readings if domain.counts(r, self._rules)]
        resolution = self._rules.cell_resolution
        keys = [h3.latlng_to_cell(r.lat, r.lon, resolution) for r in counted]
        await self._bring_in(keys)
        touched: dict[str, Piece] = {}
        for key, reading in zip(keys, counted, strict=True):
            piece = self._pieces[key]
            self._pieces.move_to_end(key)
            if domain.add_reading(piece, reading):
                self._changed.add(key)
            # Also when read again: its detection may be what failed to be published.
            touched[key] = piece
        now = self._clock()
        for piece in touched.values():
            decision = domain.decide(piece, now, self._rules)
            if decision is not None:
                await self._act(piece, decision)
        self._evict()
        await self._save_leaving()

    async def _act(self, piece: Piece, decision: Detected | Cleared) -> None:
        match decision:
            case Detected(evidence, condition):  # or Confirmed, its kind
                await self._report(piece, evidence, condition)
            case Cleared(evidence, finding, caused_by):
                # A finding over several pieces is cleared when the last of them is smooth.
                still_open = self._findings.leave(piece)
                if still_open is None:
                    about = self._about(piece, finding)
                    cleared = RoadDamageCleared(caused_by=caused_by, evidence=evidence, **about)
                    await self._publisher.publish(topics.ROAD_DAMAGE, cleared)
                    await self._store.drop_finding(finding)
                else:
                    await self._store.save_finding(still_open)
                domain.mark_cleared(piece, evidence)
        # A reported or cleared piece is saved at once: a restart must not report it twice.
        await self._save([piece])
        self._changed.discard(piece.id)

    async def _report(self, piece: Piece, evidence: RoadEvidence, condition: Condition) -> None:
        """Publishes the damage as a new finding, or as more evidence of the finding it belongs
        to (its own, or one next to it); evidence that adds no passes is not published."""
        if piece.finding_id is None:
            joined = self._findings.near(piece)
            if joined is None:
                found_at = domain.finding_id(piece.id, evidence.last_pass_at)
                event_id = await self._publish_detected(piece, found_at, evidence, condition)
                domain.mark_detected(piece, found_at, event_id, evidence)
                await self._store.save_finding(self._findings.of(piece))
                return
            domain.mark_detected(piece, joined.id, joined.detected_event_id, evidence)
        finding = self._findings.of(piece)
        piece.reported_passes = max(piece.reported_passes, evidence.passes)
        if evidence.passes > finding.reported_passes:
            await self._publish_detected(piece, finding.id, evidence, condition)
            finding.reported_passes = evidence.passes
        await self._store.save_finding(finding)

    async def _publish_detected(
        self, piece: Piece, finding: str, evidence: RoadEvidence, condition: Condition
    ) -> str:
        detected = RoadDamageDetected(
            condition=condition.value, evidence=evidence, **self._about(piece, finding)
        )
        await self._publisher.publish(topics.ROAD_DAMAGE, detected)
        return detected.event_id

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
        """Saves the pieces changed since the last flush. The consumer commits its offsets
        only after this, so a crash loses no reading: those since the last flush are read
        again, and the ones a saved piece counted already count once (`add_reading`)."""
        changed = [self._pieces[key] for key in self._changed if key in self._pieces]
        self._changed.clear()
        try:
            await self._save(changed)
        except BaseException:
            # Still to be saved: the next flush commits offsets past these pieces' readings.
            self._changed.update(piece.id for piece in changed)
            raise
        return len(changed)

    async def _save(self, pieces: list[Piece]) -> None:
        if pieces:
            await self._store.save(pieces)

    async def _bring_in(self, keys: list[str]) -> None:
        """The batch's pieces not in memory: back from those leaving it, from the store (the
        ones it holds, fetched together), or new."""
        missing = [key for key in dict.fromkeys(keys) if key not in self._pieces]
        back = {key: self._leaving.pop(key) for key in missing if key in self._leaving}
        self._changed.update(back)  # left before they were saved: still to be saved
        wanted = [key for key in missing if key not in back]
        found = {piece.id: piece for piece in await self._store.load_many(wanted)}
        for key in missing:
            piece = back.get(key) or found.get(key)
            if piece is None:
                centre_lat, centre_lon = h3.cell_to_latlng(key)
                piece = Piece(key, centre_lat, centre_lon)
            self._pieces[key] = piece

    def _evict(self) -> None:
        """The least recently driven pieces leave memory; changed ones are saved first."""
        while len(self._pieces) > self._max_pieces:
            _, evicted = self._pieces.popitem(last=False)
            if evicted.id in self._changed:
                self._changed.discard(evicted.id)
                self._leaving[evicted.id] = evicted

    async def _save_leaving(self) -> None:
        """The changed pieces that left memory during a batch, saved together at its end."""
        if self._leaving:
            leaving = list(self._leaving.values())
            await self._save(leaving)
            for piece in leaving:
                self._leaving.pop(piece.id, None)
