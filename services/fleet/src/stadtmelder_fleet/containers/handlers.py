"""Kafka consumers of container fill: a sensor's readings (in batches) or a citizen's "container
full" report in, recorded as the container's reading; a reading of an unknown container is
dead-lettered."""

from collections.abc import Sequence

from faststream.kafka import KafkaBroker

from stadtmelder_fleet.batches import Offsets, batch_consumer
from stadtmelder_fleet.containers.domain import FillReading, UnknownContainer
from stadtmelder_fleet.containers.service import ContainerService
from stadtmelder_fleet.readings import ReadingChecks
from stadtmelder_shared import topics
from stadtmelder_shared.dead_letters import Rejected
from stadtmelder_shared.kafka import consumer
from stadtmelder_shared.report_events import ReportSubmitted
from stadtmelder_shared.sensor_readings import ContainerFillReading

CONTAINER_FULL = "container_full"
# Answers under which a report form or app names the container (its sticker number).
ASSET_ANSWERS = ("asset_id", "container_id")


def register_handlers(
    service: ContainerService, broker: KafkaBroker, checks: ReadingChecks, group_id: str
) -> None:
    @consumer(broker, topics.REPORTS_SUBMITTED, group_id)
    async def on_report_submitted(event: ReportSubmitted) -> None:
        if event.category.code != CONTAINER_FULL:
            return
        named = next(
            (a for key in ASSET_ANSWERS if isinstance(a := event.answers.get(key), str)), None
        )
        await service.record_citizen_report(named, event.location, event.occurred_at)

    async def check(readings: list[ContainerFillReading]) -> list[Rejected | None]:
        return [await problem(reading) for reading in readings]

    async def problem(reading: ContainerFillReading) -> Rejected | None:
        if early := checks.time_problem(topics.CONTAINER_FILL, reading):
            return early
        try:
            await service.container(reading.container_id)
        except UnknownContainer as unknown:
            return checks.reject(topics.CONTAINER_FILL, "unknown_container", str(unknown))
        return None

    async def on_container_fill(readings: Sequence[ContainerFillReading]) -> None:
        # Each is stored before the batch is committed; one stored twice is kept once.
        for reading in readings:
            await service.record_reading(
                FillReading(reading.container_id, reading.measured_at, reading.fill_percent)
            )

    batch_consumer(
        broker, topics.CONTAINER_FILL, group_id, ContainerFillReading, on_container_fill,
        check, Offsets(), commit_each_batch=True,
    )  # fmt: skip
