from datetime import UTC, datetime

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker

from stadtmelder_reports.catalogue import load_jurisdiction
from stadtmelder_routing.domain import CATEGORY_RULES, TRIAGE, choose_department, route
from stadtmelder_routing.handlers import register_handlers
from stadtmelder_routing.service import RoutingService
from stadtmelder_shared import topics
from stadtmelder_shared.events import CategoryRef, Location, Reporter, ReportSubmitted
from stadtmelder_shared.kafka import KafkaEventPublisher
from tests.fakes import InMemoryRoutingLog, RecordingPublisher


def a_submission(category: str = "playground_damage") -> ReportSubmitted:
    return ReportSubmitted(
        event_id=f"0d9b6f2e-5c1a-4f8e-9b1d-{category.encode().hex()[:12]:0>12}",
        report_id="ABCDE-12345",
        jurisdiction="duisburg",
        occurred_at=datetime(2026, 11, 27, 9, 0, tzinfo=UTC),
        category=CategoryRef(code=category, names={"de": "Spielplatz", "en": "Playground"}),
        description="Schaukel hängt schief",
        location=Location(lat=51.47, lon=6.78),
        reporter=Reporter(email="anna@example.org", language="en"),
    )


@pytest.mark.parametrize(
    ("category", "department"),
    [
        ("playground_damage", "wbd-gruen"),
        ("tree_green_damage", "wbd-gruen"),
        ("street_light_out", "stadt-licht"),
        ("road_damage", "wbd-strasse"),
        ("illegal_dumping", "wbd-abfall"),
        ("container_full", "wbd-abfall"),
    ],
)
def test_each_kind_of_defect_goes_to_its_department(category: str, department: str) -> None:
    decision = choose_department(category)
    assert decision.department.id == department
    assert decision.rule == f"category:{category}"


def test_every_catalogue_category_but_other_has_a_department() -> None:
    codes = {category.code for category in load_jurisdiction().categories}
    assert codes - set(CATEGORY_RULES) == {"other"}
    assert set(CATEGORY_RULES) <= codes


def test_categories_without_a_rule_go_to_triage() -> None:
    assert "other" not in CATEGORY_RULES
    assert choose_department("other").department == TRIAGE
    assert choose_department("something-new").rule == "fallback:triage"


def test_routing_the_same_submission_twice_gives_the_same_event_ids() -> None:
    first, second = route(a_submission()), route(a_submission())
    assert first[0].event_id == second[0].event_id
    assert first[1].event_id == second[1].event_id
    assert first[0].reporter == a_submission().reporter


async def test_redelivered_submission_is_routed_once() -> None:
    publisher = RecordingPublisher()
    service = RoutingService(InMemoryRoutingLog(), publisher)

    assert await service.route_report(a_submission()) is not None
    assert await service.route_report(a_submission()) is None
    assert publisher.topics() == ["departments.wbd-gruen.work", topics.REPORTS_ROUTED]


async def test_consumer_publishes_routed_event_and_work_item() -> None:
    broker = KafkaBroker()
    service = RoutingService(InMemoryRoutingLog(), KafkaEventPublisher(broker, "/test"))
    register_handlers(broker, service, "routing")
    routed_seen = broker.subscriber(topics.REPORTS_ROUTED, group_id="spy-routed")(lambda m: None)
    work_seen = broker.subscriber("departments.stadt-licht.work", group_id="spy-work")(
        lambda m: None
    )

    async with TestKafkaBroker(broker) as test_broker:
        event = a_submission("street_light_out")
        await test_broker.publish(event.model_dump(mode="json"), topics.REPORTS_SUBMITTED)
        await test_broker.publish(event.model_dump(mode="json"), topics.REPORTS_SUBMITTED)

        routed_seen.mock.assert_called_once()  # type: ignore[union-attr]
        work_seen.mock.assert_called_once()  # type: ignore[union-attr]
        routed = routed_seen.mock.call_args.args[0]  # type: ignore[union-attr]
        assert routed["department"]["id"] == "stadt-licht"
        assert routed["caused_by"] == event.event_id


async def test_a_poison_message_goes_to_the_dead_letter_topic_and_routing_goes_on() -> None:
    broker = KafkaBroker()
    service = RoutingService(InMemoryRoutingLog(), KafkaEventPublisher(broker, "/test"))
    register_handlers(broker, service, "routing")
    dead = broker.subscriber(topics.dead_letter(topics.REPORTS_SUBMITTED), group_id="spy-dlq")(
        lambda m: None
    )
    routed_seen = broker.subscriber(topics.REPORTS_ROUTED, group_id="spy-routed")(lambda m: None)

    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish({"report_id": "X", "oops": True}, topics.REPORTS_SUBMITTED)
        await test_broker.publish(b"\x00not json", topics.REPORTS_SUBMITTED)
        await test_broker.publish(a_submission().model_dump(mode="json"), topics.REPORTS_SUBMITTED)

        assert dead.mock.call_count == 2  # type: ignore[union-attr]
        routed_seen.mock.assert_called_once()  # type: ignore[union-attr]
