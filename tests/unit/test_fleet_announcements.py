"""What fleet tells reports for its pages: saved road pieces as condition events in batches by
area, with their outline and evidence; and a dispatcher's plan request answered on
`fleet.emptying-plans` with the plan, or with the reason there is none."""

from datetime import date, datetime, timedelta

import h3
from faststream.kafka import KafkaBroker, TestKafkaBroker

from stadtmelder_fleet.containers.importing import EXAMPLE_FILE, read_container_file
from stadtmelder_fleet.containers.plan_requests import register_plan_requests
from stadtmelder_fleet.containers.planning import Depot
from stadtmelder_fleet.containers.service import ContainerService
from stadtmelder_fleet.road.announcing import RoadAnnouncer, conditions_changed
from stadtmelder_fleet.road.domain import Piece, add_reading
from stadtmelder_shared import topics
from stadtmelder_shared.cloudevents import headers_for
from stadtmelder_shared.emptying_plans import (
    EmptyingPlanMade,
    EmptyingPlanRefused,
    EmptyingPlanRequested,
    plan_csv,
    plan_key,
)
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.road_conditions import (
    AREA_RESOLUTION,
    MAX_PIECES_PER_EVENT,
    RoadConditionsChanged,
)
from stadtmelder_shared.sensor_readings import RoadRoughnessReading
from tests.container_fakes import InMemoryContainerStore
from tests.fakes import RecordingPublisher
from tests.unit.test_fleet_road_layer import NOW, PIECES, RULES, piece


def test_saved_pieces_are_announced_with_outline_evidence_and_expiry_without_vehicles() -> None:
    events = conditions_changed(PIECES, NOW, RULES, "duisburg")

    announced = {p.piece_id: p for event in events for p in event.pieces}
    rough = announced[PIECES[0].id]
    assert set(announced) == {PIECES[0].id, PIECES[1].id}  # the third has no recent pass
    assert (rough.condition, rough.passes, rough.vehicles) == ("very_poor", 3, 2)
    assert len(rough.boundary) == 6
    assert rough.shown_until == rough.last_pass_at + timedelta(days=RULES.window_days)
    assert "wbd-truck" not in events[0].model_dump_json()
    assert all(event.report_id == f"road-area-{event.area}" for event in events)


def test_many_pieces_go_in_batches_each_of_one_area() -> None:
    many = [piece(51.43 + n * 0.0003, 6.76, [3.0]) for n in range(130)]

    events = conditions_changed(many, NOW, RULES, "duisburg")

    assert sum(len(event.pieces) for event in events) == 130
    assert max(len(event.pieces) for event in events) <= MAX_PIECES_PER_EVENT
    for event in events:
        assert {h3.cell_to_parent(p.piece_id, AREA_RESOLUTION) for p in event.pieces} == {
            event.area
        }


def request(district: str) -> EmptyingPlanRequested:
    return EmptyingPlanRequested(
        report_id=plan_key(district),
        jurisdiction="duisburg",
        request_id=f"req-{district}",
        district=district,
        day=date(2026, 3, 4),
        requested_by="planner-1",
    )


async def test_a_plan_request_is_answered_with_the_plan_or_why_there_is_none() -> None:
    store = InMemoryContainerStore()
    service = ContainerService(store, Depot(Location(lat=51.4476, lon=6.781), 20_000), 0.3)
    await service.import_containers(read_container_file(EXAMPLE_FILE))
    broker, publisher = KafkaBroker(), RecordingPublisher()
    register_plan_requests(broker, "fleet-tests", service, publisher)

    async with TestKafkaBroker(broker) as kafka:
        for asked in (request("district-500"), request("district-9")):
            await kafka.publish(
                asked.model_dump(mode="json"),
                topics.PLAN_REQUESTS,
                headers=headers_for(asked, "/tests/reports"),
            )

    assert publisher.topics() == [topics.EMPTYING_PLANS, topics.EMPTYING_PLANS]
    made, refused = (event for _, event in publisher.published)
    assert isinstance(made, EmptyingPlanMade)
    assert (made.request_id, made.report_id) == ("req-district-500", "plan-district-500")
    assert made.plan.emptyings == 10  # none reported: every container is emptied
    assert made.plan.depot == Location(lat=51.4476, lon=6.781)
    assert len(plan_csv(made.plan).splitlines()) == 11
    assert isinstance(refused, EmptyingPlanRefused)
    assert refused.code == "unknown_district"
    assert "no containers are known in the district 'district-9'" in refused.reason


def drive(found: Piece, roughness: float, at: datetime, vehicle: str = "wbd-truck-9") -> None:
    reading = RoadRoughnessReading(
        vehicle_id=vehicle, measured_at=at, lat=found.lat, lon=found.lon, speed_kmh=30,
        roughness=roughness,
    )  # fmt: skip
    add_reading(found, reading)


async def test_a_piece_is_announced_at_once_when_its_class_changes_its_figures_hourly() -> None:
    clock = [NOW]
    publisher = RecordingPublisher()
    announcer = RoadAnnouncer(publisher, RULES, "duisburg", lambda: clock[0])
    road = piece(51.4301, 6.7601, [3.0, 3.0])

    def told() -> list[tuple[str, int]]:
        events = [e for _, e in publisher.published if isinstance(e, RoadConditionsChanged)]
        pieces = [p for event in events for p in event.pieces]
        return [(p.condition, p.passes) for p in pieces]

    await announcer.saved([road])  # its first save since the start
    assert told() == [("fair", 2)]
    clock[0] += timedelta(minutes=10)
    drive(road, 3.0, clock[0])
    await announcer.saved([road])  # one pass more, the same class: it waits
    assert told() == [("fair", 2)]
    clock[0] += timedelta(minutes=55)
    await announcer.saved([])  # an hour after it was announced, its figures go out
    assert told() == [("fair", 2), ("fair", 3)]
    for n in range(3):
        clock[0] += timedelta(minutes=5)
        drive(road, 12.0, clock[0], vehicle=f"wbd-truck-{n}")
    await announcer.saved([road])  # poor now: at once
    assert told()[-1] == ("poor", 6)
