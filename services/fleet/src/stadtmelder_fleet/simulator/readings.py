"""The simulator's samples as the shared reading models, timed on the wall clock."""

from datetime import datetime, timedelta
from typing import Protocol

from stadtmelder_fleet.simulator.bins import SimContainer
from stadtmelder_fleet.simulator.city import Projection
from stadtmelder_fleet.simulator.world import RoadSample
from stadtmelder_shared.sensor_readings import ContainerFillReading, Reading, RoadRoughnessReading

SOURCE = "/stadtmelder/fleet-simulator"


class ReadingPublisher(Protocol):
    """Where readings go: the shared Kafka publisher, or a list in tests."""

    async def publish(self, topic: str, event: Reading) -> None: ...


def road_reading(
    sample: RoadSample, projection: Projection, started_at: datetime
) -> RoadRoughnessReading:
    lat, lon = projection.to_degrees(*sample.at)
    return RoadRoughnessReading(
        measured_at=started_at + timedelta(seconds=sample.seconds),
        vehicle_id=sample.vehicle_id,
        lat=round(lat, 7),
        lon=round(lon, 7),
        speed_kmh=sample.speed_kmh,
        roughness=sample.roughness,
    )


def fill_reading(
    container: SimContainer, fill_percent: float, measured_at: datetime
) -> ContainerFillReading:
    return ContainerFillReading(
        measured_at=measured_at,
        container_id=container.id,
        fill_percent=fill_percent,
        container_type=container.kind,
    )
