"""On SIGTERM the reports service stops its outbox relay; the relay first announces what the
service accepted, so no report waits for the next start to be routed."""

import asyncio
from datetime import UTC, datetime

import pytest

from stadtmelder_reports import app as reports_app
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.domain import Submission
from stadtmelder_reports.core.outbox import OutboxRelay, ReportOutbox
from stadtmelder_reports.core.service import ReportService
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Location
from tests.data_key_fakes import InMemoryDataKeys
from tests.fakes import InMemoryReportRepository, RecordingPublisher
from tests.system import wait_until

SUBMISSION = Submission("street_light_out", "Laterne dunkel", Location(lat=51.4344, lon=6.7623))


def a_relay_and_service(
    repository: InMemoryReportRepository, publisher: RecordingPublisher
) -> tuple[OutboxRelay, ReportService]:
    """A relay woken by the service's submissions. Its poll is long: a relay that missed its
    stop would sleep through the test."""
    relay = OutboxRelay(ReportOutbox(repository), publisher, poll_seconds=3600)
    service = ReportService(
        repository,
        load_jurisdiction(),
        clock=lambda: datetime.now(UTC),
        on_events_pending=relay.wake,
        data_keys=InMemoryDataKeys(),
    )
    return relay, service


async def test_a_stopped_relay_publishes_the_reports_accepted_before_and_returns() -> None:
    repository, publisher = InMemoryReportRepository(), RecordingPublisher()
    relay, service = a_relay_and_service(repository, publisher)
    running = asyncio.create_task(relay.run())
    first = await service.submit_report(SUBMISSION)

    async def published() -> int:
        return len(publisher.published)

    await wait_until(published, timeout=5, interval=0.01, what="the first report published")
    # Accepted while the service shuts down, just before the relay is told to stop.
    last = await service.submit_report(SUBMISSION)
    relay.stop()
    await asyncio.wait_for(running, timeout=5)

    assert [event.report_id for _, event in publisher.published] == [
        first.report.id,
        last.report.id,
    ]
    assert await repository.with_pending_events(10) == []


async def test_a_relay_stopped_while_kafka_is_away_returns_and_keeps_the_events() -> None:
    repository, publisher = InMemoryReportRepository(), RecordingPublisher(failing=True)
    relay, service = a_relay_and_service(repository, publisher)
    await service.submit_report(SUBMISSION)
    running = asyncio.create_task(relay.run())

    relay.stop()
    await asyncio.wait_for(running, timeout=5)

    assert publisher.published == []
    assert len(await repository.with_pending_events(10)) == 1


class GatedPublisher(RecordingPublisher):
    """Holds every publish until `gate` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.waiting = 0

    async def publish(self, topic: str, event: Event) -> None:
        self.waiting += 1
        await self.gate.wait()
        await super().publish(topic, event)


async def test_a_relay_stopped_in_the_middle_of_a_pass_returns_right_after_it() -> None:
    repository, publisher = InMemoryReportRepository(), GatedPublisher()
    relay, service = a_relay_and_service(repository, publisher)
    running = asyncio.create_task(relay.run())
    await service.submit_report(SUBMISSION)

    async def publishing() -> int:
        return publisher.waiting

    await wait_until(publishing, timeout=5, interval=0.01, what="a pass to be under way")
    relay.stop()
    publisher.gate.set()
    await asyncio.wait_for(running, timeout=5)

    assert len(publisher.published) == 1


async def test_a_stop_during_kafkas_start_lets_the_start_end_so_its_sockets_can_be_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started, release, finished = asyncio.Event(), asyncio.Event(), asyncio.Event()

    class SlowToStartBroker:
        async def start(self) -> None:
            started.set()
            await release.wait()
            finished.set()

    async def reachable(*_: object) -> None:
        return None

    monkeypatch.setattr(reports_app, "connect_when_reachable", reachable)
    relaying = asyncio.Event()
    kafka_side = asyncio.create_task(
        reports_app.start_kafka_then_relay(SlowToStartBroker(), (), None, relaying)  # type: ignore[arg-type]
    )
    await asyncio.wait_for(started.wait(), timeout=5)
    stopping = asyncio.create_task(reports_app.stop_relays(kafka_side, (), relaying))

    async def stop_requested() -> bool:
        return kafka_side.cancelling() > 0

    await wait_until(stop_requested, timeout=5, interval=0.01, what="the stop to cancel the start")
    release.set()
    await asyncio.wait_for(stopping, timeout=5)

    assert finished.is_set(), "the start was cut off in the middle of the bootstrap"
    assert kafka_side.cancelled()
    assert not relaying.is_set()
