from datetime import UTC, datetime, timedelta

import pytest

from stadtmelder_notify.core.domain import routed_mail
from stadtmelder_notify.core.service import NotifyService
from stadtmelder_notify.delivery.domain import DeliveryFailed, DeliveryPolicy, delivery_key
from stadtmelder_notify.delivery.repository import Claim
from stadtmelder_notify.links import MailLinks
from stadtmelder_shared import topics
from stadtmelder_shared.backoff import NO_PAUSE
from stadtmelder_shared.citizen_events import ReportSupported
from stadtmelder_shared.event_values import Actor, CategoryRef, DepartmentRef, Reporter
from stadtmelder_shared.report_events import ReportOverdue, ReportRouted, ReportStatusChanged
from tests.data_key_fakes import SealingKit
from tests.fakes import (
    InMemoryDeliveryLog,
    InMemoryFollowerStore,
    RecordingDeadLetters,
    RecordingMailer,
    RecordingPublisher,
)

# Seals contact fields the way reports does; the service opens them with its keys.
KIT = SealingKit()

EVENT_ID = "7b0c8f3e-1111-4c1e-9a53-6f2b5d3c9a10"
SECRET = b"unit-test-link-secret-of-32-bytes!"


def routed_event(language: str = "de", email: str | None = "anna@example.org") -> ReportRouted:
    return ReportRouted(
        event_id=EVENT_ID,
        report_id="ABCDE-12345",
        jurisdiction="duisburg",
        category=CategoryRef(
            code="street_light", names={"de": "Straßenlaterne defekt", "en": "Street light out"}
        ),
        department=DepartmentRef(id="stadt-licht", name="Stadt Duisburg – Straßenbeleuchtung"),
        rule="category:street_light",
        caused_by="submitted-1",
        reporter=KIT.reporter("ABCDE-12345", Reporter(email=email, language=language))
        if email
        else None,
    )


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def a_service(
    mailer: RecordingMailer,
    deliveries: InMemoryDeliveryLog | None = None,
    clock: Clock | None = None,
    followers: InMemoryFollowerStore | None = None,
) -> tuple[NotifyService, RecordingPublisher]:
    publisher = RecordingPublisher()
    service = NotifyService(
        deliveries or InMemoryDeliveryLog(),
        followers or InMemoryFollowerStore(),
        mailer,
        publisher,
        MailLinks("https://melder.duisburg.example", SECRET),
        RecordingDeadLetters(),
        DeliveryPolicy(lease=timedelta(seconds=15), pause=NO_PAUSE),
        clock=clock or Clock(),
        wait_seconds=0,
        confirmation_wait_s=0,
        contacts=KIT.contacts,
    )
    return service, publisher


def test_routed_mail_is_german_by_default_and_names_department_and_link() -> None:
    mail = routed_mail(
        routed_event(), "anna@example.org", "de", MailLinks("https://m.example/", SECRET), UTC
    )

    assert mail.subject == "Ihre Meldung ABCDE-12345 ist bei der zuständigen Stelle"
    assert "Straßenlaterne defekt" in mail.text
    assert "Stadt Duisburg – Straßenbeleuchtung" in mail.text
    assert "https://m.example/reports/ABCDE-12345?lang=de" in mail.text


def test_routed_mail_in_english_on_request() -> None:
    mail = routed_mail(
        routed_event("en"), "anna@example.org", "en", MailLinks("https://m.example", SECRET), UTC
    )
    assert mail.subject.startswith("Your report ABCDE-12345")
    assert "Street light out" in mail.text


async def test_reporter_is_mailed_once_even_when_the_event_comes_twice() -> None:
    mailer = RecordingMailer()
    service, publisher = a_service(mailer)

    assert len(await service.notify_routed(routed_event("en"))) == 1
    assert await service.notify_routed(routed_event("en")) == []

    [mail] = mailer.sent
    assert mail.to == "anna@example.org"
    # The redelivery announces the sent mail again, under the same id (consumers drop repeats).
    assert publisher.topics() == [topics.CITIZENS_NOTIFIED] * 2
    assert len({event.event_id for _, event in publisher.published}) == 1


async def test_anonymous_report_sends_nothing() -> None:
    mailer = RecordingMailer()
    service, _ = a_service(mailer)
    assert await service.notify_routed(routed_event(email=None)) == []
    assert mailer.sent == []


