"""notify's side of area alerts: double opt-in, one mail per report, daily digests, handlers."""

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from faststream.kafka import KafkaBroker, KafkaMessage, TestKafkaBroker

from stadtmelder_notify.alerts.domain import SubmittedPart, load_districts
from stadtmelder_notify.alerts.handlers import register_alert_handlers
from stadtmelder_notify.alerts.service import AlertService
from stadtmelder_notify.delivery.domain import Mail
from stadtmelder_shared import topics
from stadtmelder_shared.alert_events import (
    AreaAlertCancelled,
    AreaAlertConfirmed,
    AreaAlertRequested,
)
from stadtmelder_shared.cloudevents import headers_for
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import CategoryRef, DepartmentRef, Location, Reporter
from stadtmelder_shared.report_events import ReportRouted, ReportSubmitted
from tests.alert_fakes import (
    InMemoryDigestQueue,
    InMemoryNewReportStore,
    InMemorySubscriptionStore,
)
from tests.data_key_fakes import SealingKit
from tests.examples import KOENIGSTRASSE
from tests.fakes import InMemoryDeliveryLog, RecordingDeadLetters, RecordingMailer

# Seals contact fields the way reports does; the service opens them with its keys.
KIT = SealingKit()

BASE = "https://melder.duisburg.example"
CENTRE = Location(lat=KOENIGSTRASSE[0], lon=KOENIGSTRASSE[1])
NEARBY = Location(lat=KOENIGSTRASSE[0] + 0.001, lon=KOENIGSTRASSE[1])  # ~110 m north
FAR_AWAY = Location(lat=51.4800, lon=6.7400)  # ~5.5 km north, in Hamborn
LIGHT = CategoryRef(
    code="street_light_out",
    names={"de": "Straßenlaterne dunkel", "en": "Street light out", "tr": "Sokak lambası yanmıyor"},
)
ROAD = CategoryRef(code="road_damage", names={"de": "Straßenschaden", "en": "Road damage"})
REPORTER = Reporter(email="melderin@example.org", name="Rita Reporter", phone="+49 203 555")
DESCRIPTION = "Vor dem Haus von Familie Yilmaz ist die Laterne dunkel."


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class System:
    def __init__(self) -> None:
        self.clock = Clock()
        self.subscriptions = InMemorySubscriptionStore()
        self.reports = InMemoryNewReportStore()
        self.digest_queue = InMemoryDigestQueue()
        self.deliveries = InMemoryDeliveryLog()
        self.mailer = RecordingMailer()
        self.dead_letters = RecordingDeadLetters()
        self.alerts = AlertService(
            self.subscriptions,
            self.reports,
            self.digest_queue,
            self.deliveries,
            self.mailer,
            load_districts(),
            BASE,
            clock=self.clock,
            wait_seconds=0,
            dead_letters=self.dead_letters,
            max_failures=3,
            contacts=KIT.contacts,
        )
        self.reports_made = 0

    def mails_to(self, address: str) -> list[Mail]:
        return [mail for mail in self.mailer.sent if mail.to == address]

    async def subscribe(
        self, address: str = "nachbarin@example.org", confirm: bool = True, **fields: Any
    ) -> AreaAlertRequested:
        request = a_request(address, occurred_at=self.clock.now, **fields)
        await self.alerts.on_requested(request)
        if confirm:
            await self.alerts.on_confirmed(confirmation(request, self.clock.now))
        return request

    async def new_report(self, location: Location = NEARBY, category: CategoryRef = LIGHT) -> str:
        self.reports_made += 1
        self.clock.now += timedelta(minutes=1)
        _, routed = report_events(
            f"RPT{self.reports_made:02d}-00000", location, category, self.clock.now
        )
        await self.alerts.on_routed(routed)
        return routed.report_id


def a_request(
    address: str,
    occurred_at: datetime,
    subscription_id: str | None = None,
    **fields: Any,
) -> AreaAlertRequested:
    number = abs(hash((address, occurred_at, json.dumps(fields, default=str)))) % 10**8
    subscription_id = subscription_id or f"alert-{number:08d}"
    email, token = KIT.alert(subscription_id, address, f"token-{number:08d}")
    values: dict[str, Any] = {
        "report_id": subscription_id,
        "jurisdiction": "duisburg",
        "occurred_at": occurred_at,
        "email": email,
        "language": "de",
        "centre": CENTRE,
        "radius_m": 500.0,
        "frequency": "immediately",
        "confirm_token_hash": "hash-of-the-token",
        "confirm_token": token,
    }
    values.update(fields)
    return AreaAlertRequested(**values)


