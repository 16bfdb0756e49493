"""The simulated containers as an asset file the fleet service imports like the city's own."""

import csv
from pathlib import Path

from stadtmelder_fleet.simulator.world import World

CAPACITY_L = {"underground": 5000, "semi-underground": 3000, "paper": 2500, "glass": 2500}
COLUMNS = ("id", "lat", "lon", "kind", "capacity_l", "district")


def district_area(number: str) -> str:
    """The area id the city's districts go by in the services, e.g. `district-500`."""
    return f"district-{number}"


def write_containers(world: World, path: Path) -> None:
    """A CSV as `python -m stadtmelder_fleet.containers.admin FILE` imports it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for c in world.containers:
            lat, lon = world.projection.to_degrees(*c.at)
            writer.writerow(
                [
                    c.id,
                    f"{lat:.7f}",
                    f"{lon:.7f}",
                    c.kind,
                    CAPACITY_L[c.kind],
                    district_area(c.district),
                ]
            )
