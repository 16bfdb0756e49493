"""The Mongo stores erasure writes to, on FerretDB: the report's contact data and its waiting
events, notify's followers, waiting mails and send times, reports' alert subscriptions and
notify's digest queue."""

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from bson import json_util

from stadtmelder_notify.alerts.digest_store import MongoDigestQueue
from stadtmelder_notify.alerts.domain import DigestItem, NewReport
from stadtmelder_notify.core.domain import confirmation_mail
from stadtmelder_notify.core.erasure import MongoWaitingMails
from stadtmelder_notify.core.store import MongoFollowerStore
from stadtmelder_notify.delivery.domain import PendingMail, address_key
from stadtmelder_notify.delivery.repository import MongoDeliveryLog
from stadtmelder_notify.links import MailLinks
from stadtmelder_reports.alerts.domain import AlertRequest, new_subscription
from stadtmelder_reports.alerts.store import MongoAlertStore
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.domain import Submission, supported, token_hash
from stadtmelder_reports.core.mongo_repository import MongoReportRepository
from stadtmelder_reports.core.submission import submit
from stadtmelder_reports.erasure.alert_store import MongoAlertContactStore, Subscriber
from stadtmelder_reports.erasure.domain import (
    erase_alert_subscriber,
    erase_reporter,
    erase_supporter,
)
from stadtmelder_reports.erasure.store import MongoContactStore
from stadtmelder_shared import topics
from stadtmelder_shared.alert_areas import AlertArea
from stadtmelder_shared.citizen_events import CitizenNotified
from stadtmelder_shared.data_keys import supporter_key_id
from stadtmelder_shared.event_values import CategoryRef, DepartmentRef, Location, Reporter
from stadtmelder_shared.link_tokens import DEVELOPMENT_RECIPIENT_KEYS
from stadtmelder_shared.report_events import ReportSubmitted
from stadtmelder_shared.sealing import new_data_key, seal
from tests.fakes import InMemoryFollowerStore, recipient_key

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
DUISBURG = load_jurisdiction()
CANARY = "canary-store@example.org"
OTHER = "other-store@example.org"
LINKS = MailLinks("https://melder.example", b"integration-link-secret-32-bytes!!")


def mentions(document: Any, needle: str) -> bool:
    return needle.lower() in json_util.dumps(document).lower()


async def a_stored_report(repository: MongoReportRepository, email: str) -> Any:
    submission = Submission(
        "road_damage",
        "Schlagloch",
        Location(lat=51.43, lon=6.76),
        answers={"acute_danger": "no", "size": "large"},
        contact=Reporter(email=email, name="Kanarie Vogel"),
    )
    report_id = f"R{uuid.uuid4().hex[:9].upper()}"
    new = submit(submission, DUISBURG, (), NOW, report_id, "token-" + report_id, new_data_key())
    await repository.add(new.report)
    return new.report


# --- reports: the report's contact data ---------------------------------------------------------


async def test_the_reporter_leaves_the_report_and_every_waiting_event(real_database: Any) -> None:
    repository = MongoReportRepository(real_database)
    report = await a_stored_report(repository, CANARY)
    store = MongoContactStore(real_database, repository.limits, DEVELOPMENT_RECIPIENT_KEYS)
    erasure = erase_reporter(report, NOW, DEVELOPMENT_RECIPIENT_KEYS)

    assert await store.erase_reporter(report.id, report.revision + 7, erasure) is False
    assert await store.erase_reporter(report.id, report.revision, erasure) is True

    document = await real_database["reports"].find_one({"_id": report.id})
    assert not mentions(document, CANARY)
    assert not mentions(document, "Kanarie")
    assert document["contact_erased_at"].replace(tzinfo=UTC) == NOW
    assert [entry["topic"] for entry in document["outbox"]][-1] == topics.CONTACT_DATA_ERASED
    loaded = await repository.get(report.id)
    assert loaded.reporter is None
    assert loaded.revision == report.revision + 1


async def test_one_supporter_leaves_the_report_and_the_others_stay(real_database: Any) -> None:
    repository = MongoReportRepository(real_database)
    report = await a_stored_report(repository, "reporter-store@example.org")
    for email in (CANARY, OTHER):
        supporter = Reporter(email=email)
        key = token_hash(email.lower())  # the service's key: a hash of the address
        key_id = supporter_key_id(report.id, recipient_key(report.id, email))
        sealed = seal(new_data_key(), key_id, "supporter", supporter.model_dump_json())
        await repository.add_supporter(report.id, key, supporter, supported(report, sealed, NOW))
    store = MongoContactStore(real_database, repository.limits, DEVELOPMENT_RECIPIENT_KEYS)
    canary_key = recipient_key(report.id, CANARY)

    erased = await store.erase_supporter(report.id, erase_supporter(report, canary_key, NOW))
    again = await store.erase_supporter(report.id, erase_supporter(report, canary_key, NOW))

    assert (erased, again) == (True, False)
    document = await real_database["reports"].find_one({"_id": report.id})
    assert not mentions(document, CANARY)
    assert not mentions(document, token_hash(CANARY))
    assert mentions(document, OTHER)
    assert [s["email"] for s in document["supporters"]] == [OTHER]


# --- notify: the follower and what is kept under their address -------------------------------


@pytest.fixture
def followers(database: Any) -> Any:
    return (
        InMemoryFollowerStore()
        if database is None
        else MongoFollowerStore(database, DEVELOPMENT_RECIPIENT_KEYS)
    )


