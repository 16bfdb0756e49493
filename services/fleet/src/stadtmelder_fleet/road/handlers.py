"""Kafka consumers of road condition: a vehicle's roughness reading in, checked, recorded."""

from collections.abc import Awaitable, Callable

from faststream.kafka import KafkaBroker

from stadtmelder_fleet.readings import ReadingChecks
from stadtmelder_shared import topics
from stadtmelder_shared.kafka import consumer
from stadtmelder_shared.sensor_readings import RoadRoughnessReading

Record = Callable[[RoadRoughnessReading], Awaitable[None]]


def register_handlers(
    broker: KafkaBroker, group_id: str, checks: ReadingChecks, record: Record
) -> None:
    @consumer(broker, topics.ROAD_ROUGHNESS, group_id)
    async def on_road_roughness(reading: RoadRoughnessReading) -> None:
        checks.check_time(topics.ROAD_ROUGHNESS, reading)
        checks.check_place(topics.ROAD_ROUGHNESS, reading.lat, reading.lon)
        await record(reading)
