"""The area alert stores: one contract for each MongoDB adapter (on FerretDB) and its fake."""

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from stadtmelder_notify.alerts.digest_store import MongoDigestQueue
from stadtmelder_notify.alerts.domain import (
    DigestItem,
    NewReport,
    RoutedPart,
    SubmittedPart,
    Subscription,
)
from stadtmelder_notify.alerts.store import MongoNewReportStore, MongoSubscriptionStore
from stadtmelder_reports.alerts.domain import (
    AlertLinkInvalid,
    AlertRequest,
    check_request,
    confirmed,
    new_subscription,
)
from stadtmelder_reports.alerts.store import MongoAlertStore, load_districts
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_shared.alert_areas import AlertArea
from stadtmelder_shared.alert_events import AreaAlertConfirmed, AreaAlertRequested
from stadtmelder_shared.event_values import CategoryRef, DepartmentRef, Location
from stadtmelder_shared.sealing import new_data_key
from tests.alert_fakes import (
    InMemoryAlertStore,
    InMemoryDigestQueue,
    InMemoryNewReportStore,
    InMemorySubscriptionStore,
)
from tests.examples import KOENIGSTRASSE

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
DUISBURG = load_jurisdiction()
CENTRE = Location(lat=KOENIGSTRASSE[0], lon=KOENIGSTRASSE[1])
LIGHT = CategoryRef(code="street_light_out", names={"de": "Laterne dunkel"}, group="light")
DEPARTMENT = DepartmentRef(id="stadt-licht", name="Straßenbeleuchtung")


# --- reports: subscriptions with their outbox ---------------------------------------------------


@pytest.fixture
async def alert_store(database: Any) -> Any:
    if database is None:
        return InMemoryAlertStore()
    store = MongoAlertStore(database)
    await store.ensure_indexes()
    return store


def a_requested_subscription(token: str = "the-token") -> Any:
    request = AlertRequest("nachbarin@example.org", "en", *KOENIGSTRASSE, 300.0)
    area = check_request(request, DUISBURG, load_districts())
    return new_subscription(
        request, area, DUISBURG, NOW, f"alert-{uuid.uuid4().hex}", token, new_data_key()
    )


async def test_a_subscription_is_found_by_its_token_hash_with_its_pending_request(
    alert_store: Any,
) -> None:
    subscription = a_requested_subscription()
    await alert_store.add(subscription)

    found = await alert_store.by_token_hash(subscription.token_hash)

    assert found.id == subscription.id
    assert found.area == subscription.area
    assert (found.status, found.frequency, found.language) == ("requested", "immediately", "en")
    [(_, event)] = found.pending_events
    assert isinstance(event, AreaAlertRequested)
    assert event == subscription.pending_events[0][1]
    with pytest.raises(AlertLinkInvalid):
        await alert_store.by_token_hash("unknown")


async def test_a_subscription_is_found_by_its_id_for_the_relay_and_a_gone_one_is_none(
    alert_store: Any,
) -> None:
    subscription = a_requested_subscription()
    await alert_store.add(subscription)

    found = await alert_store.by_id(subscription.id)

    assert found is not None
    assert (found.id, found.token_hash) == (subscription.id, subscription.token_hash)
    assert [e for _, e in found.pending_events] == [e for _, e in subscription.pending_events]
    assert await alert_store.by_id("alert-gone") is None


async def test_a_status_changes_only_from_the_expected_one_and_queues_its_event(
    alert_store: Any,
) -> None:
    subscription = a_requested_subscription()
    await alert_store.add(subscription)
    event = confirmed(subscription, NOW, timedelta(days=7))
    assert isinstance(event, AreaAlertConfirmed)

    assert await alert_store.change_status(subscription.id, "requested", "confirmed", event)
    assert not await alert_store.change_status(subscription.id, "requested", "confirmed", event)

    found = await alert_store.by_token_hash(subscription.token_hash)
    assert found.status == "confirmed"
    assert found.confirmed_at == NOW
    assert [e.event_id for _, e in found.pending_events] == [
        subscription.pending_events[0][1].event_id,
        event.event_id,
    ]


