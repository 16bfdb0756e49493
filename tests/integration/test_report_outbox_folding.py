"""What the relay published leaves a report's outbox with the report's next write on FerretDB: a
new report's announcement and its routing cost one write, not two; nothing queued meanwhile is
dropped or published twice, and without a next write the outbox is emptied on its own."""

from typing import Any

from stadtmelder_reports.core.domain import Notice
from stadtmelder_reports.core.mongo_repository import MongoReportRepository
from stadtmelder_reports.core.outbox import ReportOutbox
from tests.integration.test_report_write_reads import (
    ROUTED,
    Commands,
    counted,
    pytestmark,
    stored_here,
)
from tests.integration.test_repository_contracts import NOW

__all__ = ["counted", "pytestmark"]


async def published(outbox: ReportOutbox, report_id: str) -> list[str]:
    """The relay's pass over the report: its events as published, then marked sent."""
    pending = await outbox.pending_of(report_id)
    assert pending is not None
    sent = [event.event_id for _, event in pending.events]
    await outbox.mark_sent(pending, sent)
    return sent


async def test_the_announcement_leaves_the_outbox_with_the_routing_in_one_write(
    counted: tuple[Any, Commands],
) -> None:
    reports, report = await stored_here(counted)
    commands = counted[1]
    outbox = ReportOutbox(reports)

    assert len(await published(outbox, report.id)) == 1
    assert await reports.record_status(report.id, ROUTED) is True

    assert commands.seen[("findAndModify", "reports")] == 1
    assert commands.seen[("find", "reports")] == 0
    loaded = await reports.get(report.id)
    assert loaded.pending_events == []
    assert [change.status for change in loaded.history] == ["submitted", "routed"]
    assert await reports.record_status(report.id, ROUTED) is False  # still applied once


async def test_an_event_queued_after_the_publishing_stays_and_goes_out_once(
    counted: tuple[Any, Commands],
) -> None:
    reports, report = await stored_here(counted)
    outbox = ReportOutbox(reports)
    assert len(await published(outbox, report.id)) == 1
    queued = report.pending_events[0][1].model_copy(update={"event_id": "queued-later"})

    await reports.queue_event(report.id, "reports.submitted", queued)
    await reports.record_notice(report.id, Notice("notice-1", "submitted", "email", NOW))

    pending = await outbox.pending_of(report.id)
    assert pending is not None
    assert [event.event_id for _, event in pending.events] == ["queued-later"]
    assert await published(outbox, report.id) == ["queued-later"]
    assert await reports.record_status(report.id, ROUTED) is True
    assert (await reports.get(report.id)).pending_events == []


async def test_without_a_next_write_the_relay_empties_the_outbox_itself(
    counted: tuple[Any, Commands],
) -> None:
    reports, report = await stored_here(counted)
    outbox = ReportOutbox(reports)
    await published(outbox, report.id)
    assert (await reports.get(report.id)).pending_events != []  # waits for the next write

    await reports.settle_published(everything=True)

    assert (await reports.get(report.id)).pending_events == []


async def test_where_no_next_write_could_drop_them_the_relay_empties_the_outbox_at_once(
    counted: tuple[Any, Commands],
) -> None:
    _, report = await stored_here(counted)
    # Another process: it did not write the report, so it remembers no revision of it.
    elsewhere = MongoReportRepository(counted[0])

    await published(ReportOutbox(elsewhere), report.id)

    assert (await elsewhere.get(report.id)).pending_events == []
