"""The notify service's consumers (its mails and the area alerts) on the real Kafka: poison on
every partition of every topic they read delays no later event there, and lands on `.dlq`."""

import pytest

from stadtmelder_notify.alerts.handlers import register_alert_handlers
from stadtmelder_notify.core.handlers import register_handlers
from tests.conftest import LocalSystem
from tests.integration.poison import PERSONAL, PoisonRun, Recorder

pytestmark = pytest.mark.integration
TOLD: dict[str, object] = {
    name: []
    for name in (
        "notify_submitted",
        "notify_routed",
        "notify_supported",
        "notify_status_changed",
        "notify_overdue",
    )
}
ALERTS: dict[str, object] = {"on_confirmed": 0, "on_routed": 0}


async def test_poison_on_each_partition_of_notify_topics_is_parked_and_the_next_event_handled(
    infrastructure: LocalSystem, caplog: pytest.LogCaptureFixture
) -> None:
    run = PoisonRun(infrastructure.kafka)
    service, choices, alerts = Recorder(TOLD), Recorder(), Recorder(ALERTS)
    register_handlers(run.broker, service, choices, f"poison-notify-{run.key}")  # type: ignore[arg-type]
    register_alert_handlers(run.broker, alerts, f"poison-alerts-{run.key}")  # type: ignore[arg-type]

    try:
        placed = await run.run(lambda: service.seen | choices.seen | alerts.seen)
        parked = await run.dead_letters(placed)
    finally:
        await run.broker.stop()
        await run.forget()

    assert len({p.topic for p in placed}) == 9
    assert set(placed) <= parked
    assert run.dead_letter_count() >= len(placed)
    assert PERSONAL not in caplog.text
