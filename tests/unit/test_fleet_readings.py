"""Sensor readings through the fleet's road consumer: bad ones (out of range, outside the city,
from the future) go to the dead-letter topic with a reason and a count; the stream goes on."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from faststream.kafka import KafkaBroker, KafkaMessage, TestKafkaBroker

from stadtmelder_fleet.city import CityOutline
from stadtmelder_fleet.readings import ReadingChecks, rejection_counter
from stadtmelder_fleet.road.handlers import register_handlers
from stadtmelder_shared import topics
from stadtmelder_shared.cloudevents import headers_for
from stadtmelder_shared.dead_letters import raw_body
from stadtmelder_shared.metrics import ServiceMetrics
from stadtmelder_shared.sensor_readings import RoadRoughnessReading

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
KOENIG_HEINRICH_PLATZ = (51.4344, 6.7623)
DUESSELDORF = (51.2277, 6.7735)
CITY = CityOutline.load()


class Road:
    def __init__(self) -> None:
        self.metrics = ServiceMetrics("fleet-tests", process_series=False)
        self.broker = KafkaBroker(middlewares=(self.metrics.kafka_middleware(),))
        self.recorded: list[RoadRoughnessReading] = []
        self.dead: list[dict[str, str]] = []
        checks = ReadingChecks(
            CITY, lambda: NOW, timedelta(minutes=5), rejection_counter(self.metrics)
        )

        async def record(readings: Sequence[RoadRoughnessReading]) -> None:
            self.recorded.extend(readings)

        register_handlers(self.broker, "fleet", checks, record)

        @self.broker.subscriber(
            topics.dead_letter(topics.ROAD_ROUGHNESS), group_id="spy", decoder=raw_body
        )
        async def spy(message: KafkaMessage) -> None:
            self.dead.append(dict(message.headers))

    def count(self, name: str, **labels: str) -> float:
        return self.metrics.registry.get_sample_value(name, labels) or 0.0


def reading(**changes: Any) -> RoadRoughnessReading:
    lat, lon = changes.pop("at", KOENIG_HEINRICH_PLATZ)
    fields: dict[str, Any] = {
        "vehicle_id": "wbd-truck-07",
        "measured_at": NOW - timedelta(seconds=2),
        "lat": lat,
        "lon": lon,
        "speed_kmh": 32.0,
        "roughness": 3.1,
    }
    return RoadRoughnessReading(**(fields | changes))


async def send(broker: Any, body: Any, headers: dict[str, str]) -> None:
    await broker.publish(body, topics.ROAD_ROUGHNESS, headers=headers)


async def test_good_readings_are_recorded_between_bad_ones_that_go_to_the_dead_letter_topic() -> (
    None
):
    road = Road()
    good = reading()
    outside = reading(at=DUESSELDORF)
    ahead = reading(measured_at=NOW + timedelta(hours=1))
    async with TestKafkaBroker(road.broker) as broker:
        for sent in (outside, good, ahead):
            await send(broker, sent.model_dump(mode="json"), headers_for(sent, "/tests/truck"))
        too_rough = good.model_dump(mode="json") | {"roughness": 400}
        await send(broker, too_rough, headers_for(good, "/tests/truck"))
        after = reading(roughness=7.5)
        await send(broker, after.model_dump(mode="json"), headers_for(after, "/tests/truck"))

    assert road.recorded == [good, after]
    assert [headers["dlq_reason"] for headers in road.dead] == [
        "the position lies outside the city",
        "measured_at is 3600 s ahead",
        "invalid: roughness less_than_equal",
    ]
    rejected = "stadtmelder_fleet_readings_rejected_total"
    topic = topics.ROAD_ROUGHNESS
    assert road.count(rejected, topic=topic, reason="outside_city") == 1
    assert road.count(rejected, topic=topic, reason="from_future") == 1
    dead_letters = "stadtmelder_dead_letters_total"
    assert road.count(dead_letters, service="fleet-tests", topic=topic, reason="invalid") == 1
    assert road.count(dead_letters, service="fleet-tests", topic=topic, reason="rejected") == 2


async def test_a_batch_is_checked_in_order_and_each_bad_reading_counted_once() -> None:
    road = Road()
    first, last = reading(), reading(roughness=5.5)
    outside = reading(at=DUESSELDORF)
    both = reading(at=DUESSELDORF, measured_at=NOW + timedelta(hours=1))
    batch = [r.model_dump(mode="json") for r in (first, both, outside, last)]
    async with TestKafkaBroker(road.broker) as broker:
        await broker.publish_batch(
            *batch, topic=topics.ROAD_ROUGHNESS, headers=headers_for(first, "/tests/truck")
        )

    assert road.recorded == [first, last]
    assert [headers["dlq_reason"] for headers in road.dead] == [
        "measured_at is 3600 s ahead",
        "the position lies outside the city",
    ]
    rejected = "stadtmelder_fleet_readings_rejected_total"
    topic = topics.ROAD_ROUGHNESS
    assert road.count(rejected, topic=topic, reason="outside_city") == 1
    assert road.count(rejected, topic=topic, reason="from_future") == 1


async def test_a_reading_a_few_seconds_ahead_of_our_clock_is_accepted() -> None:
    road = Road()
    drifted = reading(measured_at=NOW + timedelta(seconds=90))
    async with TestKafkaBroker(road.broker) as broker:
        await send(broker, drifted.model_dump(mode="json"), headers_for(drifted, "/tests/truck"))

    assert road.recorded == [drifted]
    assert road.dead == []


def test_a_reading_is_keyed_and_subjected_by_its_vehicle() -> None:
    headers = headers_for(reading(), "/tests/truck")

    assert headers["ce_subject"] == "wbd-truck-07"
    assert headers["ce_type"] == "org.stadtmelder.sensors.road-roughness"
    assert headers["ce_time"] == (NOW - timedelta(seconds=2)).isoformat()