def token_of(request: AreaAlertRequested) -> str:
    return KIT.opened(request.confirm_token, "alert_confirm_token")


def confirmation(request: AreaAlertRequested, at: datetime) -> AreaAlertConfirmed:
    return AreaAlertConfirmed(report_id=request.report_id, jurisdiction="duisburg", occurred_at=at)


def report_events(
    report_id: str,
    location: Location,
    category: CategoryRef = LIGHT,
    at: datetime = datetime(2026, 11, 27, 10, 0, tzinfo=UTC),
) -> tuple[ReportSubmitted, ReportRouted]:
    submitted = ReportSubmitted(
        occurred_at=at,
        report_id=report_id,
        jurisdiction="duisburg",
        category=category,
        description=DESCRIPTION,
        location=location,
        address="Königstraße 40",
        reporter=KIT.reporter(report_id, REPORTER),
        tracking_token=KIT.tracking_token(report_id, "private-tracking-token"),
    )
    routed = ReportRouted(
        report_id=report_id,
        jurisdiction="duisburg",
        category=category,
        department=DepartmentRef(id="stadt-licht", name="Stadt Duisburg – Straßenbeleuchtung"),
        rule="rule:street_light_out",
        caused_by=submitted.event_id,
        reporter=submitted.reporter,
        occurred_at=submitted.occurred_at + timedelta(seconds=2),
        location=submitted.location,
        address=submitted.address,
    )
    return submitted, routed


def link_in(mail: Mail, kind: str) -> str:
    match = re.search(rf"{re.escape(BASE)}/api/v1/alerts/{kind}/\S+", mail.text)
    assert match, mail.text
    return match.group(0)


# --- double opt-in ------------------------------------------------------------------------------


async def test_a_request_gets_one_confirmation_mail_with_its_link_however_often_it_arrives() -> (
    None
):
    system = System()
    request = a_request("nachbarin@example.org", system.clock.now)

    assert await system.alerts.on_requested(request) is True
    assert await system.alerts.on_requested(request) is False

    [mail] = system.mailer.sent
    assert mail.to == "nachbarin@example.org"
    assert mail.subject == "Bitte bestätigen Sie Ihre Benachrichtigung"
    assert link_in(mail, "confirm") == f"{BASE}/api/v1/alerts/confirm/{token_of(request)}"
    assert mail.html is not None
    assert f'href="{BASE}/api/v1/alerts/confirm/{token_of(request)}"' in mail.html
    assert "im Umkreis von 500 m" in mail.text
    assert mail.unsubscribe_url is None  # nothing to unsubscribe from yet


@pytest.mark.parametrize(
    ("language", "subject", "words"),
    [
        ("de", "Bitte bestätigen Sie Ihre Benachrichtigung", "Straßenlaterne dunkel"),
        ("en", "Please confirm your alert", "Street light out"),
        ("tr", "Lütfen bildirim aboneliğinizi onaylayın", "Sokak lambası yanmıyor"),
    ],
)
async def test_the_confirmation_mail_is_in_the_subscribers_language(
    language: str, subject: str, words: str
) -> None:
    system = System()
    await system.subscribe(
        confirm=False,
        language=language,
        category="street_light_out",
        category_names=LIGHT.names,
        centre=None,
        radius_m=None,
        district="district-500",
    )

    [mail] = system.mailer.sent
    assert mail.subject == subject
    assert words in mail.text
    assert "Mitte" in mail.text


async def test_an_unconfirmed_alert_gets_nothing_and_a_confirmed_one_gets_the_report() -> None:
    system = System()
    unconfirmed = await system.subscribe("zoegernd@example.org", confirm=False)
    await system.subscribe("bestaetigt@example.org")

    report_id = await system.new_report()

    assert len(system.mails_to("zoegernd@example.org")) == 1  # only the confirmation
    [_, alert] = system.mails_to("bestaetigt@example.org")
    assert alert.subject == "Neue Meldung in Ihrer Nähe: Straßenlaterne dunkel"
    assert f"{BASE}/reports/{report_id}?lang=de" in alert.text
    assert "Königstraße 40 (Mitte)" in alert.text
    assert "Stadt Duisburg – Straßenbeleuchtung" in alert.text
    assert system.subscriptions.subscriptions[unconfirmed.report_id].status == "requested"


