"""A report's life on FerretDB after its submission costs one command per step: its writes need
no read first when this process wrote the report last, and still refuse what a read would."""

import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from stadtmelder_reports.core.domain import Notice, Report, StatusChange, supported
from stadtmelder_reports.core.mongo_repository import MongoReportRepository
from stadtmelder_shared.event_values import DepartmentRef
from tests.conftest import LocalSystem
from tests.integration.test_repository_contracts import NOW, a_report

pytestmark = pytest.mark.integration


class Commands(monitoring.CommandListener):
    def __init__(self) -> None:
        self.seen: Counter[tuple[str, str]] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.seen[(event.command_name, str(event.command.get(event.command_name)))] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
async def counted(infrastructure: LocalSystem) -> AsyncIterator[tuple[Any, Commands]]:
    commands = Commands()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        infrastructure.mongodb_url, tz_aware=True, event_listeners=[commands]
    )
    name = f"reads_{uuid.uuid4().hex[:8]}"
    try:
        yield client[name], commands
    finally:
        await client.drop_database(name)
        await client.close()


ROUTED = StatusChange(
    "routed", NOW + timedelta(seconds=1), "routed-1", DepartmentRef(id="d", name="D")
)


async def stored_here(counted: tuple[Any, Commands]) -> tuple[MongoReportRepository, Report]:
    """A report this repository stored, with the commands counted from then on."""
    database, commands = counted
    reports = MongoReportRepository(database)
    report = a_report()
    await reports.add(report)
    commands.seen.clear()
    return reports, report


async def test_a_report_written_here_is_routed_noticed_and_cleared_without_reads(
    counted: tuple[Any, Commands],
) -> None:
    reports, report = await stored_here(counted)
    commands = counted[1]

    assert await reports.record_status(report.id, ROUTED) is True
    assert await reports.record_notice(report.id, Notice("notice-1", "submitted", "email", NOW))
    assert await reports.clear_outbox(report.id, 3, ["e"]) is True

    assert commands.seen[("find", "reports")] == 0
    assert commands.seen[("findAndModify", "reports")] == 3
    loaded = await reports.get(report.id)
    assert [change.status for change in loaded.history] == ["submitted", "routed"]
    assert [notice.id for notice in loaded.notices] == ["notice-1"]
    assert loaded.pending_events == []


async def test_remembered_conditions_still_refuse_a_repeat_and_a_stale_revision(
    counted: tuple[Any, Commands],
) -> None:
    reports, report = await stored_here(counted)
    assert await reports.record_status(report.id, ROUTED) is True

    assert await reports.record_status(report.id, ROUTED) is False
    await reports.add_supporter(report.id, "k", None, supported(report, None, NOW))
    assert await reports.add_supporter(report.id, "k", None, supported(report, None, NOW)) is False
    assert await reports.clear_outbox(report.id, 2, []) is False
    assert len((await reports.get(report.id)).pending_events) == 2


async def test_a_report_stored_by_another_process_is_read_before_its_first_conditional_write(
    counted: tuple[Any, Commands],
) -> None:
    database, commands = counted
    report = a_report()
    await MongoReportRepository(database).add(report)
    elsewhere = MongoReportRepository(database)
    commands.seen.clear()

    assert await elsewhere.record_status(report.id, ROUTED) is True
    assert await elsewhere.record_status(report.id, ROUTED) is False

    assert commands.seen[("find", "reports")] == 1


async def test_the_first_read_of_a_new_report_needs_no_command_unless_it_was_written_since(
    counted: tuple[Any, Commands],
) -> None:
    database, commands = counted
    reports = MongoReportRepository(database)
    fresh, written = a_report(), a_report()
    await reports.add(fresh)
    await reports.add(written)
    await reports.record_status(written.id, ROUTED)
    commands.seen.clear()

    first = await reports.get(fresh.id)
    assert commands.seen[("find", "reports")] == 0
    assert first == await reports.get(fresh.id)
    assert commands.seen[("find", "reports")] == 1
    assert (await reports.get(written.id)).status == "routed"
    assert commands.seen[("find", "reports")] == 2


async def test_a_new_report_offered_as_nearby_is_not_read_and_still_not_read_by_the_relay(
    counted: tuple[Any, Commands],
) -> None:
    reports, report = await stored_here(counted)
    commands = counted[1]
    assert report.location is not None

    nearby = await reports.open_nearby("duisburg", report.category.code, report.location, 50)
    relayed = await reports.get(report.id)

    assert [r.id for r in nearby] == [report.id]
    assert relayed == nearby[0]
    assert commands.seen[("find", "reports")] == 0


async def test_events_a_process_left_in_an_outbox_are_found_by_the_next_ones_first_scan(
    counted: tuple[Any, Commands],
) -> None:
    database, _ = counted
    report = a_report()
    await MongoReportRepository(database).add(report)  # then killed before publishing
    restarted = MongoReportRepository(database)

    [found] = await restarted.with_pending_events(100)

    assert found.id == report.id
    assert await restarted.count_pending_events() == len(report.pending_events)
    await restarted.mark_published(report.id, [e.event_id for _, e in found.pending_events])
    assert await restarted.with_pending_events(100) == []
    assert await restarted.count_pending_events() == 0


async def test_the_safety_net_reads_only_the_reports_this_process_left_waiting(
    counted: tuple[Any, Commands],
) -> None:
    reports, report = await stored_here(counted)
    commands = counted[1]
    assert [r.id for r in await reports.with_pending_events(100)] == [report.id]  # the first scan
    published = [e.event_id for _, e in report.pending_events]
    assert await reports.clear_outbox(report.id, 1, published)
    waiting = a_report()
    await reports.add(waiting)
    commands.seen.clear()

    assert [r.id for r in await reports.with_pending_events(100)] == [waiting.id]
    assert commands.seen == Counter({("find", "reports"): 1})
