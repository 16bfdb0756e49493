"""Kafka consumer of road condition: batches of vehicles' roughness readings in, each checked,
recorded together; offsets committed once the pieces they changed are saved."""

from collections.abc import Awaitable, Callable, Sequence

from faststream.kafka import KafkaBroker

from stadtmelder_fleet.batches import Offsets, batch_consumer
from stadtmelder_fleet.readings import ReadingChecks
from stadtmelder_shared import topics
from stadtmelder_shared.dead_letters import Rejected
from stadtmelder_shared.sensor_readings import RoadRoughnessReading

RecordMany = Callable[[Sequence[RoadRoughnessReading]], Awaitable[None]]


def register_handlers(
    broker: KafkaBroker, group_id: str, checks: ReadingChecks, on_road_roughness: RecordMany
) -> Offsets:
    """The offsets are the caller's to commit, after its flush."""

    async def check(readings: list[RoadRoughnessReading]) -> list[Rejected | None]:
        return checks.positioned_problems(topics.ROAD_ROUGHNESS, readings)

    offsets = Offsets()
    batch_consumer(
        broker,
        topics.ROAD_ROUGHNESS,
        group_id,
        RoadRoughnessReading,
        on_road_roughness,
        check,
        offsets,
    )
    return offsets