async def test_an_alert_mail_tells_nothing_about_the_reporter() -> None:
    system = System()
    await system.subscribe()

    await system.new_report()

    alert = system.mailer.sent[-1]
    for private in (*REPORTER.model_dump(exclude={"language"}).values(), DESCRIPTION, "tracking"):
        assert str(private) not in alert.text
        assert str(private) not in (alert.html or "")


async def test_every_alert_mail_has_a_one_click_cancel_link() -> None:
    system = System()
    request = await system.subscribe()

    await system.new_report()

    alert = system.mailer.sent[-1]
    cancel = f"{BASE}/api/v1/alerts/cancel/{token_of(request)}"
    assert alert.unsubscribe_url == cancel
    assert link_in(alert, "cancel") == cancel
    assert f'href="{cancel}"' in (alert.html or "")


async def test_every_alert_mail_links_to_erasing_the_subscriber() -> None:
    system = System()
    request = await system.subscribe("taeglich@example.org", frequency="daily")
    await system.new_report()
    system.clock.now = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
    await system.alerts.send_due_digests()

    erase = f"{BASE}/api/v1/erasure/alert/{token_of(request)}?lang=de"
    confirmation, digest = system.mails_to("taeglich@example.org")
    for mail in (confirmation, digest):
        assert erase in mail.text
        assert f'href="{erase}"' in (mail.html or "")


async def test_a_report_is_mailed_once_however_often_its_events_arrive() -> None:
    system = System()
    await system.subscribe()
    _, routed = report_events("AGAIN-00001", NEARBY)
    system.clock.now = routed.occurred_at

    for _ in range(2):
        await system.alerts.on_routed(routed)

    assert len(system.mailer.sent) == 2  # confirmation and one alert


async def test_a_routed_event_of_an_older_routing_is_completed_by_its_stored_submission() -> None:
    system = System()
    await system.subscribe()
    submitted, routed = report_events("OLDER-00001", NEARBY)
    system.clock.now = routed.occurred_at
    # What an older notify stored of the submission; the older routing sent no place.
    system.reports.submitted[submitted.report_id] = SubmittedPart(
        submitted.report_id, "duisburg", LIGHT, NEARBY, None, submitted.occurred_at
    )
    older = routed.model_copy(update={"location": None, "address": None})

    assert await system.alerts.on_routed(older) == 1
    assert await system.alerts.on_routed(older.model_copy(update={"report_id": "NONE-00001"})) == 0


async def test_a_report_routed_before_notify_saw_the_confirmation_is_still_alerted() -> None:
    system = System()
    request = await system.subscribe(confirm=False)
    confirmed_at = system.clock.now

    await system.new_report()  # seen first, routed after the person confirmed
    await system.alerts.on_confirmed(confirmation(request, confirmed_at))

    assert [m.subject for m in system.mailer.sent][-1].startswith("Neue Meldung")
    assert len(system.mailer.sent) == 2


async def test_a_redelivered_confirmation_catches_up_without_sending_twice() -> None:
    system = System()
    request = await system.subscribe(confirm=False)
    confirmed_at = system.clock.now
    await system.new_report()

    for _ in range(2):
        await system.alerts.on_confirmed(confirmation(request, confirmed_at))

    assert len(system.mailer.sent) == 2


async def test_reports_outside_the_area_or_of_another_category_are_not_alerted() -> None:
    system = System()
    await system.subscribe(category="street_light_out", category_names=LIGHT.names)

    await system.new_report(location=FAR_AWAY)
    await system.new_report(category=ROAD)

    assert len(system.mailer.sent) == 1  # the confirmation only


async def test_a_cancelled_alert_gets_nothing_more_and_forgets_the_address() -> None:
    system = System()
    request = await system.subscribe()
    await system.new_report()

    await system.alerts.on_cancelled(
        AreaAlertCancelled(report_id=request.report_id, jurisdiction="duisburg")
    )
    await system.new_report()

    assert len(system.mailer.sent) == 2
    stored = system.subscriptions.subscriptions[request.report_id]
    assert (stored.status, stored.email, stored.token) == ("cancelled", None, None)


