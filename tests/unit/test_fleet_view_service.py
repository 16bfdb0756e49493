"""What reports keeps of the fleet and asks of it: announced road conditions replace what was
kept, a plan nobody asked for is asked once and shown as being computed until fleet's answer,
a refusal comes with fleet's reason, and a request that cannot leave or stays unanswered says so."""

from datetime import UTC, date, datetime, timedelta

import pytest

from stadtmelder_reports.fleet_pages.domain import ANSWER_WAIT, FleetUnreachable
from stadtmelder_reports.fleet_pages.service import FleetViews
from stadtmelder_shared import topics
from stadtmelder_shared.emptying_plans import (
    EmptyingPlan,
    EmptyingPlanMade,
    EmptyingPlanRefused,
    EmptyingPlanRequested,
)
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.road_conditions import RoadConditionsChanged, RoadPieceCondition
from tests.fakes import RecordingPublisher
from tests.fleet_view_fakes import InMemoryPlanStore, InMemoryRoadConditionStore

NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
DAY = date(2026, 3, 4)


def a_piece(piece_id: str, condition: str, last_pass_at: datetime) -> RoadPieceCondition:
    corners = [(51.43, 6.76), (51.4301, 6.7602), (51.4302, 6.76)]
    return RoadPieceCondition(
        piece_id=piece_id,
        centre=Location(lat=51.4301, lon=6.7601),
        boundary=[Location(lat=lat, lon=lon) for lat, lon in corners],
        condition=condition,
        passes=3,
        vehicles=2,
        median_iri=7.5,
        p90_iri=9.0,
        last_pass_at=last_pass_at,
        shown_until=last_pass_at + timedelta(days=14),
        reported=condition == "very_poor",
    )


def a_plan(district: str, day: date, containers: tuple[str, ...] = ("c-1", "c-2")) -> EmptyingPlan:
    stops = [
        {
            "container_id": container,
            "type": "glass",
            "lat": 51.43 + n / 1000,
            "lon": 6.76,
            "expected_fill_percent": 90.0,
            "full_at": None,
        }
        for n, container in enumerate(containers)
    ]
    return EmptyingPlan.model_validate(
        {
            "district": district,
            "date": day.isoformat(),
            "emptyings": len(containers),
            "distance_km": 4.2,
            "saved": {
                "emptyings": 1,
                "distance_km": 1.0,
                "against": {"emptyings": len(containers) + 1, "distance_km": 5.2},
            },
            "routes": [{"route": 1, "distance_km": 4.2, "load_l": 5000, "stops": stops}],
            "depot": {"lat": 51.44, "lon": 6.78},
        }
    )


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def views(publisher: RecordingPublisher, clock: Clock) -> FleetViews:
    return FleetViews(
        InMemoryRoadConditionStore(), InMemoryPlanStore(), publisher, "duisburg", clock
    )


def announced(*pieces: RoadPieceCondition) -> RoadConditionsChanged:
    return RoadConditionsChanged(
        report_id="road-area-x", jurisdiction="duisburg", area="x", pieces=list(pieces)
    )


def the_request(publisher: RecordingPublisher) -> EmptyingPlanRequested:
    (topic, event), *_ = publisher.published
    assert topic == topics.PLAN_REQUESTS
    assert isinstance(event, EmptyingPlanRequested)
    return event


def made(request: EmptyingPlanRequested, plan: EmptyingPlan) -> EmptyingPlanMade:
    return EmptyingPlanMade(
        report_id=request.report_id,
        jurisdiction="duisburg",
        request_id=request.request_id,
        district=request.district,
        day=request.day,
        caused_by=request.event_id,
        plan=plan,
    )


async def test_announced_conditions_replace_what_was_kept_piece_by_piece(
    views: FleetViews,
) -> None:
    await views.take_conditions(announced(a_piece("a", "good", NOW), a_piece("b", "fair", NOW)))
    await views.take_conditions(announced(a_piece("a", "very_poor", NOW)))

    shown = {piece.piece_id: piece.condition for piece in await views.road_pieces()}

    assert shown == {"a": "very_poor", "b": "fair"}


async def test_a_piece_without_passes_in_the_window_is_no_longer_shown(
    views: FleetViews, clock: Clock
) -> None:
    await views.take_conditions(announced(a_piece("a", "poor", NOW)))
    clock.now = NOW + timedelta(days=15)

    assert await views.road_pieces() == []


async def test_a_plan_nobody_asked_for_is_asked_of_fleet_once_and_shown_as_computing(
    views: FleetViews, publisher: RecordingPublisher
) -> None:
    first = await views.plan("district-500", DAY, "planner-1")
    again = await views.plan("district-500", DAY, "planner-1")

    assert (first.status, again.status) == ("computing", "computing")
    assert first.plan is None
    request = the_request(publisher)
    assert len(publisher.published) == 1
    assert (request.district, request.day, request.requested_by) == (
        "district-500",
        DAY,
        "planner-1",
    )
    assert request.report_id == "plan-district-500"


async def test_fleet_plan_is_shown_and_stays_while_a_newer_one_is_computed(
    views: FleetViews, publisher: RecordingPublisher, clock: Clock
) -> None:
    await views.plan("district-500", DAY, "planner-1")
    await views.take_answer(made(the_request(publisher), a_plan("district-500", DAY)))

    shown = await views.plan("district-500", DAY, "planner-1")
    clock.now += timedelta(seconds=1)
    await views.ask("district-500", DAY, "planner-2")
    while_newer = await views.plan("district-500", DAY, "planner-2")

    assert shown.status == "made"
    assert shown.plan == a_plan("district-500", DAY)
    assert while_newer.status == "computing"
    assert while_newer.plan == a_plan("district-500", DAY)
    assert len(publisher.published) == 2


async def test_a_refusal_is_shown_with_fleet_reason(
    views: FleetViews, publisher: RecordingPublisher
) -> None:
    await views.plan("district-9", DAY, "planner-1")
    request = the_request(publisher)
    await views.take_answer(
        EmptyingPlanRefused(
            report_id=request.report_id,
            jurisdiction="duisburg",
            request_id=request.request_id,
            caused_by=request.event_id,
            district="district-9",
            day=DAY,
            code="unknown_district",
            reason="no containers are known in the district 'district-9'",
        )
    )

    shown = await views.plan("district-9", DAY, "planner-1")

    assert shown.status == "refused"
    assert shown.answer is not None
    assert "no containers are known" in shown.answer.reason


async def test_a_request_fleet_leaves_unanswered_is_late(views: FleetViews, clock: Clock) -> None:
    await views.plan("district-500", DAY, "planner-1")
    clock.now = NOW + ANSWER_WAIT

    assert (await views.plan("district-500", DAY, "planner-1")).status == "late"


async def test_a_request_that_cannot_be_sent_says_so_and_is_asked_again_next_time(
    views: FleetViews, publisher: RecordingPublisher
) -> None:
    publisher.failing = True
    with pytest.raises(FleetUnreachable):
        await views.plan("district-500", DAY, "planner-1")
    publisher.failing = False

    assert (await views.plan("district-500", DAY, "planner-1")).status == "computing"
    assert len(publisher.published) == 1
