"""Simulated containers: placed in districts, filling at rates of their own, sensed with noise."""

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from shapely.geometry import Point

from stadtmelder_fleet.simulator.city import District, Metres
from stadtmelder_shared.sensor_readings import ContainerType

# Days a container of each kind takes from empty to full on an average day. The fastest fills
# in eight days, so the fixed weekly round never lets one overflow: the fair baseline.
DAYS_TO_FULL: dict[ContainerType, tuple[float, float]] = {
    "underground": (8.0, 14.0),
    "semi-underground": (9.0, 18.0),
    "paper": (12.0, 28.0),
    "glass": (18.0, 40.0),
}
WEEKEND_FACTOR = 1.2  # people drink and unpack more at weekends


@dataclass(frozen=True)
class SimContainer:
    id: str
    district: str
    at: Metres
    kind: ContainerType
    percent_per_day: float


@dataclass
class FillTruth:
    """Every container's real fill; above 100 % it is overflowing (the plan failed it)."""

    containers: Sequence[SimContainer]
    fill: dict[str, float] = field(default_factory=dict)
    emptyings: int = 0
    highest: float = 0.0
    overflowed: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        for container in self.containers:
            self.fill.setdefault(container.id, 0.0)

    def advance(self, hours: float, weekday: int, rng: random.Random) -> None:
        """Let `hours` pass on `weekday` (0 = Monday): every container fills by its rate."""
        factor = WEEKEND_FACTOR if weekday >= 5 else 1.0
        for container in self.containers:
            noise = max(0.0, rng.gauss(1.0, 0.25))
            self.fill[container.id] += container.percent_per_day * factor * noise * hours / 24
            self.highest = max(self.highest, self.fill[container.id])
            if self.fill[container.id] > 100:
                self.overflowed.add(container.id)

    def start_counting(self) -> None:
        """Count emptyings and overflows from now on (after a warm-up)."""
        self.emptyings, self.overflowed = 0, set()
        self.highest = max(self.fill.values(), default=0.0)

    def empty(self, container_id: str) -> None:
        self.fill[container_id] = 0.0
        self.emptyings += 1

    def sensed(self, container_id: str, rng: random.Random) -> float:
        """What the container's ultrasonic sensor reports: the fill with a few percent noise."""
        return round(min(100.0, max(0.0, rng.gauss(self.fill[container_id], 2.0))), 1)


def place_containers(
    districts: Sequence[District], per_district: int, rng: random.Random
) -> list[SimContainer]:
    """`per_district` containers at random places inside each district, of mixed kinds."""
    containers = []
    kinds = sorted(DAYS_TO_FULL)
    for district in districts:
        inner = district.outline.buffer(-100)
        min_x, min_y, max_x, max_y = inner.bounds
        placed = 0
        while placed < per_district:
            at = (rng.uniform(min_x, max_x), rng.uniform(min_y, max_y))
            if not inner.contains(Point(at)):
                continue
            kind = kinds[placed % len(kinds)]
            fastest, slowest = DAYS_TO_FULL[kind]
            days = math.exp(rng.uniform(math.log(fastest), math.log(slowest)))
            number = f"{district.number}-{placed:04d}"
            containers.append(SimContainer(f"sim-{number}", district.number, at, kind, 100 / days))
            placed += 1
    return containers
