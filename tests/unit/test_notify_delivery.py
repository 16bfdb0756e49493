"""How notify delivers: each trigger once, preferences honoured, rate limits defer, failures
dead-letter, and no address ever reaches a log line."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker

from stadtmelder_notify.core.choices import FollowerChoices
from stadtmelder_notify.core.handlers import register_handlers
from stadtmelder_notify.core.service import NotifyService
from stadtmelder_notify.delivery.domain import DeliveryFailed, DeliveryPolicy
from stadtmelder_notify.delivery.repository import Claim
from stadtmelder_notify.links import MailLinks
from stadtmelder_shared import topics
from stadtmelder_shared.backoff import NO_PAUSE
from stadtmelder_shared.citizen_events import (
    CitizenNotified,
    NotificationPreferencesChanged,
    ReportSupported,
    SupporterConfirmed,
)
from stadtmelder_shared.cloudevents import headers_for
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Actor, CategoryRef, DepartmentRef, Language, Reporter
from stadtmelder_shared.report_events import (
    ReportOverdue,
    ReportRouted,
    ReportStatusChanged,
    ReportSubmitted,
)
from tests.data_key_fakes import SealingKit
from tests.fakes import (
    InMemoryDeliveryLog,
    InMemoryFollowerStore,
    RecordingDeadLetters,
    RecordingMailer,
    RecordingPublisher,
    recipient_key,
)

# Seals contact fields the way reports does; the service opens them with its keys.
KIT = SealingKit()

REPORT = "ABCDE-12345"
ANNA = "anna@example.org"
LIGHT = CategoryRef(code="street_light_out", names={"de": "Laterne", "en": "Street light"})
LIGHTS = DepartmentRef(id="stadt-licht", name="Straßenbeleuchtung")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class Notify:
    """The service with in-memory adapters, and what came out of it."""

    def __init__(self, confirmation_wait_s: float = 0, **policy: object) -> None:
        self.clock = Clock()
        self.mailer = RecordingMailer()
        self.deliveries = InMemoryDeliveryLog()
        self.followers = InMemoryFollowerStore()
        self.publisher = RecordingPublisher()
        self.dead_letters = RecordingDeadLetters()
        self.service = NotifyService(
            self.deliveries,
            self.followers,
            self.mailer,
            self.publisher,
            MailLinks("https://melder.example", b"unit-test-link-secret-of-32-bytes!"),
            self.dead_letters,
            DeliveryPolicy(**{"pause": NO_PAUSE, **policy}),  # type: ignore[arg-type]
            clock=self.clock,
            wait_seconds=0,
            confirmation_wait_s=confirmation_wait_s,
            contacts=KIT.contacts,
        )
        self.choices = FollowerChoices(self.followers)

    def subjects_to(self, address: str) -> list[str]:
        return [mail.subject for mail in self.mailer.sent if mail.to == address]


def submitted(
    address: str | None = ANNA, language: Language = "en", report_id: str = REPORT
) -> ReportSubmitted:
    return ReportSubmitted(
        report_id=report_id,
        jurisdiction="duisburg",
        category=LIGHT,
        description="Laterne dunkel",
        location=None,
        address="Königstraße 40",
        language=language,
        reporter=KIT.reporter(report_id, Reporter(email=address, language=language))
        if address
        else None,
        tracking_token=KIT.tracking_token(report_id, "private-token"),
    )


def routed(report_id: str = REPORT, language: Language = "en") -> ReportRouted:
    return ReportRouted(
        report_id=report_id,
        jurisdiction="duisburg",
        category=LIGHT,
        department=LIGHTS,
        rule="category",
        caused_by="submitted",
        reporter=KIT.reporter(report_id, Reporter(email=ANNA, language=language)),
    )


def changed(
    status: str, report_id: str = REPORT, comment: str | None = None
) -> ReportStatusChanged:
    return ReportStatusChanged(
        report_id=report_id,
        jurisdiction="duisburg",
        status=status,
        previous_status="routed",
        department=LIGHTS,
        actor=Actor(role="clerk"),
        public_comment=comment,
    )


def preferences(
    opted_out: bool | None = None, language: Language | None = None, address: str = ANNA
) -> NotificationPreferencesChanged:
    return NotificationPreferencesChanged(
        report_id=REPORT,
        jurisdiction="duisburg",
        recipient_key=recipient_key(REPORT, address),
        opted_out=opted_out,
        language=language,
    )


# --- triggers -------------------------------------------------------------------------------


async def test_a_submission_is_confirmed_once_with_the_tracking_link() -> None:
    notify = Notify()
    event = submitted()

    told = await notify.service.notify_submitted(event)
    await notify.service.notify_submitted(event)

    [mail] = notify.mailer.sent
    assert mail.subject == f"We have received your report {REPORT}"
    assert "https://melder.example/track/private-token?lang=en" in mail.text
    assert [n.notification for n in told] == ["submitted"]
    # The redelivery announces the sent mail again, under the same id (consumers drop repeats).
    assert notify.publisher.topics() == [topics.CITIZENS_NOTIFIED] * 2
    assert len({event.event_id for _, event in notify.publisher.published}) == 1


async def test_the_routed_mail_waits_for_the_confirmation_that_arrives_after_it() -> None:
    notify = Notify(confirmation_wait_s=5)
    routing = asyncio.create_task(notify.service.notify_routed(routed()))
    await asyncio.sleep(0.1)  # routing is in, submission still on its way
    assert notify.mailer.sent == []

    await notify.service.notify_submitted(submitted())
    await routing

    assert notify.subjects_to(ANNA) == [
        f"We have received your report {REPORT}",
        f"Your report {REPORT} has reached the responsible department",
    ]


async def test_the_routed_mail_goes_out_alone_when_no_confirmation_comes() -> None:
    notify = Notify(confirmation_wait_s=0.2)
    await notify.service.notify_routed(routed())
    assert notify.subjects_to(ANNA) == [
        f"Your report {REPORT} has reached the responsible department"
    ]


async def test_an_anonymous_submission_is_not_confirmed() -> None:
    notify = Notify()
    assert await notify.service.notify_submitted(submitted(address=None)) == []
    assert notify.mailer.sent == []


async def test_the_reporter_hears_every_step_in_their_language_exactly_once() -> None:
    notify = Notify()
    steps = [
        notify.service.notify_submitted(submitted(language="tr")),
        notify.service.notify_routed(routed(language="tr")),
        notify.service.notify_status_changed(changed("acknowledged")),
        notify.service.notify_status_changed(changed("in_progress")),
        notify.service.notify_status_changed(changed("resolved", comment="Repariert.")),
        notify.service.notify_status_changed(
            changed("reopened").model_copy(update={"actor": Actor(role="citizen")})
        ),
    ]
    for step in steps:
        await step

    assert notify.subjects_to(ANNA) == [
        f"{REPORT} numaralı bildiriminizi aldık",
        f"{REPORT} numaralı bildiriminiz sorumlu birime iletildi",
        f"{REPORT} numaralı bildiriminiz ele alınıyor",
        f"{REPORT} numaralı bildiriminiz çözüldü",
        f"{REPORT} numaralı bildiriminiz yeniden açıldı",
    ]
    assert notify.mailer.languages == ["tr"] * 5
    published = [event for _, event in notify.publisher.published]
    assert [e.notification for e in published if isinstance(e, CitizenNotified)] == [
        "submitted",
        "routed",
        "acknowledged",
        "resolved",
        "reopened",
    ]


async def test_confirmed_supporters_get_the_same_steps_as_the_reporter() -> None:
    notify = Notify()
    await notify.service.notify_submitted(submitted())
    await notify.service.notify_supported(
        ReportSupported(
            report_id=REPORT,
            jurisdiction="duisburg",
            supporter=KIT.supporter(REPORT, Reporter(email="ben@example.org", language="de")),
            supporter_count=1,
        )
    )
    await notify.service.notify_supporter_confirmed(confirmed("ben@example.org"))

    await notify.service.notify_status_changed(changed("resolved"))

    assert notify.subjects_to("ben@example.org") == [
        f"Bitte bestätigen Sie Ihre Adresse für die Meldung {REPORT}",
        f"Ihre Meldung {REPORT} ist erledigt",
    ]
    resolved = notify.mailer.sent[-1]
    assert "/api/v1/feedback/" in resolved.text


# --- preferences ----------------------------------------------------------------------------


async def test_an_opted_out_recipient_gets_no_more_mail_about_that_report_only() -> None:
    notify = Notify()
    await notify.service.notify_submitted(submitted())
    await notify.service.notify_submitted(submitted(report_id="OTHER-00001"))

    assert await notify.choices.change_preferences(preferences(opted_out=True)) is True
    await notify.service.notify_routed(routed())
    await notify.service.notify_status_changed(changed("acknowledged"))
    await notify.service.notify_routed(routed(report_id="OTHER-00001"))

    assert [(m.subject, m.text.count(REPORT) > 0) for m in notify.mailer.sent] == [
        (f"We have received your report {REPORT}", True),
        ("We have received your report OTHER-00001", False),
        ("Your report OTHER-00001 has reached the responsible department", False),
    ]


async def test_a_recipient_can_change_the_language_of_a_reports_mail() -> None:
    notify = Notify()
    await notify.service.notify_submitted(submitted(language="en"))

    await notify.choices.change_preferences(preferences(language="tr"))
    await notify.service.notify_routed(routed(language="en"))

    assert (
        notify.mailer.sent[-1].subject == f"{REPORT} numaralı bildiriminiz sorumlu birime iletildi"
    )
    assert notify.mailer.languages[-1] == "tr"


async def test_preferences_for_an_unknown_recipient_change_nothing() -> None:
    notify = Notify()
    await notify.service.notify_submitted(submitted())

    changed_anything = await notify.choices.change_preferences(
        preferences(opted_out=True, address="mallory@example.org")
    )

    assert changed_anything is False
    await notify.service.notify_routed(routed())
    assert len(notify.mailer.sent) == 2


# --- rate limits ----------------------------------------------------------------------------


async def test_over_the_hourly_limit_a_mail_waits_and_goes_when_there_is_room() -> None:
    notify = Notify(mails_per_window=2)
    await notify.service.notify_submitted(submitted())
    notify.clock.now += timedelta(minutes=10)
    await notify.service.notify_routed(routed())
    notify.clock.now += timedelta(minutes=10)

    told = await notify.service.notify_status_changed(changed("acknowledged"))

    assert told == []  # deferred, not dropped, and the event is acknowledged
    assert len(notify.mailer.sent) == 2
    # A redelivered event leaves it to the deferred sender.
    assert await notify.service.notify_status_changed(changed("acknowledged")) == []
    assert await notify.service.send_deferred() == 0  # the first mail is not an hour old

    notify.clock.now += timedelta(minutes=41)  # 61 minutes after the first mail
    assert await notify.service.send_deferred() == 1
    assert notify.mailer.sent[-1].subject == f"Your report {REPORT} is being handled"
    assert notify.publisher.topics() == [topics.CITIZENS_NOTIFIED] * 3
    assert await notify.service.send_deferred() == 0
    assert len(notify.mailer.sent) == 3


async def test_the_limit_is_per_person_across_reports_and_others_are_not_held_up() -> None:
    notify = Notify(mails_per_window=1)
    await notify.service.notify_submitted(submitted(report_id="FIRST-00001"))

    await notify.service.notify_submitted(submitted(report_id="SECOND-0001"))
    await notify.service.notify_submitted(submitted(address="ben@example.org"))

    assert [m.to for m in notify.mailer.sent] == [ANNA, "ben@example.org"]


async def test_a_deferred_mail_is_not_sent_after_its_recipient_opted_out() -> None:
    notify = Notify(mails_per_window=1)
    await notify.service.notify_submitted(submitted())
    await notify.service.notify_routed(routed())  # deferred
    await notify.choices.change_preferences(preferences(opted_out=True))

    notify.clock.now += timedelta(hours=2)
    assert await notify.service.send_deferred() == 0
    assert len(notify.mailer.sent) == 1


async def test_staff_escalations_are_neither_rate_limited_nor_citizen_history() -> None:
    notify = Notify(mails_per_window=1)
    for day in range(3):
        await notify.service.notify_overdue(
            ReportOverdue(
                report_id=f"LATE{day}-00000",
                jurisdiction="duisburg",
                department=LIGHTS,
                due_at=datetime(2026, 11, 26, tzinfo=UTC),
                escalated_to="lead@example.org",
            )
        )

    assert len(notify.mailer.sent) == 3
    assert notify.publisher.published == []


# --- failures -------------------------------------------------------------------------------


async def test_a_failing_recipient_does_not_keep_the_others_from_their_mail() -> None:
    notify = Notify()
    await notify.service.notify_submitted(submitted())
    await notify.followers.add(REPORT, Reporter(email="ben@example.org"))
    notify.mailer.refused.add(ANNA)

    with pytest.raises(DeliveryFailed) as failed:
        await notify.service.notify_routed(routed())

    assert ANNA not in str(failed.value)
    assert "SMTPRecipientRefused 550" in str(failed.value)
    assert notify.subjects_to("ben@example.org") == [
        f"Ihre Meldung {REPORT} ist bei der zuständigen Stelle"
    ]


async def test_a_mail_that_keeps_failing_is_dead_lettered_with_the_reason_and_acknowledged() -> (
    None
):
    notify = Notify(max_failures=3)
    await notify.service.notify_submitted(submitted())
    notify.mailer.refused.add(ANNA)
    event = routed()

    for _ in range(2):
        with pytest.raises(DeliveryFailed):
            await notify.service.notify_routed(event)
    assert await notify.service.notify_routed(event) == []  # given up: acknowledged
    assert await notify.service.notify_routed(event) == []  # and not parked twice

    [(topic, parked, reason)] = notify.dead_letters.parked
    assert topic == topics.REPORTS_ROUTED
    assert parked == event
    assert reason == "SMTPRecipientRefused 550; gave up after 3 failed sends"
    assert ANNA not in reason
    statuses = {key: d.status for key, d in notify.deliveries.deliveries.items()}
    assert sorted(statuses.values()) == ["abandoned", "sent"]
    claim = await notify.deliveries.claim(
        next(k for k, s in statuses.items() if s == "abandoned"), notify.clock.now, notify.clock.now
    )
    assert claim is Claim.ABANDONED


async def test_a_deferred_mail_that_fails_waits_longer_and_is_dead_lettered_in_the_end() -> None:
    notify = Notify(mails_per_window=1, max_failures=2)
    await notify.service.notify_submitted(submitted())
    await notify.service.notify_routed(routed())  # deferred
    notify.mailer.refused.add(ANNA)

    notify.clock.now += timedelta(hours=1, seconds=1)
    assert await notify.service.send_deferred() == 0  # failed once: back in the queue
    assert await notify.service.send_deferred() == 0  # not due yet
    notify.clock.now += timedelta(minutes=2)
    assert await notify.service.send_deferred() == 0  # failed twice: given up

    [(topic, _, reason)] = notify.dead_letters.parked
    assert topic == topics.REPORTS_ROUTED
    assert reason.startswith("SMTPRecipientRefused 550")


# --- privacy in logs ------------------------------------------------------------------------


async def test_no_address_reaches_the_logs_even_when_sending_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    notify = Notify(mails_per_window=2, max_failures=2)
    broker = KafkaBroker()
    register_handlers(broker, notify.service, notify.choices, "notify")
    notify.mailer.refused.add("cem@example.org")
    caplog.set_level(logging.DEBUG)

    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(submitted().model_dump(mode="json"), topics.REPORTS_SUBMITTED)
        support = ReportSupported(
            report_id=REPORT,
            jurisdiction="duisburg",
            supporter=KIT.supporter(REPORT, Reporter(email="cem@example.org", name="Cem Yılmaz")),
            supporter_count=1,
        )
        # The test broker hands the consumer's error back instead of redelivering.
        with pytest.raises(DeliveryFailed):
            await publish(test_broker, support, topics.REPORTS_SUPPORTED)
        # The second failure dead-letters Cem's confirmation request; Cem confirmed anyway.
        await publish(test_broker, support, topics.REPORTS_SUPPORTED)
        await publish(test_broker, confirmed("cem@example.org"), topics.REPORTS_SUPPORTED)
        with pytest.raises(DeliveryFailed):
            await test_broker.publish(routed().model_dump(mode="json"), topics.REPORTS_ROUTED)
        with pytest.raises(DeliveryFailed):  # Anna's mail waits for her limit, Cem's fails
            await test_broker.publish(
                changed("acknowledged").model_dump(mode="json"), topics.REPORTS_STATUS_CHANGED
            )
        await test_broker.publish(
            preferences(opted_out=True).model_dump(mode="json"), topics.NOTIFICATION_PREFERENCES
        )
    notify.clock.now += timedelta(hours=2)
    await notify.service.send_deferred()

    # The run sent, deferred (the third mail to Anna, dropped after her opt-out), failed and
    # dead-lettered.
    assert len(notify.subjects_to(ANNA)) == 2
    assert "opted out" in [delivery.last_error for delivery in _deliveries(notify)]
    assert len(notify.dead_letters.parked) == 1
    logged = caplog.text + "".join(str(vars(record)) for record in caplog.records)
    for expected in ("a mail failed", "gave up a mail", "waits for the recipient's rate limit"):
        assert expected in logged
    for personal in (ANNA, "cem@example.org", "Cem Yılmaz", "private-token"):
        assert personal not in logged


def confirmed(address: str) -> SupporterConfirmed:
    key = recipient_key(REPORT, address)
    return SupporterConfirmed(report_id=REPORT, jurisdiction="duisburg", recipient_key=key)


async def publish(broker: KafkaBroker, event: Event, topic: str) -> None:
    """As the reports' relay publishes: its topic carries two kinds, told apart by `ce_type`."""
    await broker.publish(event.model_dump(mode="json"), topic, headers=headers_for(event, "/t"))


def _deliveries(notify: Notify) -> list[Any]:
    return list(notify.deliveries.deliveries.values())
