"""The reports service's consumers on the real Kafka: poison on every partition of every topic
they read delays no later event there, and lands on the topic's `.dlq`."""

import pytest

from stadtmelder_reports.core.handlers import register_handlers
from tests.conftest import LocalSystem
from tests.integration.poison import PERSONAL, PoisonRun, Recorder

pytestmark = pytest.mark.integration


async def test_poison_on_each_partition_of_reports_topics_is_parked_and_the_next_event_handled(
    infrastructure: LocalSystem, caplog: pytest.LogCaptureFixture
) -> None:
    run = PoisonRun(infrastructure.kafka)
    service, work = Recorder(), Recorder()
    register_handlers(run.broker, service, work, f"poison-reports-{run.key}")  # type: ignore[arg-type]

    try:
        placed = await run.run(lambda: service.seen | work.seen)
        parked = await run.dead_letters(placed)
    finally:
        await run.broker.stop()
        await run.forget()

    assert {p.topic for p in placed} >= {"reports.routed", "reports.unroutable"}
    assert any(p.topic.endswith(".updates") for p in placed)
    assert set(placed) <= parked
    assert run.dead_letter_count() >= len(placed)
    assert PERSONAL not in caplog.text
