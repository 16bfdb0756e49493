"""The fleet simulator's seeded truth: streets in districts, rough only at defects, containers
filling at their own rates, and readings the fleet service accepts."""

import itertools
import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from shapely.geometry import LineString, Point, Polygon

from stadtmelder_fleet.simulator.bins import FillTruth, SimContainer, place_containers
from stadtmelder_fleet.simulator.city import District, Projection, load_districts
from stadtmelder_fleet.simulator.readings import fill_reading, road_reading
from stadtmelder_fleet.simulator.roads import (
    DefectSpot,
    RoadTruth,
    drive,
    lay_streets,
    seed_spots,
    tour,
)
from stadtmelder_fleet.simulator.run import Pace, simulate
from stadtmelder_fleet.simulator.world import WorldShape, build_world, fleet_rounds
from stadtmelder_shared import topics
from stadtmelder_shared.sensor_readings import Reading
from tests.examples import OSM_DIRECTORY

SQUARE = District("900", "square", Polygon([(0, 0), (3000, 0), (3000, 3000), (0, 3000)]))
PROJECTION = Projection()


def test_the_same_seed_builds_the_same_world_and_another_seed_another() -> None:
    a, b, c = (build_world([SQUARE], WorldShape(seed=s), PROJECTION) for s in (7, 7, 8))
    assert a.spots == b.spots
    assert a.containers == b.containers
    assert a.spots != c.spots


def test_streets_lie_well_inside_their_district() -> None:
    streets = lay_streets(SQUARE, 12, random.Random(1))
    assert len(streets) == 12
    inner = SQUARE.outline.buffer(-149)
    assert all(inner.contains(LineString([s.start, s.end])) for s in streets)
    assert all(300 <= s.length_m <= 1200 for s in streets)


def test_defect_spots_lie_on_distinct_streets() -> None:
    streets = lay_streets(SQUARE, 12, random.Random(1))
    spots = seed_spots(streets, 3, random.Random(2))
    on = [
        next(s for s in streets if LineString([s.start, s.end]).distance(Point(p.at)) < 1e-6)
        for p in spots
    ]
    assert len({s.id for s in on}) == 3


def test_a_tour_drives_every_street_once_from_end_to_end() -> None:
    streets = lay_streets(SQUARE, 8, random.Random(1))
    way = tour(streets, random.Random(3), SQUARE.outline)
    driven = {frozenset((way[i], way[i + 1])) for i in range(0, len(way), 2)}
    assert driven == {frozenset((s.start, s.end)) for s in streets}


def test_driving_samples_the_way_at_the_speed() -> None:
    positions = list(drive([(0, 0), (100, 0), (100, 100)], speed_kmh=36, interval_s=1))
    assert positions[0] == (0, 0)
    steps = [math.dist(a, b) for a, b in itertools.pairwise(positions)]
    assert len(positions) == 21  # 200 m at 10 m/s, both ends included
    assert all(s <= 10 + 1e-9 for s in steps)
    assert positions[-1] == pytest.approx((100, 100))


def test_the_road_feels_rough_where_a_defect_is_crossed_and_smooth_elsewhere() -> None:
    truth = RoadTruth([DefectSpot("s", (500, 0))])
    rng = random.Random(4)
    over = [truth.roughness((495, 0), (502, 2), rng) for _ in range(200)]
    beside = [truth.roughness((495, 40), (502, 40), rng) for _ in range(2000)]
    assert min(over) > 6.0
    assert max(beside) < 6.0
    assert 2.0 < sorted(beside)[1000] < 3.0


def test_every_truck_sample_lies_inside_the_district_and_every_spot_is_crossed() -> None:
    world = build_world([SQUARE], WorldShape(seed=5, trucks=2), PROJECTION)
    samples = list(fleet_rounds(world, range(2)))
    assert all(SQUARE.outline.contains(Point(s.at)) for s in samples)
    assert {s.vehicle_id for s in samples} == {"truck-01", "truck-02"}
    assert [s.seconds for s in samples] == sorted(s.seconds for s in samples)
    for spot in world.spots:
        rough_near = [s for s in samples if s.roughness > 6 and math.dist(s.at, spot.at) < 30]
        assert {s.vehicle_id for s in rough_near} == {"truck-01", "truck-02"}


