"""Emptying plans: which containers are due, rounds within the truck's capacity, the saving."""

import math
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from stadtmelder_fleet.containers.domain import Container, PlanningError
from stadtmelder_fleet.containers.forecast import Forecast
from stadtmelder_fleet.containers.planning import Depot, due_containers, plan_emptying
from stadtmelder_fleet.containers.routes import Stop, build_routes, distance_matrix
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.geo import distance_m

DEPOT = Location(lat=51.4325, lon=6.7652)
DAY = date(2026, 3, 4)
END_OF_DAY = datetime(2026, 3, 4, 23, 0, tzinfo=UTC)
MEASURED = END_OF_DAY - timedelta(days=2)


def containers(count: int, seed: int = 7, capacity_l: int = 1_100) -> list[Container]:
    spread = random.Random(seed)
    return [
        Container(
            f"c-{n:03d}",
            Location(lat=51.40 + spread.random() * 0.06, lon=6.72 + spread.random() * 0.09),
            "paper",
            capacity_l,
            "Mitte",
        )
        for n in range(count)
    ]


def filled(container: Container, fill: float, rate: float | None = 0.0) -> Forecast:
    return Forecast(container.id, fill, MEASURED, rate)


def test_due_are_those_80_percent_full_by_the_days_end_or_full_before_the_next_round() -> None:
    full, soon, later, never_read, fast = containers(5)
    forecasts = {
        full.id: filled(full, 95.0),
        soon.id: filled(soon, 50.0, rate=20.0),  # 90 % by the end of the day
        later.id: filled(later, 40.0, rate=10.0),  # 60 %, 70 % a day later
        fast.id: filled(fast, 20.0, rate=29.0),  # 78 %, but over 100 % before the next round
    }

    due = due_containers([full, soon, later, never_read, fast], forecasts, END_OF_DAY)

    assert [d.container.id for d in due] == [never_read.id, full.id, soon.id, fast.id]
    assert due[0].expected_fill_percent is None


def test_rounds_visit_every_stop_once_and_never_carry_more_than_a_truck() -> None:
    stops = [Stop(c, 900) for c in containers(40)]

    routes = build_routes(DEPOT, stops, capacity_l=10_000, time_limit_s=1.0)

    visited = Counter(stop.container.id for route in routes for stop in route.stops)
    assert visited == Counter(stop.container.id for stop in stops)
    assert all(route.load_l <= 10_000 for route in routes)
    assert len(routes) == math.ceil(40 * 900 / 10_000)


def test_a_tight_capacity_and_a_short_search_still_give_feasible_rounds() -> None:
    loads = random.Random(5)
    stops = [Stop(c, loads.randint(3_000, 5_000)) for c in containers(60)]

    routes = build_routes(DEPOT, stops, capacity_l=10_000, time_limit_s=0.1)

    visited = Counter(stop.container.id for route in routes for stop in route.stops)
    assert visited == Counter(stop.container.id for stop in stops)
    assert all(route.load_l <= 10_000 for route in routes)


def test_a_rounds_distance_runs_from_the_depot_through_its_stops_and_back() -> None:
    stops = [Stop(c, 100) for c in containers(5)]

    (route,) = build_routes(DEPOT, stops, capacity_l=10_000, time_limit_s=0.5)

    places = [DEPOT, *(stop.container.location for stop in route.stops), DEPOT]
    legs = distance_matrix(places)
    assert route.distance_m == sum(legs[i][i + 1] for i in range(len(places) - 1))


def test_the_distance_matrix_measures_as_every_other_service_does() -> None:
    places = [DEPOT, *(container.location for container in containers(6))]

    legs = distance_matrix(places)

    assert all(
        legs[i][j] == round(distance_m(a, b)) and legs[i][j] > 0
        for i, a in enumerate(places)
        for j, b in enumerate(places)
        if i != j
    )


def test_a_container_larger_than_the_truck_cannot_be_planned() -> None:
    with pytest.raises(PlanningError, match="c-000"):
        build_routes(DEPOT, [Stop(containers(1)[0], 20_001)], 20_000, 0.5)


def test_the_plan_says_how_many_emptyings_and_metres_it_saves_against_the_fixed_round() -> None:
    district = containers(30)
    forecasts = {c.id: filled(c, 90.0 if n % 3 == 0 else 20.0) for n, c in enumerate(district)}

    plan = plan_emptying(
        "Mitte", DAY, END_OF_DAY, district, forecasts, Depot(DEPOT, 12_000), time_limit_s=0.5
    )

    assert len(plan.due) == 10
    assert sorted(s.container.id for r in plan.routes for s in r.stops) == sorted(
        d.container.id for d in plan.due
    )
    assert plan.emptyings_saved == 20
    assert plan.distance_m > 0
    assert plan.distance_saved_m == plan.fixed_round_m - plan.distance_m
    assert plan.distance_saved_m > 0


def test_nothing_due_plans_no_round_and_saves_the_whole_fixed_round() -> None:
    district = containers(6)
    forecasts = {c.id: filled(c, 10.0) for c in district}

    plan = plan_emptying(
        "Mitte", DAY, END_OF_DAY, district, forecasts, Depot(DEPOT, 12_000), time_limit_s=0.5
    )

    assert plan.routes == ()
    assert plan.emptyings_saved == 6
    assert plan.distance_saved_m == plan.fixed_round_m > 0
