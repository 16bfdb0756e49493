"""What the fleet service tells others about the condition of the city's road pieces, so that
reports draws its road maps from a copy of its own instead of asking fleet.

Fleet announces the pieces whose condition or evidence changed each time it saves them, in
batches: one event holds the changed pieces of one area (the H3 parent cell at `AREA_RESOLUTION`
of the pieces), and the area is the event's `report_id` and Kafka key. A piece lies in one area
for good, so its announcements stay in order on one partition; consumers keep the latest.
"""

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Location, Value

# About 36 km² per area: a city's flush touches tens of areas, not thousands of keys.
AREA_RESOLUTION = 6
# FerretDB 1.24 replaces at most about 100 documents per command (shared/bulk_writes.py); an
# event never asks a consumer for more than one such batch.
MAX_PIECES_PER_EVENT = 50


class RoadPieceCondition(Value):
    """A piece's condition class and the evidence behind it, as the maps show it."""

    piece_id: str = Field(description="The road piece: an H3 cell (resolution 12, about 20 m).")
    centre: Location
    boundary: list[Location] = Field(description="The piece's outline (hexagon corners).")
    condition: str = Field(description="good, fair, poor, very_poor or unknown.")
    passes: int = Field(ge=0, description="Vehicle passes over the piece within the window.")
    vehicles: int = Field(ge=0, description="Distinct vehicles among those passes.")
    median_iri: float = Field(ge=0, description="Median roughness of the passes, IRI in m/km.")
    p90_iri: float = Field(ge=0, description="90th percentile roughness, IRI in m/km.")
    last_pass_at: datetime = Field(description="When the evidence was last updated.")
    shown_until: datetime = Field(
        description="When the last pass leaves the window: no longer shown unless announced again."
    )
    reported: bool = Field(description="Whether the piece is part of a road damage finding.")


class RoadConditionsChanged(Event):
    """Road pieces of one area whose condition or evidence changed since fleet last saved them."""

    type: ClassVar[str] = "org.stadtmelder.fleet.road-conditions-changed"

    area: str = Field(description="The H3 cell (resolution 6) all the pieces lie in.")
    pieces: list[RoadPieceCondition] = Field(max_length=MAX_PIECES_PER_EVENT)


def area_key(area: str) -> str:
    """The event's report_id and Kafka key for an area."""
    return f"road-area-{area}"
