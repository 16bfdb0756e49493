"""Road condition as fleet announces it: every time pieces are saved, their condition class and
evidence go out on `fleet.road-conditions`, in batches by area, for reports' road maps."""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
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
    by_area: dict[str, list[RoadPieceCondition]] = defaultdict(list)
    for row in condition_rows(pieces, now, rules):
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
_EVIDENCE = ("piece_id", "condition", "passes", "vehicles", "median_iri", "p90_iri", "reported")


@dataclass(frozen=True)
class RoadAnnouncer:
    """Tells what pieces were saved, as of the clock's now, by the road rules' window."""

    publisher: EventPublisher
    rules: RoadRules
    jurisdiction: str
    clock: Callable[[], datetime]

    async def saved(self, pieces: list[Piece]) -> None:
        # In order: an area's later batch must not overtake its earlier one.
        for event in conditions_changed(pieces, self.clock(), self.rules, self.jurisdiction):
            await self.publisher.publish(topics.ROAD_CONDITIONS, event)


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
