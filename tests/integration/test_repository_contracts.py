"""The same contract for each adapter and its in-memory fake, so fakes never lie in unit tests."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from stadtmelder_notify.repository import Claim, MongoDeliveryLog
from stadtmelder_reports.domain import (
    DUISBURG_CATEGORIES,
    ReportNotFound,
    StatusChange,
    Submission,
    submit,
)
from stadtmelder_reports.repository import MongoReportRepository, connect
from stadtmelder_routing.domain import route
from stadtmelder_routing.repository import MongoRoutingLog
from stadtmelder_shared.events import DepartmentRef, Location, ReportSubmitted

from tests.conftest import LocalSystem
from tests.fakes import InMemoryDeliveryLog, InMemoryReportRepository, InMemoryRoutingLog

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
CATEGORIES = {c.code: c for c in DUISBURG_CATEGORIES}


@pytest.fixture(params=["fake", "mongo"])
async def database(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    if request.param == "fake":
        yield None
        return
    system: LocalSystem = request.getfixturevalue("infrastructure")
    client = connect(system.mongodb_url)
    name = f"contract_{uuid.uuid4().hex[:8]}"
    try:
        yield client[name]
    finally:
        await client.drop_database(name)
        await client.close()


def a_report(email: str | None = "anna@example.org") -> Any:
    submission = Submission("road_damage", "Schlagloch", Location(lat=51.43, lon=6.76), "en", email)
    return submit(submission, CATEGORIES, "duisburg", NOW, f"R{uuid.uuid4().hex[:9].upper()}")


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


async def test_a_status_change_is_applied_once(reports: Any) -> None:
    report = a_report()
    await reports.add(report)
    change = StatusChange("routed", NOW + timedelta(seconds=1), str(uuid.uuid4()))
    department = DepartmentRef(id="wbd-strasse", name="Straßen")

    assert await reports.record_status(report.id, change, department) is True
    assert await reports.record_status(report.id, change, department) is False

    loaded = await reports.get(report.id)
    assert loaded.status == "routed"
    assert loaded.department == department
    assert [c.status for c in loaded.history] == ["submitted", "routed"]


# --- routing ------------------------------------------------------------------------------------


@pytest.fixture
def routing_log(database: Any) -> Any:
    return InMemoryRoutingLog() if database is None else MongoRoutingLog(database)


async def test_routing_log_remembers_routed_submissions(routing_log: Any) -> None:
    submitted = a_report().pending_events[0][1]
    routed, _ = route(submitted)

    assert await routing_log.was_routed(submitted.event_id) is False
    await routing_log.remember(routed, NOW)
    await routing_log.remember(routed, NOW)
    assert await routing_log.was_routed(submitted.event_id) is True


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
