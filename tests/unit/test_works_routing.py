"""Routing marks a report placed inside current or planned works with them: from the works
reports announces on `works.changed` (its register's events, consumed through routing's handler)
to the department's work item and mail, and back to the report, its JSON view and Open311."""

from datetime import UTC, date, datetime, timedelta

from faststream.kafka import KafkaBroker, TestKafkaBroker

from stadtmelder_reports.core.domain import Submission
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.http.schemas import public_view
from stadtmelder_reports.open311 import schemas as open311
from stadtmelder_reports.works.commands import EXAMPLE_FILE
from stadtmelder_reports.works.importing import read_works_file
from stadtmelder_reports.works.service import WorksRegister
from stadtmelder_routing.handlers import register_handlers
from stadtmelder_routing.known_works import REREAD_SECONDS, KnownWorks
from stadtmelder_routing.sending.mailbox import work_order_text
from stadtmelder_routing.service import RoutingService
from stadtmelder_shared import topics
from stadtmelder_shared.event_values import Location, WorksRef
from stadtmelder_shared.report_events import ReportRouted
from stadtmelder_shared.work_item_events import WorkItemQueued
from stadtmelder_shared.works import WorksChanged
from tests.data_key_fakes import InMemoryDataKeys
from tests.examples import valid_answers
from tests.fakes import InMemoryReportRepository, RecordingPublisher
from tests.unit.test_feedback import DIRECTORY, DUISBURG
from tests.unit.test_routing import a_service, a_submission
from tests.unit.test_web_pages import LIGHTS, Site, signed_in_clerk
from tests.unit.test_web_pages import routed_from_the_form as a_report_from_the_form
from tests.unit.test_web_pages import site as site  # the fixture, for the staff page
from tests.works_fakes import InMemoryWorksCopy, InMemoryWorksStore

# The example's Kanalsanierung Königstraße runs 02.11.2026 to 12.03.2027.
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
INSIDE = Location(lat=51.4344, lon=6.7625)
OUTSIDE = Location(lat=51.4325, lon=6.7652)
RUHRORT_PLANNED = Location(lat=51.4540, lon=6.7315)
HOCHFELD_PAST = Location(lat=51.4157, lon=6.7565)


async def announced_examples() -> list[WorksChanged]:
    """What reports' register announces after importing the example file."""
    kafka = RecordingPublisher()
    store = InMemoryWorksStore()
    register = WorksRegister(store, clock=lambda: NOW)
    await register.import_works(read_works_file(EXAMPLE_FILE))
    for stored in await store.all():
        kafka.published.append(
            (topics.WORKS_CHANGED, stored.works.changed(stored.revision, "duisburg", NOW))
        )
    return [e for _, e in kafka.published if isinstance(e, WorksChanged)]


async def routing_knowing_the_examples(publisher: RecordingPublisher) -> RoutingService:
    service = a_service(publisher)
    service.works = KnownWorks(InMemoryWorksCopy())
    for event in await announced_examples():
        await service.works.take(event)
    return service


async def test_a_report_inside_current_works_is_routed_with_them_and_its_work_item_names_them() -> (
    None
):
    publisher = RecordingPublisher()
    service = await routing_knowing_the_examples(publisher)
    submission = a_submission("road_damage", INSIDE).model_copy(update={"occurred_at": NOW})

    routed = await service.route_report(submission)

    assert isinstance(routed, ReportRouted)
    (works,) = routed.works
    assert (works.id, works.title, works.operator) == (
        "example-kanal-koenigstrasse",
        "Beispiel: Kanalsanierung Königstraße",
        "Beispielfirma Tiefbau GmbH",
    )
    assert (works.starts_on, works.ends_on) == (date(2026, 11, 2), date(2027, 3, 12))
    (item,) = [e for _, e in publisher.published if isinstance(e, WorkItemQueued)]
    assert item.works == routed.works
    mail = work_order_text(item, "https://melder.example/staff/reports/ABCDE-12345")
    assert (
        "Liegt in der Baustelle „Beispiel: Kanalsanierung Königstraße“ "
        "(Beispielfirma Tiefbau GmbH), 02.11.2026 bis 12.03.2027" in mail
    )


async def test_planned_works_mark_a_report_and_past_works_or_other_places_do_not() -> None:
    service = await routing_knowing_the_examples(RecordingPublisher())

    async def works_at(location: Location, report_id: str) -> list[str]:
        submission = a_submission("road_damage", location, report_id)
        routed = await service.route_report(submission.model_copy(update={"occurred_at": NOW}))
        assert isinstance(routed, ReportRouted)
        return [w.id for w in routed.works]

    assert await works_at(RUHRORT_PLANNED, "AAAAA-00001") == ["example-gehweg-ruhrort"]
    assert await works_at(HOCHFELD_PAST, "AAAAA-00002") == []
    assert await works_at(OUTSIDE, "AAAAA-00003") == []


