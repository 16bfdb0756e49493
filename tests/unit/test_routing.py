from datetime import UTC, datetime, timedelta
from uuid import NAMESPACE_URL, uuid5

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker

from stadtmelder_routing.assets import AssetRegistry
from stadtmelder_routing.handlers import register_handlers
from stadtmelder_routing.responsibility import load_model
from stadtmelder_routing.service import KafkaWorkDispatcher, RoutingService
from stadtmelder_shared import topics
from stadtmelder_shared.departments import load_directory
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Actor, CategoryRef, DepartmentRef, Location, Reporter
from stadtmelder_shared.kafka import KafkaEventPublisher
from stadtmelder_shared.report_events import (
    ReportRouted,
    ReportStatusChanged,
    ReportSubmitted,
    ReportUnroutable,
)
from stadtmelder_shared.work_item_events import WorkItemQueued
from tests.data_key_fakes import SealingKit
from tests.fakes import InMemoryWorkItems, RecordingPublisher

# Seals contact fields the way reports does; the service opens them with its keys.
KIT = SealingKit()

DIRECTORY = load_directory()
MODEL = load_model(departments=DIRECTORY)
SUBMITTED_AT = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
KOENIGSTRASSE = Location(lat=51.4325, lon=6.7652)


def a_submission(
    category: str = "playground_damage",
    location: Location | None = KOENIGSTRASSE,
    report_id: str = "ABCDE-12345",
) -> ReportSubmitted:
    return ReportSubmitted(
        event_id=str(uuid5(NAMESPACE_URL, f"test:{category}:{report_id}")),
        report_id=report_id,
        jurisdiction="duisburg",
        occurred_at=SUBMITTED_AT,
        category=CategoryRef(code=category, names={"de": category, "en": category}),
        description="Schaukel hängt schief",
        location=location,
        address=None if location else "Königstraße 40",
        reporter=KIT.reporter(report_id, Reporter(email="anna@example.org", language="en")),
    )


def a_service(
    publisher: RecordingPublisher, work_items: InMemoryWorkItems | None = None
) -> RoutingService:
    return RoutingService(
        work_items or InMemoryWorkItems(),
        MODEL,
        AssetRegistry(()),
        DIRECTORY,
        publisher,
        KafkaWorkDispatcher(publisher),
        clock=lambda: SUBMITTED_AT + timedelta(seconds=1),
    )


async def test_a_report_is_routed_with_its_sla_due_date_and_queued_once() -> None:
    publisher = RecordingPublisher()
    service = a_service(publisher)

    submitted = a_submission("road_damage")
    routed = await service.route_report(submitted)
    again = await service.route_report(a_submission("road_damage"))

    assert isinstance(routed, ReportRouted)
    assert again is None
    assert routed.department.id == "wbd-strasse"
    assert routed.due_at == SUBMITTED_AT + timedelta(hours=48)
    assert routed.area == "district-500"
    # Passed on still sealed: routing never opens the reporter's contact data.
    assert routed.reporter == submitted.reporter
    assert "anna@example.org" not in routed.model_dump_json()
    assert publisher.topics() == ["departments.wbd-strasse.work", topics.REPORTS_ROUTED]
    work_item = publisher.published[0][1]
    assert "anna@example.org" not in work_item.model_dump_json()


class AnnouncementLost(RecordingPublisher):
    """Kafka takes the work order, then goes away before the first announcement."""

    lost: bool = False

    async def publish(self, topic: str, event: Event) -> None:
        if topic == topics.REPORTS_ROUTED and not self.lost:
            self.lost = True
            raise ConnectionError("Kafka is away")
        await super().publish(topic, event)


async def test_a_submission_whose_announcement_failed_is_routed_again_on_redelivery() -> None:
    publisher = AnnouncementLost()
    items = InMemoryWorkItems()
    service = a_service(publisher, items)
    record = "reports.submitted/1/7"

    with pytest.raises(ConnectionError):
        await service.route_report(a_submission("road_damage"), record)
    assert topics.REPORTS_ROUTED not in publisher.topics()
    routed = await service.route_report(a_submission("road_damage"), record)

    assert isinstance(routed, ReportRouted)
    assert publisher.topics().count(topics.REPORTS_ROUTED) == 1
    assert items.items["ABCDE-12345"].status == "routed"
    # The relay published the submission twice: the second record is not routed again.
    assert await service.route_report(a_submission("road_damage"), "reports.submitted/1/8") is None
    assert publisher.topics().count(topics.REPORTS_ROUTED) == 1


async def test_a_report_no_rule_covers_goes_to_triage_as_unroutable() -> None:
    publisher = RecordingPublisher()
    decided = await a_service(publisher).route_report(a_submission("other"))

    assert isinstance(decided, ReportUnroutable)
    assert decided.department.id == "triage"
    assert "other" in decided.reason
    assert publisher.topics() == ["departments.triage.work", topics.REPORTS_UNROUTABLE]


