"""What reports does with a finding of the fleet, as rules without I/O."""

from dataclasses import dataclass
from datetime import datetime

from stadtmelder_reports.core.domain import Submission
from stadtmelder_shared.road_damage import SENSOR_SOURCE, RoadDamageDetected, RoadEvidence

# An open report of the same category this close is the same damage: it gets the evidence.
SAME_DAMAGE_RADIUS_M = 30.0
# The automatic report answers the category's required questions as a vehicle can: it cannot
# tell an open drain, so no acute danger (a citizen reports that, and is told to call 110);
# the size follows from how rough the piece is.
SIZE_BY_CONDITION = {"very_poor": "large", "poor": "medium"}
# The steps from each open status to "resolved" that the state machine allows, in order.
STEPS_TO_RESOLVED: dict[str, tuple[str, ...]] = {
    "routed": ("acknowledged", "in_progress", "resolved"),
    "acknowledged": ("in_progress", "resolved"),
    "in_progress": ("resolved",),
    "reopened": ("resolved",),
}


@dataclass
class Finding:
    """A finding of the fleet and the report it went to: its own automatic one, or a
    citizen's (`own` False), with the latest evidence."""

    id: str
    report_id: str
    own: bool
    evidence: RoadEvidence
    submitted: bool = False
    cleared_at: datetime | None = None


def automatic_submission(event: RoadDamageDetected, description: str) -> Submission:
    """The report the fleet would have written: no contact, marked by the sensor source."""
    return Submission(
        category=event.category_code,
        description=description,
        location=event.location,
        answers={"acute_danger": "no", "size": SIZE_BY_CONDITION.get(event.condition, "small")},
        client_id=SENSOR_SOURCE,
    )


def steps_to_resolved(status: str) -> tuple[str, ...]:
    """Nothing for a report already closed, or one in triage (it has no department yet)."""
    return STEPS_TO_RESOLVED.get(status, ())
