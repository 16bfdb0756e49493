"""The simulated city as one seeded world, and the trucks' rounds through it as timed samples."""

import heapq
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from stadtmelder_fleet.simulator.bins import SimContainer, place_containers
from stadtmelder_fleet.simulator.city import District, Metres, Projection
from stadtmelder_fleet.simulator.roads import (
    DefectSpot,
    RoadTruth,
    Street,
    drive,
    lay_streets,
    seed_spots,
    tour,
)

GPS_SIGMA_M = 3.0


@dataclass(frozen=True)
class WorldShape:
    """How much of everything the seeded world holds; the streets, spots and containers are
    counted per district."""

    seed: int = 7
    trucks: int = 10
    per_district: tuple[int, int, int] = (12, 3, 40)


@dataclass(frozen=True)
class World:
    shape: WorldShape
    projection: Projection
    districts: Sequence[District]
    streets: dict[str, list[Street]]  # by district number
    spots: Sequence[DefectSpot]
    containers: Sequence[SimContainer]

    def district_of_round(self, truck: int, round_number: int) -> District:
        """Trucks rotate through the districts, so every street sees several vehicles."""
        return self.districts[(truck + round_number) % len(self.districts)]


@dataclass(frozen=True)
class RoadSample:
    """One second of one truck: where it reported to be and how rough the road felt."""

    vehicle_id: str
    seconds: float  # since the simulation started
    at: Metres  # as the GPS reported it, with its error
    speed_kmh: float
    roughness: float


def build_world(districts: Sequence[District], shape: WorldShape, projection: Projection) -> World:
    rng = random.Random(shape.seed)  # noqa: S311 - a reproducible world, not secrets
    street_count, spot_count, container_count = shape.per_district
    streets = {d.number: lay_streets(d, street_count, rng) for d in districts}
    spots = [s for d in districts for s in seed_spots(streets[d.number], spot_count, rng)]
    containers = place_containers(districts, container_count, rng)
    return World(shape, projection, districts, streets, spots, containers)


def vehicle_id(truck: int) -> str:
    return f"truck-{truck + 1:02d}"


def truck_rounds(
    world: World,
    truck: int,
    rounds: range,
    round_every_s: float | None = None,
    interval_s: float = 1.0,
) -> Iterator[RoadSample]:
    """The truck's samples over `rounds`: back to back, or each starting `round_every_s` apart."""
    truth = RoadTruth(world.spots)
    clock = 0.0
    for number in rounds:
        rng = random.Random(f"{world.shape.seed}-{truck}-{number}")  # noqa: S311
        if round_every_s is not None:
            clock = max(clock, number * round_every_s)
        district = world.district_of_round(truck, number)
        speed = rng.uniform(18, 30)
        previous: Metres | None = None
        for at in drive(
            tour(world.streets[district.number], rng, district.outline), speed, interval_s
        ):
            felt = truth.roughness(previous or at, at, rng)
            seen = (at[0] + rng.gauss(0, GPS_SIGMA_M), at[1] + rng.gauss(0, GPS_SIGMA_M))
            yield RoadSample(vehicle_id(truck), clock, seen, round(speed, 1), felt)
            clock += interval_s
            previous = at


def fleet_rounds(
    world: World, rounds: range, round_every_s: float | None = None, interval_s: float = 1.0
) -> Iterator[RoadSample]:
    """Every truck's samples, merged in time order."""
    streams = [
        truck_rounds(world, truck, rounds, round_every_s, interval_s)
        for truck in range(world.shape.trucks)
    ]
    return heapq.merge(*streams, key=lambda sample: sample.seconds)


def spot_distance_m(world: World, at: Metres) -> float:
    """How far `at` lies from the nearest seeded defect: the truth a report is judged by."""
    return min((math.dist(at, spot.at) for spot in world.spots), default=math.inf)