async def test_an_address_only_report_is_routed_by_category() -> None:
    publisher = RecordingPublisher()
    decided = await a_service(publisher).route_report(a_submission("graffiti", location=None))
    assert isinstance(decided, ReportRouted)
    assert decided.department.id == "wbd-abfall"


async def test_open_reports_of_the_same_kind_nearby_are_linked_as_probable_duplicates() -> None:
    publisher, items = RecordingPublisher(), InMemoryWorkItems()
    service = a_service(publisher, items)
    await service.route_report(a_submission("road_damage", report_id="FIRST-00001"))
    await service.route_report(a_submission("graffiti", report_id="OTHER-00001"))
    nearby = Location(lat=KOENIGSTRASSE.lat + 0.0002, lon=KOENIGSTRASSE.lon)

    second = await service.route_report(a_submission("road_damage", nearby, "SECND-00001"))

    assert isinstance(second, ReportRouted)
    assert second.probable_duplicates == ["FIRST-00001"]


async def test_a_forwarded_report_is_queued_at_its_new_department() -> None:
    publisher, items = RecordingPublisher(), InMemoryWorkItems()
    service = a_service(publisher, items)
    await service.route_report(a_submission("graffiti"))

    await service.follow_status(
        ReportStatusChanged(
            report_id="ABCDE-12345",
            jurisdiction="duisburg",
            status="forwarded",
            previous_status="routed",
            department=DepartmentRef(id="wbd-abfall", name="Abfall"),
            forwarded_to=DepartmentRef(id="wbd-strasse", name="Straße"),
            reason="Schmiererei auf einem Verkehrsschild",
            actor=Actor(role="dispatcher"),
        )
    )

    assert publisher.topics()[-1] == "departments.wbd-strasse.work"
    assert items.items["ABCDE-12345"].department_id == "wbd-strasse"
    forwarded = publisher.published[-1][1]
    assert isinstance(forwarded, WorkItemQueued)
    assert forwarded.description == "Schaukel hängt schief"


async def test_consumer_publishes_routed_event_and_work_item_once() -> None:
    broker = KafkaBroker()
    publisher = KafkaEventPublisher(broker, "/test")
    service = RoutingService(
        InMemoryWorkItems(),
        MODEL,
        AssetRegistry(()),
        DIRECTORY,
        publisher,
        KafkaWorkDispatcher(publisher),
    )
    register_handlers(broker, service, "routing")
    routed_seen = broker.subscriber(topics.REPORTS_ROUTED, group_id="spy-routed")(lambda m: None)
    work_seen = broker.subscriber("departments.stadt-licht.work", group_id="spy-work")(
        lambda m: None
    )
    dead = broker.subscriber(topics.dead_letter(topics.REPORTS_SUBMITTED), group_id="spy-dlq")(
        lambda m: None
    )

    async with TestKafkaBroker(broker) as test_broker:
        event = a_submission("street_light_out")
        await test_broker.publish({"report_id": "X", "oops": True}, topics.REPORTS_SUBMITTED)
        await test_broker.publish(b"\x00not json", topics.REPORTS_SUBMITTED)
        await test_broker.publish(event.model_dump(mode="json"), topics.REPORTS_SUBMITTED)
        # The test broker gives every record offset 0: the second record of the same
        # submission (a relay that published twice) is told apart by its partition.
        await test_broker.publish(
            event.model_dump(mode="json"), topics.REPORTS_SUBMITTED, partition=1
        )

        assert dead.mock.call_count == 2
        routed_seen.mock.assert_called_once()
        work_seen.mock.assert_called_once()
        routed = routed_seen.mock.call_args.args[0]
        assert routed["department"]["id"] == "stadt-licht"
        assert routed["caused_by"] == event.event_id


@pytest.mark.parametrize("code", ["playground_damage", "container_full", "other"])
async def test_every_decision_names_the_rule_that_made_it(code: str) -> None:
    decided = await a_service(RecordingPublisher()).route_report(a_submission(code))
    assert decided is not None
    assert decided.rule if isinstance(decided, ReportRouted) else decided.reason


async def test_reopened_work_is_owed_again_with_a_fresh_due_date() -> None:
    publisher, items = RecordingPublisher(), InMemoryWorkItems()
    service = a_service(publisher, items)
    await service.route_report(a_submission("road_damage"))
    await items.mark_overdue("ABCDE-12345", SUBMITTED_AT + timedelta(days=3))

    await service.follow_status(
        ReportStatusChanged(
            report_id="ABCDE-12345",
            jurisdiction="duisburg",
            status="reopened",
            previous_status="resolved",
            department=DepartmentRef(id="wbd-strasse", name="Straße"),
            actor=Actor(role="citizen"),
        )
    )

    item = items.items["ABCDE-12345"]
    assert item.status == "reopened"
    assert item.overdue_at is None
    assert item.due_at == SUBMITTED_AT + timedelta(seconds=1) + timedelta(hours=48)