async def test_a_confirmation_after_cancelling_does_not_switch_the_alert_on_again() -> None:
    system = System()
    request = await system.subscribe(confirm=False)
    await system.alerts.on_cancelled(
        AreaAlertCancelled(report_id=request.report_id, jurisdiction="duisburg")
    )

    await system.alerts.on_confirmed(confirmation(request, system.clock.now))
    await system.new_report()

    assert system.subscriptions.subscriptions[request.report_id].status == "cancelled"
    assert len(system.mailer.sent) == 1


async def test_overlapping_alerts_of_one_person_send_one_mail_per_report() -> None:
    system = System()
    await system.subscribe(radius_m=300.0)
    await system.subscribe(radius_m=1000.0)

    await system.new_report()

    assert len(system.mailer.sent) == 3  # two confirmations, one alert


async def test_a_replayed_request_older_than_its_link_sends_no_confirmation() -> None:
    system = System()
    old = a_request("nachbarin@example.org", system.clock.now - timedelta(days=8))

    assert await system.alerts.on_requested(old) is False
    assert system.mailer.sent == []


async def test_a_failed_alert_mail_is_sent_once_when_the_event_comes_again() -> None:
    system = System()
    await system.subscribe()
    system.mailer.failures_left = 1
    _, routed = report_events("RETRY-00001", NEARBY)
    system.clock.now = routed.occurred_at

    with pytest.raises(ConnectionRefusedError):
        await system.alerts.on_routed(routed)
    await system.alerts.on_routed(routed)
    await system.alerts.on_routed(routed)

    assert len(system.mailer.sent) == 2


async def test_an_alert_mail_the_server_keeps_refusing_is_given_up_and_dead_lettered() -> None:
    system = System()
    await system.subscribe("weg@example.org")
    system.mailer.refused.add("weg@example.org")
    _, routed = report_events("REFUSED-0001", NEARBY)

    for _ in range(2):
        with pytest.raises(Exception, match="mailbox unavailable"):
            await system.alerts.on_routed(routed)
    assert await system.alerts.on_routed(routed) == 0  # the third failure: given up
    system.mailer.refused.clear()
    assert await system.alerts.on_routed(routed) == 0

    [(topic, event, reason)] = system.dead_letters.parked
    assert (topic, event) == (topics.REPORTS_ROUTED, routed)
    assert "gave up an area alert mail after 3 failed sends" in reason
    assert "weg@example.org" not in reason
    assert len(system.mailer.sent) == 1  # the confirmation only


# --- daily digests ------------------------------------------------------------------------------


async def test_daily_alerts_come_as_one_digest_the_next_morning_and_only_once() -> None:
    system = System()
    await system.subscribe("taeglich@example.org", frequency="daily", language="en")
    first = await system.new_report()
    second = await system.new_report()
    await system.new_report(location=FAR_AWAY)

    assert await system.alerts.send_due_digests() == 0  # the day is not over
    system.clock.now = datetime(2026, 11, 28, 5, 59, tzinfo=UTC)  # 06:59 in Duisburg
    assert await system.alerts.send_due_digests() == 0
    system.clock.now = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
    assert await system.alerts.send_due_digests() == 1
    assert await system.alerts.send_due_digests() == 0

    [_, digest] = system.mails_to("taeglich@example.org")
    assert digest.subject == "2 new reports on 2026-11-27"
    assert digest.text.index(first) < digest.text.index(second)
    assert digest.unsubscribe_url is not None
    assert system.digest_queue.items == {}


async def test_a_digest_is_never_sent_twice_even_when_its_reports_are_queued_again() -> None:
    system = System()
    await system.subscribe(frequency="daily")
    _, routed = report_events("DAILY-00001", NEARBY)
    system.clock.now = routed.occurred_at
    await system.alerts.on_routed(routed)
    system.clock.now = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)
    await system.alerts.send_due_digests()

    await system.alerts.on_routed(routed)  # a replayed topic queues the report again
    # A second replica that saw the same queue before the first removed it.
    assert await system.alerts.send_due_digests() == 0

    assert len(system.mailer.sent) == 2
    assert system.digest_queue.items == {}