async def test_published_events_leave_the_outbox_and_later_ones_stay(alert_store: Any) -> None:
    subscription = a_requested_subscription()
    await alert_store.add(subscription)
    [pending] = await alert_store.with_pending_events(10)
    event = confirmed(subscription, NOW, timedelta(days=7))
    assert event is not None
    await alert_store.change_status(subscription.id, "requested", "confirmed", event)

    await alert_store.mark_published(pending.id, [e.event_id for _, e in pending.pending_events])

    [left] = await alert_store.with_pending_events(10)
    assert [e.event_id for _, e in left.pending_events] == [event.event_id]
    await alert_store.mark_published(left.id, [event.event_id])
    assert await alert_store.with_pending_events(10) == []


# --- notify: subscriptions ----------------------------------------------------------------------


@pytest.fixture
async def subscriptions(database: Any) -> Any:
    if database is None:
        return InMemorySubscriptionStore()
    store = MongoSubscriptionStore(database)
    await store.ensure_indexes()
    return store


def a_subscription(**changes: Any) -> Subscription:
    subscription = Subscription(
        id=f"alert-{uuid.uuid4().hex}",
        jurisdiction="duisburg",
        status="confirmed",
        language="tr",
        area=AlertArea(CENTRE, 500.0),
        category=None,
        frequency="immediately",
        requested_at=NOW,
        email="nachbarin@example.org",
        token="the-token",
        confirmed_at=NOW,
    )
    return replace(subscription, **changes)


async def test_a_subscription_is_kept_once_and_comes_back_whole(subscriptions: Any) -> None:
    subscription = a_subscription(status="requested", confirmed_at=None, category=LIGHT)

    assert await subscriptions.add(subscription) == subscription
    confirmed_one = replace(subscription, status="confirmed", confirmed_at=NOW)
    await subscriptions.save_confirmed(confirmed_one)
    # A redelivered request neither resets nor overwrites it.
    assert await subscriptions.add(subscription) == confirmed_one
    assert await subscriptions.get(subscription.id) == confirmed_one
    assert await subscriptions.get("alert-unknown") is None


async def test_cancelling_forgets_the_address_and_a_late_confirmation_changes_nothing(
    subscriptions: Any,
) -> None:
    subscription = a_subscription(status="requested", confirmed_at=None)
    await subscriptions.add(subscription)

    await subscriptions.cancel(subscription.id, NOW)
    await subscriptions.save_confirmed(replace(subscription, status="confirmed", confirmed_at=NOW))

    stored = await subscriptions.get(subscription.id)
    assert (stored.status, stored.email, stored.token) == ("cancelled", None, None)


async def test_candidates_are_confirmed_near_or_in_the_district_and_of_the_category(
    subscriptions: Any,
) -> None:
    near = a_subscription()
    in_district = a_subscription(area=AlertArea(district="district-500"), category=LIGHT)
    other_district = a_subscription(area=AlertArea(district="district-100"))
    far = a_subscription(area=AlertArea(Location(lat=51.52, lon=6.75), 500.0))
    other_category = a_subscription(category=LIGHT.model_copy(update={"code": "road_damage"}))
    unconfirmed = a_subscription(status="requested", confirmed_at=None)
    elsewhere = a_subscription(jurisdiction="essen")
    for subscription in (near, in_district, other_district, far, other_category, unconfirmed):
        await subscriptions.add(subscription)
    await subscriptions.add(elsewhere)

    found = await subscriptions.candidates("duisburg", "street_light_out", "district-500", CENTRE)

    assert {s.id for s in found} == {near.id, in_district.id}
    assert {s.id for s in await subscriptions.candidates("duisburg", "x", None, CENTRE)} == {
        near.id
    }


async def test_requests_never_confirmed_are_forgotten_after_a_while(subscriptions: Any) -> None:
    old = a_subscription(status="requested", confirmed_at=None, requested_at=NOW - timedelta(8))
    fresh = a_subscription(status="requested", confirmed_at=None)
    active = a_subscription(requested_at=NOW - timedelta(days=30))
    for subscription in (old, fresh, active):
        await subscriptions.add(subscription)

    assert await subscriptions.forget_unconfirmed(NOW - timedelta(days=7)) == 1

    assert await subscriptions.get(old.id) is None
    assert await subscriptions.get(fresh.id) is not None
    assert await subscriptions.get(active.id) is not None


# --- notify: new reports ------------------------------------------------------------------------


