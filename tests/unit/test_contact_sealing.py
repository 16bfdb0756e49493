"""How the services use sealed contact fields: reports seals under the subject's key before it
stores anything, notify opens them to write, and an erased key means no mail and no crash."""

from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry

from stadtmelder_notify.core.service import NotifyService
from stadtmelder_notify.delivery.domain import DeliveryPolicy
from stadtmelder_notify.links import MailLinks
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.domain import Submission
from stadtmelder_reports.core.service import ReportService
from stadtmelder_shared.contacts import Contacts
from stadtmelder_shared.data_keys import supporter_key_id
from stadtmelder_shared.events import (
    CategoryRef,
    DepartmentRef,
    Location,
    Reporter,
    ReportRouted,
    ReportSubmitted,
    ReportSupported,
)
from stadtmelder_shared.sealing import open_sealed
from tests.data_key_fakes import InMemoryDataKeys, SealingKit
from tests.fakes import (
    InMemoryDeliveryLog,
    InMemoryFollowerStore,
    InMemoryReportRepository,
    RecordingDeadLetters,
    RecordingMailer,
    RecordingPublisher,
)

ANNA = "anna-canary@example.org"
BEN = "ben-canary@example.org"
REPORT = "ABCDE-12345"
LIGHT = CategoryRef(code="street_light_out", names={"de": "Laterne", "en": "Street light"})
UNREADABLE = "stadtmelder_contact_unreadable_total"


class Notify:
    def __init__(self) -> None:
        self.kit = SealingKit()
        self.registry = CollectorRegistry()
        self.mailer = RecordingMailer()
        self.service = NotifyService(
            InMemoryDeliveryLog(),
            InMemoryFollowerStore(),
            self.mailer,
            RecordingPublisher(),
            MailLinks("https://melder.example", b"unit-test-link-secret-of-32-bytes!"),
            RecordingDeadLetters(),
            DeliveryPolicy(lease=timedelta(seconds=15), first_pause_s=0),
            wait_seconds=0,
            confirmation_wait_s=0,
            contacts=Contacts(self.kit.keys, self.registry),
        )

    def submitted(self) -> ReportSubmitted:
        return ReportSubmitted(
            report_id=REPORT,
            jurisdiction="duisburg",
            category=LIGHT,
            description="Laterne dunkel",
            location=None,
            address="Königstraße 40",
            language="en",
            reporter=self.kit.reporter(REPORT, Reporter(email=ANNA, language="en")),
            tracking_token=self.kit.tracking_token(REPORT, "private-token"),
        )

    def routed(self, submitted: ReportSubmitted) -> ReportRouted:
        return ReportRouted(
            report_id=REPORT,
            jurisdiction="duisburg",
            category=LIGHT,
            department=DepartmentRef(id="stadt-licht", name="Licht"),
            rule="category",
            caused_by=submitted.event_id,
            reporter=submitted.reporter,
        )

    def unreadable(self, purpose: str) -> float:
        labels = {"purpose": purpose, "reason": "erased"}
        return self.registry.get_sample_value(UNREADABLE, labels) or 0


async def test_notify_opens_the_address_and_the_tracking_link_for_the_confirmation() -> None:
    notify = Notify()

    await notify.service.notify_submitted(notify.submitted())

    [mail] = notify.mailer.sent
    assert mail.to == ANNA
    assert "https://melder.example/track/private-token?lang=en" in mail.text


async def test_an_erased_reporter_gets_no_mail_and_it_is_counted_not_retried() -> None:
    notify = Notify()
    submitted = notify.submitted()
    await notify.kit.keys.destroy(REPORT)

    await notify.service.notify_submitted(submitted)
    await notify.service.notify_routed(notify.routed(submitted))

    assert notify.mailer.sent == []
    assert notify.unreadable("reporter") == 2
    assert notify.unreadable("tracking_token") == 1


async def test_one_erased_supporter_stops_only_their_mails() -> None:
    notify = Notify()
    submitted = notify.submitted()
    await notify.service.notify_submitted(submitted)
    support = ReportSupported(
        report_id=REPORT,
        jurisdiction="duisburg",
        supporter=notify.kit.supporter(REPORT, Reporter(email=BEN)),
        supporter_count=1,
    )
    await notify.kit.keys.destroy(supporter_key_id(REPORT, BEN))

    assert await notify.service.notify_supported(support) == []
    await notify.service.notify_routed(notify.routed(submitted))

    assert [mail.to for mail in notify.mailer.sent] == [ANNA, ANNA]
    assert notify.unreadable("supporter") == 1


async def test_reports_seals_the_reporter_and_the_token_under_the_report_key() -> None:
    keys = InMemoryDataKeys()
    service = ReportService(
        InMemoryReportRepository(),
        load_jurisdiction(),
        clock=lambda: datetime.now(UTC),
        data_keys=keys,
    )
    contact = Reporter(email=ANNA, name="Anna Canary", phone="0203 555")

    new = await service.submit_report(
        Submission("street_light_out", "Dunkel", Location(lat=51.4325, lon=6.7652), contact=contact)
    )

    [(_, event)] = new.report.pending_events
    assert isinstance(event, ReportSubmitted)
    assert event.reporter is not None
    assert event.tracking_token is not None
    body = event.model_dump_json()
    for private in (ANNA, "Anna Canary", "0203 555", new.tracking_token):
        assert private not in body
    key = keys.keys[new.report.id]
    assert event.reporter.key_id == event.tracking_token.key_id == new.report.id
    assert open_sealed(key, event.tracking_token, "tracking_token") == new.tracking_token
    assert ANNA in open_sealed(key, event.reporter, "reporter")


async def test_each_supporter_is_sealed_under_a_key_of_their_own() -> None:
    keys, repository = InMemoryDataKeys(), InMemoryReportRepository()
    service = ReportService(
        repository, load_jurisdiction(), clock=lambda: datetime.now(UTC), data_keys=keys
    )
    new = await service.submit_report(
        Submission("street_light_out", "Dunkel", Location(lat=51.4325, lon=6.7652))
    )

    await service.support_report(new.report.id, Reporter(email=BEN, language="tr"))

    events = (await repository.get(new.report.id)).pending_events
    supported = [e for _, e in events if isinstance(e, ReportSupported)]
    [event] = supported
    assert event.supporter is not None
    assert event.supporter.key_id == supporter_key_id(new.report.id, BEN)
    assert BEN not in event.model_dump_json()
    assert BEN not in event.supporter.key_id
    opened = open_sealed(keys.keys[event.supporter.key_id], event.supporter, "supporter")
    assert Reporter.model_validate_json(opened) == Reporter(email=BEN, language="tr")