def test_containers_fill_at_rates_of_their_own_and_an_emptying_starts_over() -> None:
    containers = place_containers([SQUARE], 20, random.Random(6))
    assert len({round(c.percent_per_day, 3) for c in containers}) == 20
    assert {c.kind for c in containers} == {"glass", "paper", "underground", "semi-underground"}
    truth = FillTruth(containers)
    rng = random.Random(7)
    for day in range(7):
        truth.advance(24, day, rng)
    fastest = max(containers, key=lambda c: c.percent_per_day)
    slowest = min(containers, key=lambda c: c.percent_per_day)
    assert truth.fill[fastest.id] > truth.fill[slowest.id] * 1.5
    assert truth.highest < 100  # the fastest fills in eight days: a weekly round never overflows
    truth.empty(fastest.id)
    assert truth.fill[fastest.id] == 0
    assert truth.emptyings == 1


def test_a_sensed_fill_stays_between_empty_and_full() -> None:
    container = SimContainer("sim-1", "900", (10, 10), "glass", 200.0)
    truth = FillTruth([container])
    truth.advance(24, 0, random.Random(1))
    assert truth.sensed("sim-1", random.Random(2)) == 100.0
    assert truth.highest > 100


def test_samples_become_readings_the_fleet_service_accepts() -> None:
    world = build_world([SQUARE], WorldShape(seed=5, trucks=1), PROJECTION)
    sample = next(iter(fleet_rounds(world, range(1))))
    started = datetime(2026, 12, 7, 8, tzinfo=UTC)
    reading = road_reading(sample, PROJECTION, started)
    assert reading.key == "truck-01"
    assert reading.measured_at == started
    assert PROJECTION.to_metres(reading.lon, reading.lat) == pytest.approx(sample.at, abs=0.1)
    fill = fill_reading(world.containers[0], 42.5, started)
    assert (fill.container_id, fill.fill_percent) == (world.containers[0].id, 42.5)


@pytest.mark.skipif(not OSM_DIRECTORY.is_dir(), reason=f"no OSM outlines in {OSM_DIRECTORY}")
def test_duisburgs_seven_districts_are_read_from_the_osm_outlines() -> None:
    districts = load_districts(OSM_DIRECTORY, PROJECTION)
    assert [d.number for d in districts] == ["100", "200", "300", "400", "500", "600", "700"]
    mitte = next(d for d in districts if d.number == "500")
    assert mitte.outline.contains(Point(PROJECTION.to_metres(6.7652, 51.4325)))  # Königstraße
    assert 20e6 < mitte.outline.area < 50e6


class Collected:
    def __init__(self) -> None:
        self.readings: list[tuple[str, Reading]] = []

    async def publish(self, topic: str, event: Reading) -> None:
        self.readings.append((topic, event))


async def test_a_run_publishes_every_truck_second_and_the_fills_never_from_the_future() -> None:
    world = build_world([SQUARE], WorldShape(seed=5, trucks=2, per_district=(12, 3, 4)), PROJECTION)
    now = datetime(2026, 12, 7, 8, tzinfo=UTC)
    collected = Collected()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    pace = Pace(speed_up=1e9, duration_s=600, fill_every_s=300)
    published = await simulate(world, collected, pace, now=lambda: now, sleep=sleep)

    road = [r for t, r in collected.readings if t == topics.ROAD_ROUGHNESS]
    fills = [r for t, r in collected.readings if t == topics.CONTAINER_FILL]
    assert (published.road, published.fill) == (len(road), len(fills)) == (2 * 601, 3 * 4)
    assert max(r.measured_at for r in road) == now
    assert min(r.measured_at for r in road) == now - timedelta(seconds=600)
    assert {r.key for r in fills} == {c.id for c in world.containers}
