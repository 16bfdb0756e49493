"""Supporters' double opt-in in notify: one confirmation request, then nothing until confirmed."""

from stadtmelder_shared.citizen_events import ReportSupported, SupporterConfirmed
from stadtmelder_shared.event_values import Reporter
from stadtmelder_shared.link_tokens import LinkPurpose, RecipientKeys, link_holder
from tests.fakes import InMemoryFollowerStore, RecordingMailer
from tests.unit.test_notify import KIT, SECRET, a_service, a_status_change, routed_event

REPORT = "ABCDE-12345"
# The keys notify makes its links with, and reports its SupporterConfirmed events.
KEYS = RecipientKeys.under(SECRET)


def supported(email: str, language: str = "tr", again: bool = False) -> ReportSupported:
    return ReportSupported(
        report_id=REPORT,
        jurisdiction="duisburg",
        supporter=KIT.supporter(REPORT, Reporter(email=email, language=language)),
        supporter_count=2,
        again=again,
    )


def confirmed(email: str) -> SupporterConfirmed:
    return SupporterConfirmed(
        report_id=REPORT,
        jurisdiction="duisburg",
        recipient_key=KEYS.of(REPORT, email),
    )


async def test_a_supporter_gets_only_the_confirmation_request_until_confirming() -> None:
    mailer, followers = RecordingMailer(), InMemoryFollowerStore(KEYS)
    service, _ = a_service(mailer, followers=followers)
    support = supported("ben@example.org")

    await service.notify_routed(routed_event("en"))
    await service.notify_supported(support)
    await service.notify_supported(support)  # redelivered: still one mail
    await service.notify_status_changed(a_status_change("in_progress", public_comment="Bestellt."))

    [_, request, progress] = mailer.sent
    assert (request.to, progress.to) == ("ben@example.org", "anna@example.org")
    assert request.subject == "ABCDE-12345 numaralı bildirim için lütfen adresinizi onaylayın"
    link = next(w for w in request.text.split() if "/api/v1/supporters/confirm/" in w)
    token = link.split("/confirm/")[1].split("?")[0]
    holder = link_holder(SECRET, LinkPurpose.SUPPORT, token)
    assert holder is not None
    assert holder.recipient == KEYS.of(REPORT, "ben@example.org")

    assert await service.notify_supporter_confirmed(confirmed("ben@example.org"))
    await service.notify_status_changed(a_status_change("resolved"))

    assert sorted(m.to for m in mailer.sent[3:]) == ["anna@example.org", "ben@example.org"]


async def test_an_address_never_confirmed_hears_nothing_but_its_requests() -> None:
    mailer, followers = RecordingMailer(), InMemoryFollowerStore(KEYS)
    service, _ = a_service(mailer, followers=followers)

    await service.notify_supported(supported("eve@example.org", "de"))
    await service.notify_supported(supported("eve@example.org", "de", again=True))
    await service.notify_status_changed(a_status_change("resolved"))

    assert [m.subject for m in mailer.sent] == [
        "Bitte bestätigen Sie Ihre Adresse für die Meldung ABCDE-12345"
    ] * 2


async def test_the_reporter_supporting_their_own_report_is_not_asked() -> None:
    mailer, followers = RecordingMailer(), InMemoryFollowerStore(KEYS)
    service, _ = a_service(mailer, followers=followers)
    await service.notify_routed(routed_event("en"))

    assert await service.notify_supported(supported("anna@example.org")) == []
    assert [m.to for m in mailer.sent] == ["anna@example.org"]
    assert not await service.notify_supporter_confirmed(confirmed("nobody@example.org"))


async def test_an_address_forgotten_unconfirmed_is_asked_again_when_it_supports_anew() -> None:
    mailer, followers = RecordingMailer(), InMemoryFollowerStore(KEYS)
    service, _ = a_service(mailer, followers=followers)
    await service.notify_supported(supported("eve@example.org", "de"))

    await followers.erase(REPORT, KEYS.of(REPORT, "eve@example.org"))  # 7 days later
    await service.notify_supported(supported("eve@example.org", "de"))  # a new support

    assert [m.to for m in mailer.sent] == ["eve@example.org"] * 2
