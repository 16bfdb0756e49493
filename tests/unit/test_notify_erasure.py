"""Notify forgets an erased person: no follower, no browser, no waiting mail, no more mail."""

from stadtmelder_notify.core.erasure import NotifyErasure
from stadtmelder_shared.events import ContactDataErased, PushSubscription, Reporter
from stadtmelder_shared.link_tokens import recipient_key
from tests.fakes import InMemoryChannelStore, InMemoryFollowerStore, RecordingMailer
from tests.unit.test_notify import a_service, a_status_change, routed_event

REPORT = "ABCDE-12345"
CANARY = "anna@example.org"


class WaitingMails:
    def __init__(self) -> None:
        self.forgotten: list[str] = []

    async def forget(self, recipient: str) -> int:
        self.forgotten.append(recipient)
        return 1


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

    await NotifyErasure(followers, InMemoryChannelStore(), waiting).erase(erased())
    await service.notify_status_changed(a_status_change("in_progress", public_comment="Läuft"))

    assert [mail.to for mail in mailer.sent] == [CANARY]
    assert await followers.of(REPORT) == []
    assert waiting.forgotten == [recipient_key(REPORT, CANARY)]


async def test_a_redelivered_event_naming_the_erased_reporter_adds_them_no_more() -> None:
    followers = InMemoryFollowerStore()
    await followers.add(REPORT, Reporter(email=CANARY))
    erasure = NotifyErasure(followers, InMemoryChannelStore(), WaitingMails())

    await erasure.erase(erased())
    await erasure.erase(erased())
    await followers.add(REPORT, Reporter(email=CANARY))

    assert await followers.of(REPORT) == []


async def test_the_reporters_browsers_are_forgotten_but_not_for_a_supporter() -> None:
    channels = InMemoryChannelStore()
    browser = PushSubscription(endpoint="https://push.example/1", p256dh="k", auth="a")
    await channels.subscribe(REPORT, browser, "de")
    erasure = NotifyErasure(InMemoryFollowerStore(), channels, WaitingMails())

    await erasure.erase(erased("supporter"))
    assert await channels.is_subscribed(REPORT, browser.endpoint)
    await erasure.erase(erased("reporter"))
    assert not await channels.is_subscribed(REPORT, browser.endpoint)
