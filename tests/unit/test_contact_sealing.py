"""How the services use sealed contact fields: reports seals under the subject's key before it
stores anything, notify opens them to write, and an erased key means no mail and no crash."""

from datetime import UTC, datetime

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.domain import Submission
from stadtmelder_reports.core.service import ReportService
from stadtmelder_shared.citizen_events import ReportSupported
from stadtmelder_shared.data_keys import supporter_key_id
from stadtmelder_shared.event_values import Location, Reporter
from stadtmelder_shared.report_events import ReportSubmitted
from stadtmelder_shared.sealing import open_sealed
from tests.data_key_fakes import InMemoryDataKeys
from tests.fakes import InMemoryReportRepository, recipient_key
from tests.unit.test_notify_delivery import ANNA, KIT, Notify, routed, submitted

BEN = "ben-canary@example.org"
# Keys are destroyed here: a report id of these tests' own, so the shared kit's other keys stay.
ERASED = "ERASE-00001"


async def test_notify_opens_the_address_and_the_tracking_link_for_the_confirmation() -> None:
    notify = Notify()

    await notify.service.notify_submitted(submitted())

    [mail] = notify.mailer.sent
    assert mail.to == ANNA
    assert "https://melder.example/track/private-token?lang=en" in mail.text


async def test_an_erased_reporter_gets_no_mail_and_it_is_counted_not_retried() -> None:
    notify = Notify()
    new, forwarded = submitted(report_id=ERASED), routed(ERASED)
    erased_before = KIT.erased("reporter"), KIT.erased("tracking_token")
    await KIT.keys.destroy(ERASED)

    await notify.service.notify_submitted(new)
    await notify.service.notify_routed(forwarded)

    assert notify.mailer.sent == []
    assert notify.dead_letters.parked == []
    assert KIT.erased("reporter") - erased_before[0] == 2
    assert KIT.erased("tracking_token") - erased_before[1] == 1


async def test_one_erased_supporter_stops_only_their_mails() -> None:
    notify = Notify()
    await notify.service.notify_submitted(submitted(report_id=ERASED))
    support = ReportSupported(
        report_id=ERASED,
        jurisdiction="duisburg",
        supporter=KIT.supporter(ERASED, Reporter(email=BEN)),
        supporter_count=1,
    )
    erased_before = KIT.erased("supporter")
    await KIT.keys.destroy(supporter_key_id(ERASED, recipient_key(ERASED, BEN)))

    assert await notify.service.notify_supported(support) == []
    await notify.service.notify_routed(routed(ERASED))

    assert [mail.to for mail in notify.mailer.sent] == [ANNA, ANNA]
    assert KIT.erased("supporter") - erased_before == 1


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
    assert event.supporter.key_id == supporter_key_id(
        new.report.id, recipient_key(new.report.id, BEN)
    )
    assert BEN not in event.model_dump_json()
    assert BEN not in event.supporter.key_id
    opened = open_sealed(keys.keys[event.supporter.key_id], event.supporter, "supporter")
    assert Reporter.model_validate_json(opened) == Reporter(email=BEN, language="tr")
