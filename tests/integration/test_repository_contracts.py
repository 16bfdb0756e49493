"""The same contract for each adapter and its in-memory fake, so fakes never lie in unit tests."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from stadtmelder_notify.core.store import MongoFollowerStore
from stadtmelder_notify.delivery.repository import Claim, MongoDeliveryLog
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.documents import to_document
from stadtmelder_reports.core.domain import StatusChange, Submission, supported
from stadtmelder_reports.core.geography import BoundingBox
from stadtmelder_reports.core.mongo_repository import MongoReportRepository
from stadtmelder_reports.core.report_queries import ReportQuery
from stadtmelder_reports.core.repository import StoredPhoto
from stadtmelder_reports.core.submission import submit
from stadtmelder_reports.errors import PhotoNotFound, ReportNotFound, TrackingTokenUnknown
from stadtmelder_reports.photos.cleaning import clean_photo
from stadtmelder_routing.work_items import MongoWorkItems, WorkItem
from stadtmelder_shared.event_values import DepartmentRef, Location, Reporter
from stadtmelder_shared.link_tokens import DEVELOPMENT_RECIPIENT_KEYS
from stadtmelder_shared.report_events import ReportSubmitted
from stadtmelder_shared.sealing import new_data_key, seal
from tests.examples import geotagged_jpeg
from tests.fakes import (
    InMemoryDeliveryLog,
    InMemoryFollowerStore,
    InMemoryReportRepository,
    InMemoryWorkItems,
)

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
DUISBURG = load_jurisdiction()


def a_report(email: str | None = "anna@example.org", photos: tuple[Any, ...] = ()) -> Any:
    submission = Submission(
        "road_damage",
        "Schlagloch",
        Location(lat=51.43, lon=6.76),
        answers={"acute_danger": "no", "size": "large"},
        language="en",
        contact=Reporter(email=email) if email else None,
    )
    report_id = f"R{uuid.uuid4().hex[:9].upper()}"
    return submit(
        submission, DUISBURG, photos, NOW, report_id, "token-" + report_id, new_data_key()
    ).report


# --- reports ------------------------------------------------------------------------------------


@pytest.fixture
def reports(database: Any) -> Any:
    return InMemoryReportRepository() if database is None else MongoReportRepository(database)


async def test_a_stored_report_comes_back_whole(reports: Any) -> None:
    report = a_report()
    await reports.add(report)

    loaded = await reports.get(report.id)
    assert loaded.reporter == report.reporter
    assert loaded.category == report.category
    assert loaded.location == report.location
    assert [change.status for change in loaded.history] == ["submitted"]
    assert [event.event_id for _, event in loaded.pending_events] == [
        event.event_id for _, event in report.pending_events
    ]
    assert isinstance(loaded.pending_events[0][1], ReportSubmitted)


async def test_unknown_report_raises_not_found(reports: Any) -> None:
    with pytest.raises(ReportNotFound):
        await reports.get("NOPE0-00000")
    with pytest.raises(ReportNotFound):
        await reports.record_status("NOPE0-00000", StatusChange("routed", NOW, "e1"))


async def test_pending_events_are_listed_until_marked_published(reports: Any) -> None:
    report = a_report()
    await reports.add(report)
    assert report.id in [r.id for r in await reports.with_pending_events(1000)]

    await reports.mark_published(report.id, [e.event_id for _, e in report.pending_events])

    assert report.id not in [r.id for r in await reports.with_pending_events(1000)]
    assert (await reports.get(report.id)).pending_events == []


async def test_events_queued_after_the_first_scan_are_found_by_later_ones(reports: Any) -> None:
    assert await reports.with_pending_events(1000) == []
    report = a_report()
    await reports.add(report)
    assert [r.id for r in await reports.with_pending_events(1000)] == [report.id]

    await reports.mark_published(report.id, [e.event_id for _, e in report.pending_events])
    assert await reports.with_pending_events(1000) == []

    await reports.add_supporter(report.id, None, None, supported(report, None, NOW))
    [waiting] = await reports.with_pending_events(1000)
    assert [type(e).__name__ for _, e in waiting.pending_events] == ["ReportSupported"]


async def test_the_outbox_is_cleared_only_at_the_revision_its_events_were_read(
    reports: Any,
) -> None:
    report = a_report()
    await reports.add(report)
    read = await reports.get(report.id)
    await reports.add_supporter(report.id, None, None, supported(report, None, NOW))

    read_ids = [e.event_id for _, e in read.pending_events]
    assert await reports.clear_outbox(report.id, read.revision, read_ids) is False
    assert len((await reports.get(report.id)).pending_events) == 2

    now = await reports.get(report.id)
    now_ids = [e.event_id for _, e in now.pending_events]
    assert await reports.clear_outbox(report.id, now.revision, now_ids) is True
    assert (await reports.get(report.id)).pending_events == []


async def test_a_status_change_is_applied_once(reports: Any) -> None:
    report = a_report()
    await reports.add(report)
    department = DepartmentRef(id="wbd-strasse", name="Straßen")
    change = StatusChange(
        "routed", NOW + timedelta(seconds=1), str(uuid.uuid4()), department=department
    )

    assert await reports.record_status(report.id, change) is True
    assert await reports.record_status(report.id, change) is False

    loaded = await reports.get(report.id)
    assert loaded.status == "routed"
    assert loaded.department == department
    assert [c.status for c in loaded.history] == ["submitted", "routed"]


# --- notify -------------------------------------------------------------------------------------


@pytest.fixture
def deliveries(database: Any) -> Any:
    return InMemoryDeliveryLog() if database is None else MongoDeliveryLog(database)


async def test_a_delivery_is_claimed_by_one_sender_and_never_resent(deliveries: Any) -> None:
    lease = NOW + timedelta(seconds=15)

    assert await deliveries.claim("k1", NOW, lease) is Claim.CLAIMED
    assert await deliveries.claim("k1", NOW, lease) is Claim.HELD_ELSEWHERE
    await deliveries.mark_sent("k1", NOW)
    assert await deliveries.claim("k1", NOW + timedelta(hours=1), lease) is Claim.ALREADY_SENT


async def test_an_expired_or_failed_claim_can_be_taken_over(deliveries: Any) -> None:
    assert await deliveries.claim("k2", NOW, NOW + timedelta(seconds=15)) is Claim.CLAIMED
    later = NOW + timedelta(seconds=16)
    assert await deliveries.claim("k2", later, later + timedelta(seconds=15)) is Claim.CLAIMED

    await deliveries.mark_failed("k2", "SMTPServerDisconnected", later)
    assert await deliveries.claim("k2", later, later + timedelta(seconds=15)) is Claim.CLAIMED


async def test_search_filters_and_continues_after_a_cursor(reports: Any) -> None:
    jurisdiction = f"j-{uuid.uuid4().hex[:6]}"
    stored = []
    for minute in range(3):
        report = a_report()
        report.jurisdiction = jurisdiction
        report.created_at = NOW + timedelta(minutes=minute)
        await reports.add(report)
        stored.append(report)

    newest_first = await reports.search(ReportQuery(jurisdiction=jurisdiction, limit=2))
    assert [r.id for r in newest_first] == [stored[2].id, stored[1].id]
    rest = await reports.search(
        ReportQuery(
            jurisdiction=jurisdiction, after=(newest_first[-1].created_at, newest_first[-1].id)
        )
    )
    assert [r.id for r in rest] == [stored[0].id]

    box = BoundingBox(6.75, 51.42, 6.77, 51.44)
    assert len(await reports.search(ReportQuery(jurisdiction=jurisdiction, bbox=box))) == 3
    elsewhere = BoundingBox(6.0, 50.0, 6.1, 50.1)
    assert await reports.search(ReportQuery(jurisdiction=jurisdiction, bbox=elsewhere)) == []
    since = NOW + timedelta(minutes=1)
    assert len(await reports.search(ReportQuery(jurisdiction=jurisdiction, since=since))) == 2
    assert await reports.search(ReportQuery(jurisdiction=jurisdiction, statuses=("closed",))) == []
    assert (
        await reports.search(ReportQuery(jurisdiction=jurisdiction, categories=("graffiti",))) == []
    )


async def test_photos_and_thumbnails_are_stored_with_the_report(reports: Any) -> None:
    photo = clean_photo(geotagged_jpeg(51.43, 6.76))
    report = a_report(photos=(photo,))
    await reports.add(report, (photo,))

    stored = await reports.photo(report.id, 1, thumbnail=False)
    assert stored == StoredPhoto("image/jpeg", photo.data)
    assert (await reports.photo(report.id, 1, thumbnail=True)).data == photo.thumbnail
    with pytest.raises(PhotoNotFound):
        await reports.photo(report.id, 2, thumbnail=False)


async def test_a_report_is_found_by_its_tracking_token_hash_only(reports: Any) -> None:
    report = a_report()
    await reports.add(report)

    assert (await reports.by_tracking_token(report.tracking_token_hash)).id == report.id
    with pytest.raises(TrackingTokenUnknown):
        await reports.by_tracking_token("0" * 64)


async def test_a_tracking_token_whose_report_was_never_stored_is_unknown(
    real_database: Any,
) -> None:
    # A crash between writing the lookup entry and the report leaves the entry alone.
    reports, report = MongoReportRepository(real_database), a_report()
    await real_database["tracking_tokens"].insert_one(
        {"_id": report.tracking_token_hash, "report_id": report.id}
    )

    with pytest.raises(TrackingTokenUnknown):
        await reports.by_tracking_token(report.tracking_token_hash)


async def test_reports_stored_before_the_tracking_index_are_found_by_token_after_the_first_start(
    real_database: Any,
) -> None:
    older = a_report()
    await real_database["reports"].insert_one(to_document(older))
    reports = MongoReportRepository(real_database)
    # No scan of the reports when a token is unknown: that is what a guesser sends.
    with pytest.raises(TrackingTokenUnknown):
        await reports.by_tracking_token(older.tracking_token_hash)

    assert await reports.index_tracking_tokens() == 1
    newer = a_report()
    await reports.add(newer)
    await real_database["reports"].insert_one(to_document(a_report()))

    assert await reports.index_tracking_tokens() == 0  # once per database, not every start
    assert (await reports.by_tracking_token(older.tracking_token_hash)).id == older.id
    assert (await reports.by_tracking_token(newer.tracking_token_hash)).id == newer.id


async def test_filling_in_tracking_tokens_keeps_entries_written_meanwhile(
    real_database: Any,
) -> None:
    reports, stored, added = MongoReportRepository(real_database), a_report(), a_report()
    await real_database["reports"].insert_one(to_document(stored))
    await reports.add(added)  # by a replica that already writes entries

    assert await reports.index_tracking_tokens() == 1
    assert (await reports.by_tracking_token(added.tracking_token_hash)).id == added.id
    assert (await reports.by_tracking_token(stored.tracking_token_hash)).id == stored.id


async def test_the_backlog_counts_the_events_waiting_in_outboxes(reports: Any) -> None:
    assert await reports.count_pending_events() == 0
    first, second = a_report(), a_report()
    await reports.add(first)
    await reports.add(second)
    await reports.add_supporter(first.id, None, None, supported(first, None, NOW))
    submitted = len(first.pending_events)
    assert await reports.count_pending_events() == 2 * submitted + 1

    for report in await reports.with_pending_events(1000):
        await reports.mark_published(report.id, [e.event_id for _, e in report.pending_events])

    assert await reports.count_pending_events() == 0


async def test_a_supporter_is_counted_once_and_announced(reports: Any) -> None:
    report = a_report()
    await reports.add(report)
    await reports.mark_published(report.id, [e.event_id for _, e in report.pending_events])
    ben = Reporter(email="ben@example.org")

    event = supported(report, seal(new_data_key(), "support:x", "supporter", "{}"), NOW)
    assert await reports.add_supporter(report.id, "key-ben", ben, event) is True
    assert await reports.add_supporter(report.id, "key-ben", ben, event) is False
    assert await reports.add_supporter(report.id, None, None, supported(report, None, NOW)) is True

    loaded = await reports.get(report.id)
    assert loaded.supporter_count == 2
    assert [type(e).__name__ for _, e in loaded.pending_events] == ["ReportSupported"] * 2


@pytest.fixture
def followers(database: Any) -> Any:
    return (
        InMemoryFollowerStore()
        if database is None
        else MongoFollowerStore(database, DEVELOPMENT_RECIPIENT_KEYS)
    )


async def test_followers_are_kept_once_per_address_and_report(followers: Any) -> None:
    await followers.add("R1", Reporter(email="ben@example.org", language="tr"))
    await followers.add("R1", Reporter(email="Ben@Example.org", language="tr"))
    await followers.add("R2", Reporter(email="cem@example.org"))

    assert [f.email for f in await followers.of("R1")] == ["ben@example.org"]
    assert (await followers.of("R1"))[0].language == "tr"
    assert await followers.of("R3") == []


async def test_an_awaiting_supporter_is_mailed_nothing_until_confirmed(followers: Any) -> None:
    book = await followers.add("R1", Reporter(email="ben@example.org"), awaiting=True)
    ben = DEVELOPMENT_RECIPIENT_KEYS.of("R1", "ben@example.org")

    assert [f.email for f in book.awaiting] == ["ben@example.org"]
    assert await followers.of("R1") == []
    assert await followers.confirm("R1", ben)
    assert [f.email for f in await followers.of("R1")] == ["ben@example.org"]
    assert await followers.of("R1", awaiting=True) == []
    assert not await followers.confirm("R1", DEVELOPMENT_RECIPIENT_KEYS.of("R1", "x@example.org"))

    await followers.erase("R1", ben)  # forgotten unconfirmed, say; then supporting anew
    again = await followers.add("R1", Reporter(email="ben@example.org"), awaiting=True)
    assert [f.email for f in again.awaiting] == ["ben@example.org"]


@pytest.fixture
def work_items(database: Any) -> Any:
    return InMemoryWorkItems() if database is None else MongoWorkItems(database)


async def test_work_items_find_open_ones_nearby_and_overdue_ones_once(work_items: Any) -> None:
    here = Location(lat=51.4300, lon=6.7600)

    def item(report_id: str, status: str, due: datetime, where: Location = here) -> WorkItem:
        return WorkItem(report_id, "wbd-strasse", "road_damage", where, status, due)

    await work_items.save(item("A", "routed", NOW - timedelta(hours=1)))
    await work_items.save(item("B", "resolved", NOW - timedelta(hours=1)))
    await work_items.save(item("C", "in_progress", NOW + timedelta(hours=1)))
    await work_items.save(item("D", "routed", NOW, Location(lat=51.50, lon=6.70)))

    nearby = await work_items.open_near("road_damage", here, 50)
    assert sorted(nearby) == ["A", "C"]
    assert [i.report_id for i in await work_items.overdue(NOW, 10)] == ["A"]
    await work_items.mark_overdue("A", NOW)
    assert await work_items.overdue(NOW, 10) == []
    assert (await work_items.get("A")).overdue_at == NOW
    assert await work_items.get("nope") is None
