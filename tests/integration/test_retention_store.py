"""Retention's store queries, one contract for the MongoDB adapter on FerretDB and the fake, and
a whole retention round on FerretDB with what `/metrics` then shows."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import generate_latest

from stadtmelder_reports.core.domain import StatusChange
from stadtmelder_reports.core.mongo_repository import MongoReportRepository
from stadtmelder_reports.erasure.service import ErasureService
from stadtmelder_reports.erasure.store import MongoContactStore
from stadtmelder_reports.errors import PhotoNotFound
from stadtmelder_reports.retention import wiring
from stadtmelder_reports.retention.service import Erased
from stadtmelder_reports.retention.store import MongoRetentionStore
from stadtmelder_reports.settings import ReportsSettings
from stadtmelder_reports.staff.repository import AuditEntry, MongoAuditLog
from stadtmelder_shared.citizen_events import ContactDataErased
from stadtmelder_shared.event_values import Actor
from stadtmelder_shared.link_tokens import DEVELOPMENT_RECIPIENT_KEYS
from stadtmelder_shared.metrics import ServiceMetrics
from stadtmelder_shared.timers import Timers
from tests.fakes import InMemoryAuditLog, recipient_key
from tests.retention_fakes import (
    ROADS,
    InMemoryRetentionStore,
    SupportedReports,
    a_closed_report,
    support,
)

pytestmark = pytest.mark.integration

CLOSED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
LONG_AFTER = CLOSED + timedelta(days=400)
CLERK = Actor(role="clerk", user_id="anna", department_id=ROADS.id)


@pytest.fixture
async def reports(database: Any) -> Any:
    if database is None:
        return SupportedReports()
    repository = MongoReportRepository(database)
    await repository.ensure_indexes()
    return repository


@pytest.fixture
def audit(database: Any) -> Any:
    return InMemoryAuditLog() if database is None else MongoAuditLog(database)


@pytest.fixture
def store(database: Any, reports: Any, audit: Any) -> Any:
    if database is None:
        return InMemoryRetentionStore(reports, audit)
    return MongoRetentionStore(database, reports.limits, DEVELOPMENT_RECIPIENT_KEYS)


async def test_reports_closed_long_enough_that_keep_contact_data_are_due(
    reports: Any, store: Any
) -> None:
    reporter = await a_closed_report(reports, CLOSED, photos=0)
    supported_only = await a_closed_report(reports, CLOSED, contact=None, photos=0)
    await support(reports, supported_only, "nachbar@example.org")
    await a_closed_report(reports, CLOSED, contact=None, photos=0)  # nothing to erase
    await a_closed_report(reports, LONG_AFTER, photos=0)  # closed too recently
    reopened = await a_closed_report(reports, CLOSED, "rejected", photos=0)
    change = StatusChange("reopened", CLOSED + timedelta(days=1), "reopen-1", department=ROADS)
    await reports.record_status(reopened.id, change)

    before = LONG_AFTER - timedelta(days=1)
    found = await store.due(before, CLOSED - timedelta(days=1), "", 10)

    assert found == sorted([reporter.id, supported_only.id])
    assert await store.due(CLOSED, CLOSED, "", 10) == found  # closed exactly then counts
    assert await store.due(CLOSED - timedelta(seconds=1), LONG_AFTER, "", 10) == []
    assert await store.due(before, CLOSED, "", 1) == found[:1]
    assert await store.due(before, CLOSED, found[0], 10) == found[1:]


async def test_reports_closed_long_enough_that_show_photos_are_due(
    reports: Any, store: Any
) -> None:
    with_photo = await a_closed_report(reports, CLOSED, contact=None)
    await a_closed_report(reports, CLOSED, contact=None, photos=0)
    long_ago = CLOSED - timedelta(days=1)

    assert await store.due(LONG_AFTER, long_ago, "", 10) == []
    assert await store.due(long_ago, CLOSED, "", 10) == [with_photo.id]


async def test_the_supporters_are_named_by_their_recipient_keys(reports: Any, store: Any) -> None:
    report = await a_closed_report(reports, CLOSED)
    await support(reports, report, "Nachbar@Example.org")
    await support(reports, report, "zweite@example.org")

    assert sorted(await store.supporters(report.id)) == sorted(
        [
            recipient_key(report.id, "Nachbar@Example.org"),
            recipient_key(report.id, "zweite@example.org"),
        ]
    )
    assert await store.supporters((await a_closed_report(reports, CLOSED)).id) == []


async def test_photos_are_deleted_with_their_thumbnails_and_the_report_names_none(
    reports: Any, store: Any
) -> None:
    report = await a_closed_report(reports, CLOSED, contact=None, photos=2)
    assert await store.due(CLOSED, LONG_AFTER, "", 10) == [report.id]

    assert await store.remove_photos(report, LONG_AFTER) is True

    assert (await reports.get(report.id)).photos == []
    for number in (1, 2):
        for thumbnail in (False, True):
            with pytest.raises(PhotoNotFound):
                await reports.photo(report.id, number, thumbnail)
    assert await store.due(CLOSED, LONG_AFTER, "", 10) == []


async def test_photos_of_a_report_changed_meanwhile_are_not_marked_removed(
    reports: Any, store: Any
) -> None:
    report = await a_closed_report(reports, CLOSED)
    await support(reports, report, "nachbar@example.org")  # a write after `report` was read

    assert await store.remove_photos(report, LONG_AFTER) is False
    assert (await reports.get(report.id)).photos != []  # the next round's


async def test_only_staff_reads_of_contact_data_older_than_the_limit_are_forgotten(
    audit: Any, store: Any
) -> None:
    limit = CLOSED
    for n in range(3):
        await audit.record(
            AuditEntry(f"old-{n}", limit - timedelta(days=n + 1), "R1", CLERK, "contact_read")
        )
    await audit.record(AuditEntry("at-limit", limit, "R1", CLERK, "contact_read"))
    await audit.record(AuditEntry("work", limit - timedelta(days=9), "R1", CLERK, "transition"))

    assert await store.forget_contact_reads(limit, 2) == 2
    assert await store.forget_contact_reads(limit, 2) == 1
    assert await store.forget_contact_reads(limit, 2) == 0
    assert [e.id for e in await audit.for_report("R1")] == ["work", "at-limit"]


async def test_a_round_on_ferretdb_erases_once_and_metrics_count_it(real_database: Any) -> None:
    repository = MongoReportRepository(real_database)
    report = await a_closed_report(repository, CLOSED, photos=1)
    await support(repository, report, "nachbar@example.org")
    metrics = ServiceMetrics("reports", process_series=False)
    erasure = ErasureService(
        repository, MongoContactStore(real_database, repository.limits, DEVELOPMENT_RECIPIENT_KEYS)
    )
    retention = await wiring.register(
        Timers(), real_database, repository, erasure, ReportsSettings(), metrics
    )
    retention = replace(retention, clock=lambda: LONG_AFTER)

    assert await retention.run_round() == Erased(contact=2, photos=1)
    assert await retention.run_round() == Erased()

    kept = await repository.get(report.id)
    assert kept.reporter is None
    assert kept.photos == []
    erased = [e for _, e in kept.pending_events if isinstance(e, ContactDataErased)]
    assert sorted(e.subject for e in erased) == ["reporter", "supporter"]
    document = await real_database["reports"].find_one({"_id": report.id})
    assert "nachbar@example.org" not in str(document)
    assert "melderin@example.org" not in str(document)
    exposition = generate_latest(metrics.registry).decode()
    assert 'stadtmelder_retention_erased_total{what="contact"} 2.0' in exposition
    assert 'stadtmelder_retention_erased_total{what="photos"} 1.0' in exposition
    assert 'stadtmelder_retention_erased_total{what="audit"} 0.0' in exposition
