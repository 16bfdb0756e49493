"""The simulated containers as an asset file the fleet service imports like the city's own."""

import csv
from pathlib import Path

from stadtmelder_fleet.simulator.world import World

CAPACITY_L = {"underground": 5000, "semi-underground": 3000, "paper": 2500, "glass": 2500}
COLUMNS = ("id", "lat", "lon", "type", "capacity_l", "district")


def write_containers(world: World, path: Path) -> None:
    """A CSV with the columns of the container import (id, lat, lon, type, capacity, district)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for c in world.containers:
            lat, lon = world.projection.to_degrees(*c.at)
            writer.writerow(
                [c.id, f"{lat:.7f}", f"{lon:.7f}", c.kind, CAPACITY_L[c.kind], c.district]
            )
