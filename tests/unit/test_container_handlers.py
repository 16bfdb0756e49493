"""Container fill through the fleet's consumers: a sensor's reading of a known container and a
citizen's "container full" report are recorded; a reading of an unknown one is dead-lettered."""

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from faststream.kafka import KafkaBroker, KafkaMessage, TestKafkaBroker

from stadtmelder_fleet.city import CityOutline
from stadtmelder_fleet.containers.domain import Container, FillReading
from stadtmelder_fleet.containers.handlers import register_handlers
from stadtmelder_fleet.containers.planning import Depot
from stadtmelder_fleet.containers.service import ContainerService
from stadtmelder_fleet.readings import ReadingChecks, rejection_counter
from stadtmelder_shared import topics
from stadtmelder_shared.cloudevents import headers_for
from stadtmelder_shared.dead_letters import raw_body
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import CategoryRef, Location
from stadtmelder_shared.metrics import ServiceMetrics
from stadtmelder_shared.report_events import ReportSubmitted
from stadtmelder_shared.sensor_readings import ContainerFillReading, Reading
from tests.container_fakes import InMemoryContainerStore

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
GLASS = Container("c-glass", Location(lat=51.4329, lon=6.7621), "glass", 3000, "district-500")
PAPER = Container("c-paper", Location(lat=51.4341, lon=6.7675), "paper", 3000, "district-500")
METRES_PER_DEGREE_LAT = math.pi * 6_371_008.8 / 180


class Containers:
    def __init__(self) -> None:
        self.metrics = ServiceMetrics("fleet-tests", process_series=False)
        self.broker = KafkaBroker(middlewares=(self.metrics.kafka_middleware(),))
        self.store = InMemoryContainerStore()
        self.service = ContainerService(self.store, Depot(GLASS.location, 20_000), 0.5)
        self.dead: list[dict[str, str]] = []
        checks = ReadingChecks(
            CityOutline.load(), lambda: NOW, timedelta(minutes=5), rejection_counter(self.metrics)
        )
        register_handlers(self.service, self.broker, checks, "fleet")

        @self.broker.subscriber(
            topics.dead_letter(topics.CONTAINER_FILL), group_id="spy", decoder=raw_body
        )
        async def spy(message: KafkaMessage) -> None:
            self.dead.append(dict(message.headers))

    async def readings(self) -> dict[str, list[FillReading]]:
        return await self.store.readings([GLASS.id, PAPER.id])


async def started() -> Containers:
    containers = Containers()
    await containers.service.import_containers([GLASS, PAPER])
    return containers


async def send(broker: Any, topic: str, message: Reading | Event) -> None:
    await broker.publish(
        message.model_dump(mode="json"), topic, headers=headers_for(message, "/tests/fleet")
    )


def fill(container_id: str, percent: float) -> ContainerFillReading:
    return ContainerFillReading(
        container_id=container_id, measured_at=NOW - timedelta(minutes=1), fill_percent=percent
    )


def container_full(
    location: Location | None, answers: dict[str, Any] | None = None, code: str = "container_full"
) -> ReportSubmitted:
    return ReportSubmitted(
        report_id="R-1",
        jurisdiction="duisburg",
        occurred_at=NOW,
        category=CategoryRef(code=code, names={"de": "Container voll"}),
        description="Der Glascontainer quillt über",
        location=location,
        answers=answers or {},
    )


def north_of(place: Location, metres: float) -> Location:
    return Location(lat=place.lat + metres / METRES_PER_DEGREE_LAT, lon=place.lon)


async def test_a_known_containers_reading_is_recorded_and_an_unknown_ones_dead_lettered() -> None:
    containers = await started()
    async with TestKafkaBroker(containers.broker) as broker:
        await send(broker, topics.CONTAINER_FILL, fill("c-nobody-imported", 55.0))
        await send(broker, topics.CONTAINER_FILL, fill(GLASS.id, 42.0))

    assert [r.fill_percent for r in (await containers.readings())[GLASS.id]] == [42.0]
    (dead,) = containers.dead
    assert "c-nobody-imported" in dead["dlq_reason"]
    rejected = {"topic": topics.CONTAINER_FILL, "reason": "unknown_container"}
    assert (
        containers.metrics.registry.get_sample_value(
            "stadtmelder_fleet_readings_rejected_total", rejected
        )
        == 1.0
    )


async def test_a_citizens_container_full_report_counts_as_a_full_reading_of_the_nearest() -> None:
    containers = await started()
    async with TestKafkaBroker(containers.broker) as broker:
        await send(broker, topics.REPORTS_SUBMITTED, container_full(north_of(PAPER.location, 20)))

    (reading,) = (await containers.readings())[PAPER.id]
    assert (reading.fill_percent, reading.source, reading.measured_at) == (100.0, "citizen", NOW)


async def test_a_container_imported_after_the_start_is_found_for_a_citizens_report() -> None:
    containers = Containers()
    await containers.service.load()
    await containers.store.save_containers([PAPER])  # by the import command, meanwhile
    async with TestKafkaBroker(containers.broker) as broker:
        await send(broker, topics.REPORTS_SUBMITTED, container_full(PAPER.location))

    assert [r.source for r in (await containers.readings())[PAPER.id]] == ["citizen"]


async def test_a_report_naming_its_container_counts_for_that_one_wherever_it_was_placed() -> None:
    containers = await started()
    named = container_full(north_of(PAPER.location, 5), {"asset_id": GLASS.id})
    async with TestKafkaBroker(containers.broker) as broker:
        await send(broker, topics.REPORTS_SUBMITTED, named)

    assert list(await containers.readings()) == [GLASS.id]


async def test_reports_far_from_any_container_or_of_other_categories_record_nothing() -> None:
    containers = await started()
    async with TestKafkaBroker(containers.broker) as broker:
        await send(broker, topics.REPORTS_SUBMITTED, container_full(north_of(PAPER.location, 60)))
        await send(broker, topics.REPORTS_SUBMITTED, container_full(None))
        other = container_full(PAPER.location, code="illegal_dumping")
        await send(broker, topics.REPORTS_SUBMITTED, other)

    assert await containers.readings() == {}
