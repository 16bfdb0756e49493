"""The checks every sensor reading passes before a feature uses it; a reading that fails one goes
to the dead-letter topic with its reason, counted, and the stream goes on."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from prometheus_client import Counter

from stadtmelder_fleet.city import CityOutline, Clock
from stadtmelder_shared.dead_letters import Rejected
from stadtmelder_shared.metrics import ServiceMetrics
from stadtmelder_shared.sensor_readings import Reading, RoadRoughnessReading

# Why a reading was turned away; a bounded set, so they can be metric labels. Readings out of
# range fail their schema instead and are counted by the shared wiring as `invalid`.
RejectionReason = Literal["outside_city", "from_future", "unknown_container"]
OUTSIDE = "the position lies outside the city"


def rejection_counter(metrics: ServiceMetrics) -> Counter:
    return Counter(
        "stadtmelder_fleet_readings_rejected",
        "Sensor readings sent to the dead-letter topic because they cannot be used, by reason "
        "(outside_city, from_future, unknown_container); schema failures count as dead letters.",
        ["topic", "reason"],
        registry=metrics.registry,
    )


@dataclass(frozen=True)
class ReadingChecks:
    city: CityOutline
    clock: Clock
    future_tolerance: timedelta
    rejected: Counter

    def reject(self, topic: str, reason: RejectionReason, sentence: str) -> Rejected:
        """Count the rejection by reason; the reading goes to the dead-letter topic with it."""
        self.rejected.labels(topic=topic, reason=reason).inc()
        return Rejected(sentence)

    def time_problem(
        self, topic: str, reading: Reading, now: datetime | None = None
    ) -> Rejected | None:
        ahead = reading.measured_at - (now or self.clock())
        if ahead > self.future_tolerance:
            return self.reject(
                topic, "from_future", f"measured_at is {ahead.total_seconds():.0f} s ahead"
            )
        return None

    def positioned_problems(
        self, topic: str, readings: Sequence[RoadRoughnessReading]
    ) -> list[Rejected | None]:
        """What is wrong with each reading, its time first, then its place: the batch's
        positions go to the city outline in one question."""
        inside = self.city.contains_all([r.lat for r in readings], [r.lon for r in readings])
        now = self.clock()  # once for the batch: it was read in a moment
        return [
            self.time_problem(topic, reading, now)
            or (None if within else self.reject(topic, "outside_city", OUTSIDE))
            for reading, within in zip(readings, inside, strict=True)
        ]
