"""The city outline without shapely: the same answers as shapely on Duisburg's outline, holes and
several polygons counted by the even-odd rule, and a flush paced to a share of the time."""

import json
import random

from shapely.geometry import Point, shape

from stadtmelder_fleet.city import CityOutline
from stadtmelder_fleet.road.flush_pace import BACKLOG_BATCH, FlushPace
from stadtmelder_shared.areas import DEFAULT_AREAS_FILE

SQUARE = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [0.0, 0.0]]
HOLE = [[4.0, 4.0], [6.0, 4.0], [6.0, 6.0], [4.0, 6.0], [4.0, 4.0]]
ISLAND = [[20.0, 0.0], [22.0, 0.0], [22.0, 2.0], [20.0, 2.0], [20.0, 0.0]]


def test_the_outline_answers_as_shapely_does_on_duisburg() -> None:
    areas = json.loads(DEFAULT_AREAS_FILE.read_text("utf-8"))
    [city] = [f for f in areas["features"] if f["properties"].get("kind") == "city"]
    geometry, outline = shape(city["geometry"]), CityOutline.load()
    west, south, east, north = geometry.bounds
    rng = random.Random(17)
    points = [
        (rng.uniform(south - 0.05, north + 0.05), rng.uniform(west - 0.05, east + 0.05))
        for _ in range(5_000)
    ]
    answers = [outline.contains(lat, lon) for lat, lon in points]
    assert answers == [geometry.contains(Point(lon, lat)) for lat, lon in points]
    assert 1_000 < sum(answers) < 4_000  # both sides of the border were asked


def test_a_hole_is_outside_and_a_second_polygon_inside() -> None:
    outline = CityOutline([SQUARE, HOLE, ISLAND])
    assert outline.contains(2.0, 2.0)
    assert not outline.contains(5.0, 5.0)  # in the hole
    assert outline.contains(1.0, 21.0)  # on the island
    assert not outline.contains(1.0, 15.0)  # between them
    assert not outline.contains(-1.0, 5.0)
    assert not outline.contains(11.0, 5.0)


async def test_catching_up_a_slow_flush_waits_longer_else_each_interval_flushes() -> None:
    now, took = [0.0], [0.5]
    flushed: list[float] = []

    async def flush() -> None:
        flushed.append(now[0])
        now[0] += took[0]

    pace = FlushPace(10.0, share=0.2, clock=lambda: now[0])
    for tick in range(3):
        now[0] = tick * 10.0
        await pace(flush)
    assert flushed == [0.0, 10.0, 20.0]
    flushed.clear()
    took[0] = 4.0  # catching up: 4 s of each 20 s at most
    for tick in range(3, 9):
        now[0] = tick * 10.0
        pace.batch(BACKLOG_BATCH)
        await pace(flush)
    assert flushed == [30.0, 50.0, 70.0]
    now[0] = 90.0  # the backlog worked off: small batches since the last tick
    pace.batch(5)
    await pace(flush)
    assert flushed[-1] == 90.0