async def test_an_erased_follower_is_mailed_no_more_and_their_address_returned_once(
    followers: Any,
) -> None:
    for email in (CANARY, OTHER):
        await followers.add("R1", Reporter(email=email))
    await followers.mark_confirmed("R1", CANARY)

    assert await followers.erase("R1", recipient_key("R1", CANARY)) == CANARY
    assert await followers.erase("R1", recipient_key("R1", CANARY)) is None

    assert [follower.email for follower in await followers.of("R1")] == [OTHER]
    assert not await followers.is_confirmed("R1", CANARY)
    await followers.add("R1", Reporter(email=CANARY))  # a redelivered event naming them
    assert [follower.email for follower in await followers.of("R1")] == [OTHER]


# --- notify: mails still waiting for the erased person --------------------------------------


def waiting_mail(key: str, email: str) -> PendingMail:
    event = ReportSubmitted(
        report_id="ABCDE-12345",
        jurisdiction="duisburg",
        category=CategoryRef(code="graffiti", names={"de": "Graffiti"}),
        description="Graffiti",
        location=None,
    )
    return PendingMail(
        key=key,
        mail=confirmation_mail(event, email, "de", LINKS),
        language="de",
        recipient=address_key(email),
        follower=recipient_key(event.report_id, email),
        topic=topics.REPORTS_SUBMITTED,
        cause=event,
        notified=CitizenNotified(
            report_id=event.report_id,
            jurisdiction="duisburg",
            channel="email",
            notification="submitted",
            caused_by=event.event_id,
        ),
    )


async def test_the_erased_persons_waiting_mails_are_given_up_and_no_one_elses(
    real_database: Any,
) -> None:
    deliveries = MongoDeliveryLog(real_database)
    for key, email in (("k-canary", CANARY), ("k-other", OTHER)):
        await deliveries.claim(key, NOW, NOW + timedelta(seconds=15))
        await deliveries.defer(waiting_mail(key, email), NOW + timedelta(minutes=30))

    waiting = MongoWaitingMails(real_database, deliveries)
    forgotten = await waiting.forget(recipient_key("ABCDE-12345", CANARY))
    again = await waiting.forget(recipient_key("ABCDE-12345", CANARY))

    await deliveries.claim("k-sent", NOW, NOW + timedelta(seconds=15))
    await deliveries.mark_sent("k-sent", NOW, recipient=address_key(CANARY))
    assert await deliveries.sent_since(address_key(CANARY), NOW) == [NOW]
    await waiting.forget_send_times(CANARY)

    assert (forgotten, again) == (1, 0)
    assert await deliveries.sent_since(address_key(CANARY), NOW) == []
    sent = await real_database["deliveries"].find_one({"_id": "k-sent"})
    assert "recipient" not in sent
    canary = await real_database["deliveries"].find_one({"_id": "k-canary"})
    assert canary["status"] == "abandoned"
    assert not mentions(canary, CANARY)
    assert await deliveries.due_deferred(NOW + timedelta(hours=1), 10) == ["k-other"]
    other = await real_database["deliveries"].find_one({"_id": "k-other"})
    assert OTHER in json.loads(other["pending"])["mail"]["to"]


# --- alerts: reports' subscription and notify's digest queue ---------------------------------


async def test_an_alert_subscriber_is_cancelled_and_its_waiting_request_dropped(
    real_database: Any,
) -> None:
    alerts = MongoAlertStore(real_database)
    request = AlertRequest(email=CANARY, district="mitte", category="road_damage")
    subscription = new_subscription(
        request, AlertArea(district="mitte"), DUISBURG, NOW, "alert-1", "link-token", new_data_key()
    )
    await alerts.add(subscription)
    store = MongoAlertContactStore(real_database)

    subscriber = await store.subscriber_of(token_hash("link-token"))
    assert subscriber == Subscriber("alert-1", DUISBURG.code)
    assert await store.subscriber_of(token_hash("another-token")) is None
    erasure = erase_alert_subscriber("alert-1", DUISBURG.code, NOW)
    assert await store.erase_subscriber("alert-1", erasure) is True
    assert await store.erase_subscriber("alert-1", erasure) is False

    document = await real_database["alert_subscriptions"].find_one({"_id": "alert-1"})
    assert not mentions(document, CANARY)
    assert not mentions(document, "link-token")
    loaded = await alerts.by_id("alert-1")
    assert loaded is not None
    assert loaded.status == "cancelled"
    assert [type(event).__name__ for _, event in loaded.pending_events] == ["ContactDataErased"]


async def test_a_subscriptions_queued_digest_is_forgotten_whatever_its_day(
    real_database: Any,
) -> None:
    queue = MongoDigestQueue(real_database)
    report = NewReport(
        id="R1",
        jurisdiction="duisburg",
        category=CategoryRef(code="road_damage", names={"de": "Straßenschaden"}),
        location=Location(lat=51.43, lon=6.76),
        address=None,
        department=DepartmentRef(id="wbd", name="WBD"),
        routed_at=NOW,
    )
    for subscription, day in (("alert-1", 6), ("alert-1", 7), ("alert-2", 7)):
        await queue.add(DigestItem(subscription, date(2026, 12, day), report))

    await queue.forget("alert-1")

    due = await queue.due(date(2026, 12, 8), 10)
    assert [item.subscription_id for item in due] == ["alert-2"]


async def test_send_times_erased_before_their_flush_are_never_written(real_database: Any) -> None:
    deliveries = MongoDeliveryLog(real_database)
    await deliveries.claim("k-late", NOW, NOW + timedelta(seconds=15))
    await deliveries.mark_sent("k-late", NOW, recipient=address_key(CANARY))

    await MongoWaitingMails(real_database, deliveries).forget_send_times(CANARY)
    await deliveries.flush_send_times()

    assert await real_database["send_times"].find_one({"_id": address_key(CANARY)}) is None
    assert await deliveries.sent_since(address_key(CANARY), NOW) == []