@pytest.fixture
async def new_reports(database: Any) -> Any:
    if database is None:
        return InMemoryNewReportStore()
    store = MongoNewReportStore(database)
    await store.ensure_indexes()
    return store


def a_report(report_id: str, routed_at: datetime = NOW) -> NewReport:
    return NewReport(report_id, "duisburg", LIGHT, CENTRE, "Königstraße 40", DEPARTMENT, routed_at)


async def older_submitted_part(new_reports: Any, database: Any, report_id: str) -> None:
    """The submitted part of a report as notify stored it before routing carried the place."""
    part = SubmittedPart(
        report_id, "duisburg", LIGHT, CENTRE, "Königstraße 40", NOW - timedelta(seconds=5)
    )
    if database is None:
        new_reports.submitted[report_id] = part
        return
    await database["alert_reports"].insert_one(
        {
            "_id": f"{report_id}|submitted",
            "report_id": report_id,
            "part": "submitted",
            "at": part.submitted_at,
            "jurisdiction": part.jurisdiction,
            "category": part.category.model_dump(),
            "location": part.location.model_dump(),
            "address": part.address,
        }
    )


async def test_an_older_routings_event_is_complete_with_the_part_an_older_notify_stored(
    new_reports: Any, database: Any
) -> None:
    await older_submitted_part(new_reports, database, "R-1")
    await new_reports.add_routed(RoutedPart("R-2", DEPARTMENT, NOW))
    assert await new_reports.complete("R-1") is None
    assert await new_reports.complete("R-2") is None
    await new_reports.add_routed(RoutedPart("R-1", DEPARTMENT, NOW))
    await new_reports.add_routed(RoutedPart("R-1", DEPARTMENT, NOW))  # redelivered

    assert await new_reports.complete("R-1") == a_report("R-1")
    assert [r.id for r in await new_reports.routed_since(NOW)] == ["R-1"]


async def test_reports_routed_since_a_moment_are_found_and_old_ones_forgotten(
    new_reports: Any, database: Any
) -> None:
    for report_id, hours in (("OLD", -50), ("BEFORE", -1), ("AFTER", 1)):
        await new_reports.add(a_report(report_id, NOW + timedelta(hours=hours)))
    await new_reports.add(a_report("AFTER", NOW + timedelta(hours=1)))  # redelivered
    await older_submitted_part(new_reports, database, "HALF")
    await new_reports.add_routed(RoutedPart("HALF", DEPARTMENT, NOW + timedelta(hours=2)))

    found = await new_reports.routed_since(NOW)
    assert sorted(r.id for r in found) == ["AFTER", "HALF"]
    assert a_report("AFTER", NOW + timedelta(hours=1)) in found
    assert await new_reports.forget_before(NOW - timedelta(hours=48)) == 1
    left = await new_reports.routed_since(NOW - timedelta(hours=60))
    assert sorted(r.id for r in left) == ["AFTER", "BEFORE", "HALF"]


# --- notify: the digest queue -------------------------------------------------------------------


@pytest.fixture
async def digest_queue(database: Any) -> Any:
    if database is None:
        return InMemoryDigestQueue()
    queue = MongoDigestQueue(database)
    await queue.ensure_indexes()
    return queue


async def test_digest_items_are_queued_once_and_due_after_their_day(digest_queue: Any) -> None:
    day = date(2026, 11, 27)
    report = NewReport("R-1", "duisburg", LIGHT, CENTRE, None, DEPARTMENT, NOW)
    later = replace(report, id="R-2")
    await digest_queue.add(DigestItem("alert-a", day, report))
    await digest_queue.add(DigestItem("alert-a", day, report))
    await digest_queue.add(DigestItem("alert-b", day, later))
    await digest_queue.add(DigestItem("alert-a", day + timedelta(days=1), later))

    assert await digest_queue.due(day, 100) == []
    due = await digest_queue.due(day + timedelta(days=1), 100)
    assert [(i.subscription_id, i.report.id) for i in due] == [
        ("alert-a", "R-1"),
        ("alert-b", "R-2"),
    ]
    assert due[0] == DigestItem("alert-a", day, report)

    await digest_queue.remove("alert-a", day)
    assert [i.subscription_id for i in await digest_queue.due(day + timedelta(days=2), 100)] == [
        "alert-b",
        "alert-a",
    ]
