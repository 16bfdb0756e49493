"""Notify forgets an erased person: no follower, no browser, no waiting mail, no more mail."""

from datetime import UTC, datetime

from stadtmelder_notify.alerts.domain import DigestItem, NewReport, Subscription
from stadtmelder_notify.core.erasure import NotifyErasure
from stadtmelder_shared.alert_areas import AlertArea
from stadtmelder_shared.citizen_events import ContactDataErased
from stadtmelder_shared.event_values import (
    CategoryRef,
    DepartmentRef,
    Location,
    PushSubscription,
    Reporter,
)
from tests.alert_fakes import InMemoryDigestQueue, InMemorySubscriptionStore
from tests.fakes import InMemoryChannelStore, InMemoryFollowerStore, RecordingMailer, recipient_key
from tests.unit.test_notify import a_service, a_status_change, routed_event

REPORT = "ABCDE-12345"
CANARY = "anna@example.org"
WHEN = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


class WaitingMails:
    def __init__(self) -> None:
        self.forgotten: list[str] = []
        self.send_times_forgotten: list[str] = []

    async def forget(self, recipient: str) -> int:
        self.forgotten.append(recipient)
        return 1

    async def forget_send_times(self, address: str) -> None:
        self.send_times_forgotten.append(address)


def an_erasure(
    followers: InMemoryFollowerStore | None = None,
    channels: InMemoryChannelStore | None = None,
    waiting: WaitingMails | None = None,
    subscriptions: InMemorySubscriptionStore | None = None,
    digests: InMemoryDigestQueue | None = None,
) -> NotifyErasure:
    return NotifyErasure(
        followers or InMemoryFollowerStore(),
        channels or InMemoryChannelStore(),
        waiting or WaitingMails(),
        subscriptions or InMemorySubscriptionStore(),
        digests or InMemoryDigestQueue(),
    )


def erased(subject: str = "reporter") -> ContactDataErased:
    return ContactDataErased(
        report_id=REPORT,
        jurisdiction="duisburg",
        subject=subject,
        recipient_key=recipient_key(REPORT, CANARY),
    )


async def test_after_erasure_a_later_staff_step_sends_no_mail_to_the_address() -> None:
    mailer = RecordingMailer()
    followers = InMemoryFollowerStore()
    service, _ = a_service(mailer, followers=followers)
    await service.notify_routed(routed_event())
    assert [mail.to for mail in mailer.sent] == [CANARY]
    waiting = WaitingMails()

    await an_erasure(followers, waiting=waiting).erase(erased())
    await service.notify_status_changed(a_status_change("in_progress", public_comment="Läuft"))

    assert [mail.to for mail in mailer.sent] == [CANARY]
    assert await followers.of(REPORT) == []
    assert waiting.forgotten == [recipient_key(REPORT, CANARY)]
    assert waiting.send_times_forgotten == [CANARY]


async def test_a_redelivered_event_naming_the_erased_reporter_adds_them_no_more() -> None:
    followers = InMemoryFollowerStore()
    await followers.add(REPORT, Reporter(email=CANARY))
    erasure = an_erasure(followers)

    await erasure.erase(erased())
    await erasure.erase(erased())
    await followers.add(REPORT, Reporter(email=CANARY))

    assert await followers.of(REPORT) == []


async def test_the_reporters_browsers_are_forgotten_but_not_for_a_supporter() -> None:
    channels = InMemoryChannelStore()
    browser = PushSubscription(endpoint="https://push.example/1", p256dh="k", auth="a")
    await channels.subscribe(REPORT, browser, "de")
    erasure = an_erasure(channels=channels)

    await erasure.erase(erased("supporter"))
    assert await channels.is_subscribed(REPORT, browser.endpoint)
    await erasure.erase(erased("reporter"))
    assert not await channels.is_subscribed(REPORT, browser.endpoint)


async def test_an_alert_subscriber_is_cancelled_with_address_token_and_queued_digest() -> None:
    subscriptions, digests = InMemorySubscriptionStore(), InMemoryDigestQueue()
    subscription = Subscription(
        id="alert-1",
        jurisdiction="duisburg",
        status="confirmed",
        language="de",
        area=AlertArea(district="mitte"),
        category=None,
        frequency="daily",
        requested_at=WHEN,
        email=CANARY,
        token="alert-link-token",
        confirmed_at=WHEN,
    )
    await subscriptions.add(subscription)
    report = NewReport(
        id=REPORT,
        jurisdiction="duisburg",
        category=CategoryRef(code="road_damage", names={"de": "Straßenschaden"}),
        location=Location(lat=51.43, lon=6.76),
        address=None,
        department=DepartmentRef(id="wbd", name="WBD"),
        routed_at=WHEN,
    )
    await digests.add(DigestItem(subscription.id, WHEN.date(), report))
    erasure = an_erasure(subscriptions=subscriptions, digests=digests)
    event = ContactDataErased(
        report_id=subscription.id, jurisdiction="duisburg", subject="alert_subscriber"
    )

    await erasure.erase(event)
    await erasure.erase(event)

    stored = subscriptions.subscriptions[subscription.id]
    assert (stored.status, stored.email, stored.token) == ("cancelled", None, None)
    assert digests.items == {}
