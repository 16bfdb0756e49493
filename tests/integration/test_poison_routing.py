"""The routing service's consumers on the real Kafka: poison on every partition of every topic
they read delays no later event there, and lands on the topic's `.dlq`."""

import pytest

from stadtmelder_routing.handlers import register_handlers
from tests.conftest import LocalSystem
from tests.integration.poison import PERSONAL, PoisonRun, Recorder

pytestmark = pytest.mark.integration


async def test_poison_on_each_partition_of_routing_topics_is_parked_and_the_next_event_handled(
    infrastructure: LocalSystem, caplog: pytest.LogCaptureFixture
) -> None:
    run = PoisonRun(infrastructure.kafka)
    service = Recorder({"route_report": None}, works=Recorder())
    register_handlers(run.broker, service, f"poison-routing-{run.key}")  # type: ignore[arg-type]

    try:
        placed = await run.run(lambda: service.seen)
        parked = await run.dead_letters(placed)
    finally:
        await run.broker.stop()
        await run.forget()

    assert {p.topic for p in placed} == {
        "reports.submitted",
        "reports.status-changed",
        "works.changed",
    }
    assert set(placed) <= parked
    assert run.dead_letter_count() >= len(placed)
    assert PERSONAL not in caplog.text
