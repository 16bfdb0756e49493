"""The grid behind nearby lookups: every point within the radius lies in a cell that is read."""

import math
import random

import pytest

from stadtmelder_shared.event_values import Location
from stadtmelder_shared.geo import EARTH_RADIUS_M, distance_m
from stadtmelder_shared.nearby import MAX_CELLS, AreaTooWide, Grid, within

KOENIGSTRASSE = Location(lat=51.4325, lon=6.7652)


def a_point_at(centre: Location, distance: float, bearing: float) -> Location:
    """The point `distance` metres from `centre` towards `bearing` (radians, 0 = north)."""
    dlat = distance * math.cos(bearing) / EARTH_RADIUS_M
    dlon = distance * math.sin(bearing) / (EARTH_RADIUS_M * math.cos(math.radians(centre.lat)))
    return Location(lat=centre.lat + math.degrees(dlat), lon=centre.lon + math.degrees(dlon))


@pytest.mark.parametrize(
    "centre",
    [KOENIGSTRASSE, Location(lat=0.0001, lon=-0.0001), Location(lat=-33.86, lon=151.2)],
    ids=["duisburg", "equator-and-greenwich", "sydney"],
)
def test_every_point_within_the_radius_lies_in_a_cell_the_lookup_reads(centre: Location) -> None:
    grid = Grid.for_radius(50)
    rng = random.Random(27)
    for _ in range(300):
        around = a_point_at(centre, rng.uniform(0, 400), rng.uniform(0, 2 * math.pi))
        point = a_point_at(around, rng.uniform(0, 49.9), rng.uniform(0, 2 * math.pi))
        assert distance_m(around, point) <= 50
        assert grid.cell_of(point) in grid.cells_covering(around, 50)


def test_a_point_on_a_cell_border_is_found_from_either_side() -> None:
    grid = Grid.for_radius(50)
    row_height = math.degrees(grid.cell_m / EARTH_RADIUS_M)
    border = Location(lat=math.ceil(KOENIGSTRASSE.lat / row_height) * row_height, lon=6.7652)
    south = a_point_at(border, 10, math.pi)
    north = a_point_at(border, 10, 0)
    assert grid.cell_of(south) != grid.cell_of(north)
    assert grid.cell_of(border) in grid.cells_covering(south, 50)
    assert grid.cell_of(border) in grid.cells_covering(north, 50)


def test_points_far_apart_lie_in_different_cells() -> None:
    grid = Grid.for_radius(50)
    assert grid.cell_of(KOENIGSTRASSE) != grid.cell_of(a_point_at(KOENIGSTRASSE, 150, 0))
    assert grid.cell_of(KOENIGSTRASSE) != grid.cell_of(a_point_at(KOENIGSTRASSE, 150, math.pi / 2))


def test_a_duplicate_lookup_reads_at_most_five_cells() -> None:
    grid = Grid.for_radius(50)
    rng = random.Random(11)
    counts = [
        len(grid.cells_covering(a_point_at(KOENIGSTRASSE, rng.uniform(0, 2000), b), 50))
        for b in (rng.uniform(0, 2 * math.pi) for _ in range(500))
    ]
    assert max(counts) <= 5
    assert sorted(counts)[len(counts) // 2] <= 4


def test_a_circle_too_wide_for_the_grid_is_refused_not_read_cell_by_cell() -> None:
    grid = Grid.for_radius(50)
    assert len(grid.cells_covering(KOENIGSTRASSE, 200)) <= MAX_CELLS
    with pytest.raises(AreaTooWide):
        grid.cells_covering(KOENIGSTRASSE, 1000)


def test_another_radius_makes_another_grid() -> None:
    assert Grid.for_radius(50).cell_of(KOENIGSTRASSE) != Grid.for_radius(80).cell_of(KOENIGSTRASSE)


def test_members_within_the_radius_come_nearest_first_with_their_distance() -> None:
    members = {
        "far": a_point_at(KOENIGSTRASSE, 60, 0),
        "near": a_point_at(KOENIGSTRASSE, 10, 1),
        "middle": a_point_at(KOENIGSTRASSE, 40, 2),
    }
    found = within(KOENIGSTRASSE, 50, members)
    assert [member for member, _ in found] == ["near", "middle"]
    assert [round(d) for _, d in found] == [10, 40]
