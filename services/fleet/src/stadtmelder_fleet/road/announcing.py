"""Road condition as fleet announces it: when pieces are saved, their condition class and
evidence go out on `fleet.road-conditions`, in batches by area, for reports' road maps.

A piece is announced at once when its condition class or its being reported changes (or on its
first save since the start); when only its figures changed (passes, median...), at most every
EVIDENCE_REFRESH_S. A street driven every few minutes would otherwise be announced, and written
by reports, on every flush, which cost the database more than the readings themselves.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import h3
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_fleet.road.domain import Piece, RoadRules
from stadtmelder_fleet.road.layer import condition_rows
from stadtmelder_fleet.road.store import MongoPieceStore
from stadtmelder_shared import topics
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.kafka import EventPublisher
from stadtmelder_shared.road_conditions import (
    AREA_RESOLUTION,
    MAX_PIECES_PER_EVENT,
    RoadConditionsChanged,
    RoadPieceCondition,
    area_key,
)


def conditions_changed(
    pieces: Iterable[Piece], now: datetime, rules: RoadRules, jurisdiction: str
) -> list[RoadConditionsChanged]:
    """The pieces with passes in the window, as events of at most MAX_PIECES_PER_EVENT pieces
    of one area each (a piece without recent passes keeps what was announced until it expires)."""
    return events_of(condition_rows(pieces, now, rules), rules, jurisdiction)


def events_of(
    rows: Iterable[dict[str, Any]], rules: RoadRules, jurisdiction: str
) -> list[RoadConditionsChanged]:
    by_area: dict[str, list[RoadPieceCondition]] = defaultdict(list)
    for row in rows:
        last_pass_at = datetime.fromisoformat(row["last_pass_at"])
        by_area[h3.cell_to_parent(row["piece_id"], AREA_RESOLUTION)].append(
            RoadPieceCondition(
                centre=Location(lat=row["lat"], lon=row["lon"]),
                boundary=[
                    Location(lat=round(lat, 6), lon=round(lon, 6))
                    for lat, lon in h3.cell_to_boundary(row["piece_id"])
                ],
                last_pass_at=last_pass_at,
                shown_until=last_pass_at + rules.window,
                **{key: row[key] for key in _EVIDENCE},
            )
        )
    return [
        RoadConditionsChanged(
            report_id=area_key(area),
            jurisdiction=jurisdiction,
            area=area,
            pieces=found[start : start + MAX_PIECES_PER_EVENT],
        )
        for area, found in sorted(by_area.items())
        for start in range(0, len(found), MAX_PIECES_PER_EVENT)
    ]


# Pieces saved and announced at once: ten events' worth.
ANNOUNCED_AT_ONCE = 10 * MAX_PIECES_PER_EVENT
# A piece's figures alone are announced again at most this often (its class at once), and the
# pieces waiting for that are looked at this often.
EVIDENCE_REFRESH_S = 3_600.0
SWEEP_S = 60.0
_EVIDENCE = ("piece_id", "condition", "passes", "vehicles", "median_iri", "p90_iri", "reported")


class RoadAnnouncer:
    """Tells what pieces were saved, as of the clock's now, by the road rules' window."""

    def __init__(
        self,
        publisher: EventPublisher,
        rules: RoadRules,
        jurisdiction: str,
        clock: Callable[[], datetime],
        refresh_s: float = EVIDENCE_REFRESH_S,
    ) -> None:
        self._publisher, self._rules, self._clock = publisher, rules, clock
        self._jurisdiction, self._refresh_s = jurisdiction, refresh_s
        # Saved pieces whose new figures wait for their refresh, looked at every SWEEP_S.
        self._waiting: dict[str, Piece] = {}
        self._next_sweep_s = 0.0

    async def saved(self, pieces: list[Piece]) -> None:
        now = self._clock()
        now_s = now.timestamp()
        told = self._to_tell(pieces, now, now_s)
        if self._waiting and now_s >= self._next_sweep_s:
            self._next_sweep_s = now_s + SWEEP_S
            since = now_s - self._refresh_s
            overdue = [p for p in self._waiting.values() if p.announced_s <= since]
            for piece in overdue:
                del self._waiting[piece.id]
            told += self._to_tell(overdue, now, now_s)
        # In order: an area's later batch must not overtake its earlier one.
        for event in events_of(told, self._rules, self._jurisdiction):
            await self._publisher.publish(topics.ROAD_CONDITIONS, event)

    def _to_tell(self, pieces: list[Piece], now: datetime, now_s: float) -> list[dict[str, Any]]:
        """The rows of the pieces to announce now; the others wait for their refresh."""
        by_id = {piece.id: piece for piece in pieces}
        told = []
        for row in condition_rows(pieces, now, self._rules):
            piece = by_id[row["piece_id"]]
            state = row["condition"] + ("*" if row["reported"] else "")
            if state != piece.announced or now_s - piece.announced_s >= self._refresh_s:
                piece.announced, piece.announced_s = state, now_s
                self._waiting.pop(piece.id, None)
                told.append(row)
            else:
                self._waiting[piece.id] = piece
        return told


class AnnouncingPieceStore(MongoPieceStore):
    """The piece store that announces what it saved: saving is where a piece's evidence is
    settled (each flush, each finding), so each change is told once per save, not per reading.
    A failed announcement fails the save, which the flush then repeats."""

    def __init__(self, database: AsyncDatabase[dict[str, Any]], announcer: RoadAnnouncer) -> None:
        super().__init__(database)
        self._announcer = announcer

    async def save(self, pieces: list[Piece]) -> None:
        # A chunk at a time, an area's pieces together: the events of a flush of 10,000
        # pieces, built at once, lifted the process's peak memory by about 40 MB.
        by_area = sorted(pieces, key=_area_of)
        for start in range(0, len(by_area), ANNOUNCED_AT_ONCE):
            chunk = by_area[start : start + ANNOUNCED_AT_ONCE]
            await super().save(chunk)
            await self._announcer.saved(chunk)


def _area_of(piece: Piece) -> str:
    return str(h3.cell_to_parent(piece.id, AREA_RESOLUTION))
