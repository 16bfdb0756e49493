"""What the fleet service tells reports about the roads: damage its vehicles found, and damage
that went away. Reports turns them into automatic reports or evidence on a citizen's report.

Like area alerts, these events are about no report yet: their `report_id` (and Kafka key) is
the finding's id, `road-<piece>-<unix time of detection>`, one per episode of damage on a piece,
so a finding's detection, confirmations and clearing stay in order on one partition. Reports
remembers what it did with a finding: created an automatic report, or attached the evidence to
a citizen's report nearby.
"""

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Location, Value

ROAD_DAMAGE_CATEGORY = "road_damage"
SENSOR_SOURCE = "sensor"


class RoadEvidence(Value):
    """What the vehicles measured on one road piece within the window."""

    passes: int = Field(ge=0, description="Vehicle passes over the piece within the window.")
    vehicles: int = Field(ge=0, description="Distinct vehicles among those passes.")
    median_iri: float = Field(ge=0, description="Median roughness of the passes, IRI in m/km.")
    p90_iri: float = Field(ge=0, description="90th percentile roughness, IRI in m/km.")
    first_pass_at: datetime
    last_pass_at: datetime
    window_days: int = Field(ge=1, description="How far back the passes count.")


class RoadDamageDetected(Event):
    """A road piece is rough enough, on enough passes by enough vehicles, to be reported.

    Sent again with more evidence as further passes confirm it; consumers keep the latest.
    """

    type: ClassVar[str] = "org.stadtmelder.fleet.road-damage-detected"

    piece_id: str = Field(description="The road piece: an H3 cell (resolution 12, about 20 m).")
    location: Location = Field(description="The piece's centre.")
    condition: str = Field(description="The piece's condition class, e.g. `poor`, `very_poor`.")
    evidence: RoadEvidence
    category_code: str = ROAD_DAMAGE_CATEGORY
    source: str = SENSOR_SOURCE


class RoadDamageCleared(Event):
    """A piece reported before measures smooth again (repaired): its automatic report closes."""

    type: ClassVar[str] = "org.stadtmelder.fleet.road-damage-cleared"

    caused_by: str = Field(description="event_id of the RoadDamageDetected it clears.")
    # The piece and where it is, so reports needs nothing else to close its report.
    piece_id: str
    location: Location
    evidence: RoadEvidence = Field(description="The passes that show the piece recovered.")
