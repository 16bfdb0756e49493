"""The city outline: Duisburg's own places in, its neighbours out, a batch answered as each of
its points is, holes and several polygons respected; and a flush paced to a share of the time."""

import json
import random

import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape

from stadtmelder_fleet.city import CityOutline
from stadtmelder_fleet.road.flush_pace import BACKLOG_BATCH, FlushPace
from stadtmelder_shared.areas import DEFAULT_AREAS_FILE

SQUARE = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]
HOLE = [(4.0, 4.0), (6.0, 4.0), (6.0, 6.0), (4.0, 6.0)]
ISLAND = [(20.0, 0.0), (22.0, 0.0), (22.0, 2.0), (20.0, 2.0)]
# lat, lon: the town hall, Landschaftspark Nord, Rheinhausen across the Rhine; Düsseldorf,
# Oberhausen, Moers.
IN_DUISBURG = [(51.4350, 6.7627), (51.4808, 6.7836), (51.4035, 6.7185)]
OUTSIDE = [(51.2277, 6.7735), (51.4963, 6.8631), (51.4516, 6.6266)]


def test_duisburg_holds_its_own_places_and_not_its_neighbours() -> None:
    city = CityOutline.load()
    places = IN_DUISBURG + OUTSIDE
    answers = city.contains_all([lat for lat, _ in places], [lon for _, lon in places])
    assert answers == [True] * 3 + [False] * 3
    assert [city.contains(lat, lon) for lat, lon in places] == answers
    assert city.contains_all([], []) == []


def test_a_hole_is_outside_and_a_second_polygon_inside() -> None:
    outline = CityOutline(mapping(MultiPolygon([Polygon(SQUARE, [HOLE]), Polygon(ISLAND)])))
    points = [(2.0, 2.0), (5.0, 5.0), (1.0, 21.0), (1.0, 15.0), (-1.0, 5.0), (11.0, 5.0)]
    answers = outline.contains_all([lat for lat, _ in points], [lon for _, lon in points])
    assert answers == [True, False, True, False, False, False]


def test_an_outline_without_area_is_refused() -> None:
    with pytest.raises(ValueError, match="no area"):
        CityOutline({"type": "Polygon", "coordinates": [[(0.0, 0.0), (1.0, 1.0), (2.0, 2.0)]]})


def test_the_outline_answers_as_shapely_does_for_points_in_and_around_duisburg() -> None:
    features = json.loads(DEFAULT_AREAS_FILE.read_text("utf-8"))["features"]
    geometry = next(f["geometry"] for f in features if f["properties"].get("kind") == "city")
    reference, outline = shape(geometry), CityOutline.load()
    west, south, east, north = reference.bounds
    rng = random.Random(17)
    points = [
        (rng.uniform(south - 0.02, north + 0.02), rng.uniform(west - 0.02, east + 0.02))
        for _ in range(5_000)
    ]
    lats, lons = [lat for lat, _ in points], [lon for _, lon in points]
    expected = [bool(b) for b in shapely.contains_xy(reference, lons, lats)]
    assert outline.contains_all(lats, lons) == expected
    assert 1_000 < sum(expected) < 4_000  # both answers are asked for often


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
