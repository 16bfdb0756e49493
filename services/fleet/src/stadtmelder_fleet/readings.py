"""The checks every sensor reading passes before a feature uses it; a reading that fails one goes
to the dead-letter topic with its reason, counted, and the stream goes on."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, NoReturn

from prometheus_client import Counter

from stadtmelder_fleet.city import CityOutline, Clock
from stadtmelder_shared.dead_letters import Rejected
from stadtmelder_shared.metrics import ServiceMetrics
from stadtmelder_shared.sensor_readings import Reading

# Why a reading was turned away; a bounded set, so they can be metric labels. Readings out of
# range fail their schema instead and are counted by the shared wiring as `invalid`.
RejectionReason = Literal["outside_city", "from_future", "unknown_container"]


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

    def reject(self, topic: str, reason: RejectionReason, sentence: str) -> NoReturn:
        """Count the rejection by reason, then hand the reading to the dead-letter topic."""
        self.rejected.labels(topic=topic, reason=reason).inc()
        raise Rejected(sentence)

    def check_time(self, topic: str, reading: Reading) -> None:
        ahead = reading.measured_at - self.clock()
        if ahead > self.future_tolerance:
            self.reject(topic, "from_future", f"measured_at is {ahead.total_seconds():.0f} s ahead")

    def check_place(self, topic: str, lat: float, lon: float) -> None:
        if not self.city.contains(lat, lon):
            self.reject(topic, "outside_city", "the position lies outside the city")