async def test_routing_keeps_the_latest_revision_and_forgets_withdrawn_works() -> None:
    copy = InMemoryWorksCopy()
    clock = [0.0]
    known = KnownWorks(copy, monotonic=lambda: clock[0])
    (koenigstrasse,) = [e for e in await announced_examples() if "koenig" in e.works_id]
    later = koenigstrasse.model_copy(update={"revision": 2, "title": "Kanal, zweiter Abschnitt"})
    gone = koenigstrasse.model_copy(update={"revision": 3, "withdrawn": True})

    assert await known.take(later)
    assert not await known.take(koenigstrasse)  # older, e.g. redelivered after the edit
    assert [w.title for w in await known.at(INSIDE, NOW)] == ["Kanal, zweiter Abschnitt"]
    assert await known.take(gone)
    assert await known.at(INSIDE, NOW) == []


async def test_a_change_kept_by_another_replica_is_seen_after_the_reread_interval() -> None:
    copy, clock = InMemoryWorksCopy(), [0.0]
    known = KnownWorks(copy, monotonic=lambda: clock[0])
    assert await known.at(INSIDE, NOW) == []
    for event in await announced_examples():
        await copy.keep(event)  # as the replica that consumed the partition did

    still = await known.at(INSIDE, NOW)
    clock[0] += REREAD_SECONDS
    seen = await known.at(INSIDE, NOW)

    assert still == []
    assert [w.id for w in seen] == ["example-kanal-koenigstrasse"]


async def test_routings_consumer_takes_the_works_reports_announces() -> None:
    broker = KafkaBroker()
    publisher = RecordingPublisher()
    service = a_service(publisher)
    service.works = KnownWorks(InMemoryWorksCopy())
    register_handlers(broker, service, "routing")
    events = await announced_examples()

    async with TestKafkaBroker(broker) as test_broker:
        for event in events:
            await test_broker.publish(
                event.model_dump(mode="json"),
                topics.WORKS_CHANGED,
                key=event.report_id.encode(),
                headers={"ce_type": WorksChanged.type},
            )
        routed = await service.route_report(
            a_submission("road_damage", INSIDE).model_copy(update={"occurred_at": NOW})
        )

    assert isinstance(routed, ReportRouted)
    assert [w.id for w in routed.works] == ["example-kanal-koenigstrasse"]


KANAL = WorksRef(
    id="example-kanal-koenigstrasse",
    title="Kanalsanierung",
    operator="Firma X",
    starts_on=date(2026, 11, 2),
    ends_on=date(2027, 3, 12),
)


async def test_the_staff_page_of_a_report_inside_works_names_them(site: Site) -> None:
    report = await a_report_from_the_form(site)
    department = DIRECTORY.get(LIGHTS)
    assert department is not None
    await site.service.record_routing(
        ReportRouted(
            report_id=report.id,
            jurisdiction="duisburg",
            category=report.category,
            department=department.ref(),
            rule="test",
            caused_by="e2",
            works=[KANAL],
        )
    )
    await signed_in_clerk(site)

    page = await site.client.get(f"/staff/reports/{report.id}")

    assert "Liegt in der Baustelle „Kanalsanierung“ (Firma X), 02.11.2026 bis 12.03.2027" in (
        page.text
    )


async def test_the_report_keeps_the_link_and_its_json_view_and_open311_show_it() -> None:
    reports = InMemoryReportRepository()
    service = ReportService(reports, DUISBURG, directory=DIRECTORY, data_keys=InMemoryDataKeys())
    answers = valid_answers(DUISBURG.category("road_damage"))
    new = await service.submit_report(Submission("road_damage", "Loch", INSIDE, answers=answers))
    works = KANAL
    department = DIRECTORY.get("wbd-strasse")
    assert department is not None
    await service.record_routing(
        ReportRouted(
            report_id=new.report.id,
            jurisdiction="duisburg",
            category=new.report.category,
            department=department.ref(),
            rule="test",
            caused_by="e1",
            works=[works],
            occurred_at=NOW + timedelta(seconds=1),
        )
    )
    report = reports.reports[new.report.id]

    view = public_view(report, "de", "https://melder.example")
    request = open311.service_request(report, "de", "https://melder.example", extensions=True)

    assert [(w.id, w.title, w.operator) for w in view.works] == [
        ("example-kanal-koenigstrasse", "Kanalsanierung", "Firma X")
    ]
    assert view.works[0].url == "https://melder.example/works#works-example-kanal-koenigstrasse"
    (linked,) = request["extended_attributes"]["works"]
    assert linked["id"] == "example-kanal-koenigstrasse"
    assert (linked["starts_on"], linked["ends_on"]) == ("2026-11-02", "2027-03-12")
