"""The simulated road truth: streets laid inside districts, seeded defect spots, rough readings."""

import itertools
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from shapely.geometry import LineString, Polygon

from stadtmelder_fleet.simulator.city import District, Metres

CELL_M = 50.0  # spots are looked up in cells of this size, so a reading checks only its neighbours


@dataclass(frozen=True)
class Street:
    id: str
    district: str
    start: Metres
    end: Metres

    @property
    def ends(self) -> tuple[Metres, Metres]:
        return self.start, self.end

    @property
    def length_m(self) -> float:
        return math.dist(self.start, self.end)


class DefectSpot(NamedTuple):
    """A pothole or broken patch: the seeded truth the fleet should find."""

    id: str
    at: Metres


@dataclass(frozen=True)
class RoadSurface:
    """How rough readings are, as an IRI estimate in m/km (see docs/contracts for the mapping).

    Smooth asphalt reads about 2–3 m/km; a pothole the wheel crosses within `spot_radius_m`
    reads 9–14. Rare bumps (a manhole cover, a kerb) lift one reading a little, never a pass.
    """

    # (mean, standard deviation) of what the box reports
    smooth: tuple[float, float] = (2.5, 0.5)
    defect: tuple[float, float] = (11.0, 1.5)
    spot_radius_m: float = 10.0
    # Rare bumps: how often, and how much they add.
    bump: tuple[float, float] = (0.002, 2.5)


def lay_streets(district: District, count: int, rng: random.Random) -> list[Street]:
    """`count` straight streets of 300–1,200 m, each well inside the district."""
    inner = district.outline.buffer(-150)
    min_x, min_y, max_x, max_y = inner.bounds
    streets: list[Street] = []
    while len(streets) < count:
        start = (rng.uniform(min_x, max_x), rng.uniform(min_y, max_y))
        heading, length = rng.uniform(0, math.pi), rng.uniform(300, 1200)
        end = (start[0] + length * math.cos(heading), start[1] + length * math.sin(heading))
        if inner.contains(LineString([start, end])):
            streets.append(
                Street(f"{district.number}-{len(streets):03d}", district.number, start, end)
            )
    return streets


def seed_spots(streets: Sequence[Street], count: int, rng: random.Random) -> list[DefectSpot]:
    """`count` defects on distinct streets, somewhere along their middle."""
    spots = []
    for street in rng.sample(list(streets), count):
        f = rng.uniform(0.2, 0.8)
        at = (
            street.start[0] + f * (street.end[0] - street.start[0]),
            street.start[1] + f * (street.end[1] - street.start[1]),
        )
        spots.append(DefectSpot(f"spot-{street.id}", at))
    return spots


def tour(
    streets: Sequence[Street], rng: random.Random, area: Polygon | None = None
) -> list[Metres]:
    """A truck's way along every street once: from a random first street on to the nearest end
    of a street not yet driven, the way a crew works a district. Between streets it drives
    straight on (that transit is road too, and usually smooth), and where the straight line
    would leave `area` (a bend of the Rhine) it prefers a street it can reach within."""
    left = list(streets)
    first = left.pop(rng.randrange(len(left)))
    way = [first.start, first.end] if rng.random() < 0.5 else [first.end, first.start]
    while left:
        here = way[-1]
        ends = sorted((math.dist(here, end), n, end) for n, s in enumerate(left) for end in s.ends)
        _, n, entry = next(
            (e for e in ends if area is None or area.contains(LineString([here, e[2]]))), ends[0]
        )
        street = left.pop(n)
        way.extend(
            [street.start, street.end] if entry == street.start else [street.end, street.start]
        )
    return way


def drive(way: Sequence[Metres], speed_kmh: float, interval_s: float) -> Iterator[Metres]:
    """The truck's position every `interval_s` seconds along `way`, at constant speed."""
    step = speed_kmh / 3.6 * interval_s
    if not way:
        return
    left = 0.0  # distance still to go before the next sample, carried across corners
    yield way[0]
    for a, b in itertools.pairwise(way):
        length = math.dist(a, b)
        travelled = left
        while travelled <= length:
            if travelled > 0:
                f = travelled / length
                yield (a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]))
            travelled += step
        left = travelled - length


class RoadTruth:
    """Answers how rough the road felt between two positions, knowing where the defects are."""

    def __init__(self, spots: Sequence[DefectSpot], surface: RoadSurface | None = None) -> None:
        self.spots = list(spots)
        self.surface = surface or RoadSurface()
        self._cells: dict[tuple[int, int], list[DefectSpot]] = {}
        for spot in self.spots:
            self._cells.setdefault(_cell(spot.at), []).append(spot)

    def roughness(self, previous: Metres, current: Metres, rng: random.Random) -> float:
        """The box integrates over the last second's travel: a defect crossed in it shows."""
        if self.crossed_defect(previous, current):
            value = rng.gauss(*self.surface.defect)
        else:
            value = rng.gauss(*self.surface.smooth)
            chance, lift = self.surface.bump
            if rng.random() < chance:
                value += lift
        return round(max(0.5, value), 2)

    def crossed_defect(self, previous: Metres, current: Metres) -> bool:
        cx, cy = _cell(current)
        radius = self.surface.spot_radius_m
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for spot in self._cells.get((cx + dx, cy + dy), ()):
                    if _distance_to_segment(spot.at, previous, current) <= radius:
                        return True
        return False


def is_near_spot(at: Metres, spots: Sequence[DefectSpot], radius_m: float) -> bool:
    return any(math.dist(at, spot.at) <= radius_m for spot in spots)


def _cell(at: Metres) -> tuple[int, int]:
    return math.floor(at[0] / CELL_M), math.floor(at[1] / CELL_M)


def _distance_to_segment(p: Metres, a: Metres, b: Metres) -> float:
    ab = (b[0] - a[0], b[1] - a[1])
    squared = ab[0] ** 2 + ab[1] ** 2
    if squared == 0:
        return math.dist(p, a)
    t = max(0.0, min(1.0, ((p[0] - a[0]) * ab[0] + (p[1] - a[1]) * ab[1]) / squared))
    return math.dist(p, (a[0] + t * ab[0], a[1] + t * ab[1]))