async def test_failed_send_is_retried_on_redelivery_and_then_sent_once() -> None:
    mailer = RecordingMailer(failures_left=1)
    service, _ = a_service(mailer)

    with pytest.raises(DeliveryFailed):
        await service.notify_routed(routed_event())
    await service.notify_routed(routed_event())
    await service.notify_routed(routed_event())

    assert len(mailer.sent) == 1


async def test_a_crashed_senders_claim_is_taken_over_after_its_lease() -> None:
    deliveries, clock = InMemoryDeliveryLog(), Clock()
    key = delivery_key(EVENT_ID, "anna@example.org", "email")
    # Another replica claimed the delivery and died before sending.
    assert (
        await deliveries.claim(key, clock.now, clock.now + timedelta(seconds=15)) is Claim.CLAIMED
    )
    clock.now += timedelta(seconds=16)

    mailer = RecordingMailer()
    survivor, _ = a_service(mailer, deliveries, clock)
    await survivor.notify_routed(routed_event())

    assert len(mailer.sent) == 1
    assert deliveries.deliveries[key].status == "sent"


def test_delivery_key_does_not_contain_the_address() -> None:
    key = delivery_key(EVENT_ID, "Anna@Example.org", "email")
    assert "anna" not in key.lower()
    assert key == delivery_key(EVENT_ID, "anna@example.org", "email")


async def test_anonymous_support_sends_nothing() -> None:
    mailer = RecordingMailer()
    service, _ = a_service(mailer)
    support = ReportSupported(report_id="R", jurisdiction="duisburg", supporter_count=1)
    assert await service.notify_supported(support) == []
    assert mailer.sent == []


def a_status_change(status: str, **changes: object) -> ReportStatusChanged:
    values: dict[str, object] = {
        "report_id": "ABCDE-12345",
        "jurisdiction": "duisburg",
        "status": status,
        "previous_status": "routed",
        "department": DepartmentRef(id="stadt-licht", name="Straßenbeleuchtung"),
        "actor": Actor(role="clerk", department_id="stadt-licht"),
    }
    values.update(changes)
    return ReportStatusChanged(**values)


async def test_reporter_and_supporters_hear_each_public_step_in_their_language() -> None:
    mailer, followers = RecordingMailer(), InMemoryFollowerStore()
    service, _ = a_service(mailer, followers=followers)
    await service.notify_routed(routed_event("en"))
    await followers.add("ABCDE-12345", Reporter(email="cem@example.org", language="tr"))

    resolved = a_status_change("resolved", public_comment="Leuchtmittel getauscht.")
    await service.notify_status_changed(resolved)
    await service.notify_status_changed(resolved)

    [anna, cem] = mailer.sent[1:]
    assert (anna.to, anna.subject) == (
        "anna@example.org",
        "Your report ABCDE-12345 has been resolved",
    )
    assert "Leuchtmittel getauscht." in anna.text
    assert cem.subject == "ABCDE-12345 numaralı bildiriminiz çözüldü"


async def test_duplicate_and_forward_name_the_other_report_and_department() -> None:
    mailer, followers = RecordingMailer(), InMemoryFollowerStore()
    await followers.add("ABCDE-12345", Reporter(email="anna@example.org"))
    service, _ = a_service(mailer, followers=followers)

    await service.notify_status_changed(a_status_change("duplicate", duplicate_of="ZZZZZ-00001"))
    await service.notify_status_changed(
        a_status_change(
            "forwarded", forwarded_to=DepartmentRef(id="wbd-strasse", name="Straßen und Gehwege")
        )
    )

    assert "ZZZZZ-00001" in mailer.sent[0].text
    assert "Straßen und Gehwege" in mailer.sent[1].text


async def test_overdue_work_is_escalated_to_the_department_lead_once() -> None:
    mailer = RecordingMailer()
    service, _ = a_service(mailer)
    overdue = ReportOverdue(
        report_id="ABCDE-12345",
        jurisdiction="duisburg",
        department=DepartmentRef(id="stadt-licht", name="Straßenbeleuchtung"),
        due_at=datetime(2026, 11, 26, 9, 0, tzinfo=UTC),
        escalated_to="licht-leitung@example.org",
    )

    await service.notify_overdue(overdue)
    await service.notify_overdue(overdue)

    [mail] = mailer.sent
    assert mail.to == "licht-leitung@example.org"
    assert mail.subject.startswith("Überfällig: Meldung ABCDE-12345")