async def test_a_digest_of_an_alert_cancelled_meanwhile_is_not_sent() -> None:
    system = System()
    request = await system.subscribe(frequency="daily")
    await system.new_report()
    await system.alerts.on_cancelled(
        AreaAlertCancelled(report_id=request.report_id, jurisdiction="duisburg")
    )

    system.clock.now = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)
    assert await system.alerts.send_due_digests() == 0

    assert len(system.mailer.sent) == 1
    assert system.digest_queue.items == {}


async def test_a_digest_that_fails_to_send_stays_queued_for_the_next_run() -> None:
    system = System()
    await system.subscribe(frequency="daily")
    await system.new_report()
    system.clock.now = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)
    system.mailer.failures_left = 1

    assert await system.alerts.send_due_digests() == 0
    assert len(system.digest_queue.items) == 1
    assert await system.alerts.send_due_digests() == 1

    assert len(system.mailer.sent) == 2


async def test_old_reports_and_requests_never_confirmed_are_forgotten() -> None:
    system = System()
    unconfirmed = await system.subscribe("vergessen@example.org", confirm=False)
    confirmed = await system.subscribe("bleibt@example.org")
    await system.new_report()

    system.clock.now += timedelta(days=8)
    await system.alerts.forget_old()

    assert set(system.subscriptions.subscriptions) == {confirmed.report_id}
    assert unconfirmed.report_id not in system.subscriptions.subscriptions
    assert system.reports.submitted == {}
    assert system.reports.routed == {}


# --- handlers -----------------------------------------------------------------------------------


class Wired:
    def __init__(self) -> None:
        self.system = System()
        self.broker = KafkaBroker()
        register_alert_handlers(self.broker, self.system.alerts, "notify-alerts")
        self.dead_letters: list[dict[str, str]] = []

        @self.broker.subscriber(topics.dead_letter(topics.AREA_ALERTS), group_id="spy")
        async def spy(message: KafkaMessage) -> None:
            self.dead_letters.append(dict(message.headers))


async def publish(broker: Any, topic: str, event: Event) -> None:
    await broker.publish(
        event.model_dump(mode="json"),
        topic,
        key=event.report_id.encode(),
        headers=headers_for(event, "/test"),
    )


async def test_the_handlers_take_a_subscription_from_request_to_alert_to_cancellation() -> None:
    wired = Wired()
    system = wired.system
    request = a_request("nachbarin@example.org", system.clock.now)
    submitted, routed = report_events("KAFKA-00001", NEARBY)
    later_submitted, later_routed = report_events("KAFKA-00002", NEARBY)
    system.clock.now = routed.occurred_at

    async with TestKafkaBroker(wired.broker) as broker:
        await publish(broker, topics.AREA_ALERTS, request)
        await publish(broker, topics.AREA_ALERTS, request)  # redelivered
        await publish(broker, topics.AREA_ALERTS, confirmation(request, submitted.occurred_at))
        await publish(broker, topics.REPORTS_SUBMITTED, submitted)
        await publish(broker, topics.REPORTS_ROUTED, routed)
        await publish(
            broker,
            topics.AREA_ALERTS,
            AreaAlertCancelled(report_id=request.report_id, jurisdiction="duisburg"),
        )
        await publish(broker, topics.REPORTS_SUBMITTED, later_submitted)
        await publish(broker, topics.REPORTS_ROUTED, later_routed)

    subjects = [mail.subject for mail in system.mailer.sent]
    assert subjects == [
        "Bitte bestätigen Sie Ihre Benachrichtigung",
        "Neue Meldung in Ihrer Nähe: Straßenlaterne dunkel",
    ]
    assert wired.dead_letters == []


async def test_an_unreadable_alert_event_is_dead_lettered_and_an_unknown_kind_skipped() -> None:
    wired = Wired()

    async with TestKafkaBroker(wired.broker) as broker:
        await broker.publish(
            {"report_id": "alert-x"},
            topics.AREA_ALERTS,
            headers={"ce_type": AreaAlertRequested_type()},
        )
        await broker.publish(
            {"report_id": "alert-y", "jurisdiction": "duisburg"},
            topics.AREA_ALERTS,
            headers={"ce_type": "org.stadtmelder.alert.renamed"},
        )

    [dead] = wired.dead_letters
    assert "confirm_token" in dead["dlq_reason"]
    assert wired.system.mailer.sent == []


def AreaAlertRequested_type() -> str:  # noqa: N802 (reads like the constant it returns)
    return AreaAlertRequested.type
