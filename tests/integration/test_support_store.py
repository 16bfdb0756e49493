"""The supporters' store keeps the same contract on FerretDB as its in-memory fake: a supporter
asked to confirm, the confirmation written with its event, and the cleanup's notes."""

import uuid
from datetime import timedelta
from typing import Any

import pytest

from stadtmelder_reports.core.domain import supported
from stadtmelder_reports.core.mongo_repository import MongoReportRepository
from stadtmelder_reports.support.store import MongoSupporterStore
from stadtmelder_shared.citizen_events import SupporterConfirmed
from stadtmelder_shared.event_values import Reporter
from stadtmelder_shared.link_tokens import DEVELOPMENT_RECIPIENT_KEYS
from stadtmelder_shared.sealing import new_data_key, seal
from tests.fakes import InMemoryReportRepository
from tests.integration.test_repository_contracts import NOW, a_report
from tests.support_fakes import InMemorySupporterStore

pytestmark = pytest.mark.integration


@pytest.fixture
def stores(database: Any) -> tuple[Any, Any]:
    if database is None:
        reports: Any = InMemoryReportRepository()
        return reports, InMemorySupporterStore(reports)
    reports = MongoReportRepository(database)
    return reports, MongoSupporterStore(database, reports.limits, DEVELOPMENT_RECIPIENT_KEYS)


async def test_a_supporter_waits_for_confirmation_until_it_is_written_with_its_event(
    stores: tuple[Any, Any],
) -> None:
    reports, store = stores
    report = a_report()
    await reports.add(report)
    ben = Reporter(email="ben@example.org", language="tr")
    key = DEVELOPMENT_RECIPIENT_KEYS.of(report.id, "ben@example.org")
    event = supported(report, seal(new_data_key(), "support:x", "supporter", "{}"), NOW)
    assert await reports.add_supporter(report.id, "sha-ben", ben, event)

    asked, revision = await store.supporter(report.id, key)
    assert (asked.contact.email, asked.contact.language) == ("ben@example.org", "tr")
    assert (asked.asked_at, asked.confirmed) == (NOW, False)
    assert await store.supporter(report.id, "0" * 64) == (None, revision)

    confirmed = SupporterConfirmed(
        event_id=str(uuid.uuid4()), report_id=report.id, jurisdiction="duisburg", recipient_key=key
    )
    fields = {"confirmed": True, "confirmed_at": NOW}
    assert not await store.change(report.id, revision - 1, key, fields, confirmed)
    assert await store.change(report.id, revision, key, fields, confirmed)

    known, _ = await store.supporter(report.id, key)
    assert known.confirmed
    loaded = await reports.get(report.id)
    assert [type(e).__name__ for _, e in loaded.pending_events] == [
        "ReportSubmitted",
        "ReportSupported",
        "SupporterConfirmed",
    ]


async def test_the_cleanups_notes_come_due_once_and_go(stores: tuple[Any, Any]) -> None:
    _, store = stores
    await store.note_unconfirmed("R1", "a" * 64, NOW)
    await store.note_unconfirmed("R2", "b" * 64, NOW + timedelta(days=7))
    await store.note_unconfirmed("R1", "a" * 64, NOW + timedelta(days=1))  # asked again

    assert await store.unconfirmed_due(NOW, 10) == []
    assert await store.unconfirmed_due(NOW + timedelta(days=1), 10) == [("R1", "a" * 64)]
    await store.drop_note("R1", "a" * 64)
    assert await store.unconfirmed_due(NOW + timedelta(days=8), 10) == [("R2", "b" * 64)]
