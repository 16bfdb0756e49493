from datetime import UTC, datetime
from typing import Any

import pytest

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.domain import Submission
from stadtmelder_reports.core.outbox import OutboxRelay, ReportOutbox
from stadtmelder_reports.core.service import ReportService
from stadtmelder_shared import topics
from stadtmelder_shared.event_values import Location
from tests.data_key_fakes import InMemoryDataKeys
from tests.fakes import InMemoryReportRepository, RecordingPublisher

SUBMISSION = Submission(
    "litter_bin_overflowing", "Papierkorb quillt über", Location(lat=51.43, lon=6.76)
)


async def submitted(repository: InMemoryReportRepository) -> str:
    service = ReportService(
        repository,
        load_jurisdiction(),
        clock=lambda: datetime.now(UTC),
        data_keys=InMemoryDataKeys(),
    )
    return (await service.submit_report(SUBMISSION)).report.id


async def test_relay_publishes_pending_events_once() -> None:
    repository, publisher = InMemoryReportRepository(), RecordingPublisher()
    report_id = await submitted(repository)
    relay = OutboxRelay(ReportOutbox(repository), publisher)

    assert await relay.publish_pending() == 1
    assert await relay.publish_pending() == 0
    [(topic, event)] = publisher.published
    assert topic == topics.REPORTS_SUBMITTED
    assert event.report_id == report_id


async def test_events_stay_in_the_outbox_while_kafka_is_away() -> None:
    repository, publisher = InMemoryReportRepository(), RecordingPublisher(failing=True)
    await submitted(repository)
    relay = OutboxRelay(ReportOutbox(repository), publisher)

    with pytest.raises(ConnectionError):
        await relay.publish_pending()
    assert len(await repository.with_pending_events(10)) == 1

    publisher.failing = False
    assert await relay.publish_pending() == 1
    assert await repository.with_pending_events(10) == []


async def test_a_woken_relay_publishes_the_named_report_without_scanning() -> None:
    class NoScan(InMemoryReportRepository):
        async def with_pending_events(self, limit: int) -> list[Any]:
            raise AssertionError("scanned the whole outbox")

    repository, publisher = NoScan(), RecordingPublisher()
    report_id = await submitted(repository)
    relay = OutboxRelay(ReportOutbox(repository), publisher)

    relay.wake(report_id)
    relay.wake("GONE0-00000")
    assert await relay.publish_hinted() == 1
    assert await relay.publish_hinted() == 0
    assert [event.report_id for _, event in publisher.published] == [report_id]
