"""What the fleet's vehicles and containers measure, as it travels on the `sensors.*` topics.

Readings are not report events: they belong to no report (no `report_id`), arrive by the
hundred per second, and are keyed by the vehicle or container that measured them, so one
sender's readings stay in order on one partition. They share the CloudEvents envelope (binary
mode, `ce_subject` = that key, `ce_time` = `measured_at`) and the consumers' wiring with events.

Range checks are part of the schema: a reading out of range fails validation and goes to the
dead-letter topic as `invalid`; what needs context (outside the city, from the future, an
unknown container) is rejected by the fleet service's handlers, also onto the dead-letter topic.
"""

from typing import ClassVar, Literal
from uuid import uuid4

from pydantic import AwareDatetime, Field

from stadtmelder_shared.event_values import Value

# The highest roughness a road can plausibly show: IRI above ~20 m/km is impassable at speed
# (unpaved, broken road); a box reporting more is faulty.
MAX_IRI_M_PER_KM = 50.0
MAX_SPEED_KMH = 130.0
ContainerType = Literal["glass", "paper", "packaging", "residual", "organic", "underground",
                        "semi-underground", "other"]  # fmt: skip


class Reading(Value):
    """Envelope fields every reading carries."""

    type: ClassVar[str]

    event_id: str = Field(default_factory=lambda: str(uuid4()), max_length=64)
    schema_version: int = 1
    measured_at: AwareDatetime = Field(description="When the sensor measured, with time zone.")

    @property
    def key(self) -> str:
        """The Kafka key and `ce_subject`: who measured."""
        raise NotImplementedError


class RoadRoughnessReading(Reading):
    """One second or so of a vehicle's ride: where it was and how rough the road felt there.

    `roughness` is an International Roughness Index estimate in m/km (ASTM E1926): the
    vertical movement a standard quarter-car would accumulate per kilometre. Vendor boxes
    measure vertical acceleration at the axle or cab (m/s²); the box (or its gateway) converts
    it before publishing: IRI ≈ k · RMS(a_z band-passed 0.5–20 Hz over the last second) /
    speed_kmh^0.5, with k calibrated per vehicle type on a reference stretch of known IRI
    (a 26 t rear-loader: k ≈ 10). Readings below 15 km/h say little (the suspension barely
    moves) and the fleet service ignores them for road condition. Typical values: new asphalt
    1–2, worn 3–5, damaged 6–10, potholes above 10.
    """

    type: ClassVar[str] = "org.stadtmelder.sensors.road-roughness"

    vehicle_id: str = Field(min_length=1, max_length=64)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    speed_kmh: float = Field(ge=0, le=MAX_SPEED_KMH)
    roughness: float = Field(ge=0, le=MAX_IRI_M_PER_KM, description="IRI estimate in m/km.")

    @property
    def key(self) -> str:
        return self.vehicle_id


class ContainerFillReading(Reading):
    """A container's fill level as its sensor measured it (ultrasonic or radar, in the lid)."""

    type: ClassVar[str] = "org.stadtmelder.sensors.container-fill"

    container_id: str = Field(min_length=1, max_length=64)
    fill_percent: float = Field(ge=0, le=100)
    container_type: ContainerType | None = None

    @property
    def key(self) -> str:
        return self.container_id
