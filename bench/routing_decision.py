"""How the routing decision's cost grows with the number of areas: STRtree index vs linear scan.

    .venv/bin/python -m bench.routing_decision

Synthetic models with 10, 1,000 and 10,000 areas (grid cells over Duisburg's bounding box, two
rules per cell plus the city-wide rules) decide for the same random places. The baseline is the
same model with the area lookup replaced by a scan over all areas (vectorised in GEOS, no index).
Prints a table and writes the raw figures to var/bench/routing_decision.json.
"""

import gc
import json
import os
import platform
import random
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import shapely
from shapely import Point, box

from stadtmelder_routing.responsibility import Area, ResponsibilityModel, Rule
from stadtmelder_shared.event_values import Location

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "var" / "bench" / "routing_decision.json"
BBOX = (6.62, 51.33, 6.83, 51.56)  # Duisburg: min lon, min lat, max lon, max lat
GRIDS = {10: (5, 2), 1_000: (40, 25), 10_000: (100, 100)}
CITY_WIDE = {
    "playground_damage": "wbd-gruen",
    "street_light_out": "stadt-licht",
    "road_damage": "wbd-strasse",
    "container_full": "wbd-abfall",
    "graffiti": "wbd-abfall",
    "tree_green_damage": "wbd-gruen",
}
PLACES = 4_000
REPETITIONS = 9
# The scan costs milliseconds at 10,000 areas; fewer places keep the run short, the
# per-decision figure stays comparable.
SCAN_BUDGET = 2_000_000  # area checks per repetition


class LinearScanModel(ResponsibilityModel):
    """The same decision, but every lookup tests every area."""

    def __init__(self, areas: list[Area], rules: list[Rule]) -> None:
        super().__init__(areas, rules)
        self._all = np.array([area.geometry for area in self.areas], dtype=object)

    def areas_at(self, location: Location) -> tuple[Area, ...]:
        hits = np.flatnonzero(shapely.covers(self._all, Point(location.lon, location.lat)))
        found = [self.areas[i] for i in hits]
        return tuple(sorted(found, key=lambda area: (area.kind != "district", area.id)))


def grid(count: int) -> tuple[list[Area], list[Rule]]:
    columns, rows = GRIDS[count]
    min_lon, min_lat, max_lon, max_lat = BBOX
    width, height = (max_lon - min_lon) / columns, (max_lat - min_lat) / rows
    areas, rules = [], [Rule(code, department) for code, department in CITY_WIDE.items()]
    for column in range(columns):
        for row in range(rows):
            area_id = f"cell-{column:03d}-{row:03d}"
            cell = box(
                min_lon + column * width,
                min_lat + row * height,
                min_lon + (column + 1) * width,
                min_lat + (row + 1) * height,
            )
            areas.append(Area(area_id, area_id, "district", cell, approximate=True))
            department = "wbd-strasse" if (column + row) % 2 else "stadt-licht"
            rules.append(Rule("street_light_out", department, area_id=area_id))
            rules.append(Rule("road_damage", "wbd-abfall", area_id=area_id, priority=1))
    return areas, rules


def places(count: int) -> list[tuple[str, Location]]:
    generator = random.Random(20261127)  # noqa: S311 - reproducible places, not secrets
    min_lon, min_lat, max_lon, max_lat = BBOX
    codes = [*CITY_WIDE, "street_light_damaged"]
    return [
        (
            codes[n % len(codes)],
            Location(
                lat=generator.uniform(min_lat, max_lat), lon=generator.uniform(min_lon, max_lon)
            ),
        )
        for n in range(count)
    ]


def microseconds_per_decision(
    model: ResponsibilityModel, sample: list[tuple[str, Location]]
) -> list[float]:
    figures = []
    for _ in range(REPETITIONS):
        gc.collect()
        start = time.perf_counter()
        for category, location in sample:
            model.decide(category, location)
        figures.append((time.perf_counter() - start) / len(sample) * 1e6)
    return figures


@dataclass(frozen=True)
class Result:
    areas: int
    rules: int
    indexed_places: int
    scan_places: int
    indexed_us_per_decision: list[float]
    scan_us_per_decision: list[float]

    @property
    def indexed_median_us(self) -> float:
        return statistics.median(self.indexed_us_per_decision)

    @property
    def scan_median_us(self) -> float:
        return statistics.median(self.scan_us_per_decision)


def measure(count: int, sample: list[tuple[str, Location]]) -> Result:
    areas, rules = grid(count)
    indexed, scanning = ResponsibilityModel(areas, rules), LinearScanModel(areas, rules)
    scan_sample = sample[: max(50, min(len(sample), SCAN_BUDGET // count))]
    for category, location in scan_sample:  # both must give the same answers
        assert indexed.decide(category, location) == scanning.decide(category, location)
    return Result(
        areas=count,
        rules=len(rules),
        indexed_places=len(sample),
        scan_places=len(scan_sample),
        indexed_us_per_decision=microseconds_per_decision(indexed, sample),
        scan_us_per_decision=microseconds_per_decision(scanning, scan_sample),
    )


def print_table(results: list[Result]) -> None:
    base = results[0]
    print(f"routing decision cost, median of {REPETITIONS} repetitions (µs per decision)")
    print()
    print(
        f"{'areas':>7} | {'rules':>6} | {'indexed µs':>10} | {'linear-scan µs':>14} "
        f"| {'indexed ratio to 10':>19} | {'scan ratio to 10':>16}"
    )
    print(f"{'-' * 8}+{'-' * 8}+{'-' * 12}+{'-' * 16}+{'-' * 21}+{'-' * 17}")
    for row in results:
        print(
            f"{row.areas:>7,} | {row.rules:>6,} | {row.indexed_median_us:>10.1f} "
            f"| {row.scan_median_us:>14.1f} "
            f"| {row.indexed_median_us / base.indexed_median_us:>18.2f}× "
            f"| {row.scan_median_us / base.scan_median_us:>15.2f}×"
        )
    growth = results[-1].indexed_median_us / base.indexed_median_us
    verdict = "met" if growth <= 2 else "MISSED"
    print()
    print(
        f"indexed cost at {results[-1].areas:,} areas is {growth:.2f}× that at {base.areas} areas:"
        f" target ≤ 2× {verdict}"
    )


def main() -> int:
    sample = places(PLACES)
    results = [measure(count, sample) for count in GRIDS]
    print_table(results)
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": "routing_decision",
        "at": datetime.now(UTC).isoformat(),
        "python": sys.version.split()[0],
        "shapely": shapely.__version__,
        "geos": shapely.geos_version_string,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "repetitions": REPETITIONS,
        "results": [
            asdict(row)
            | {"indexed_median_us": row.indexed_median_us, "scan_median_us": row.scan_median_us}
            for row in results
        ],
    }
    RESULT.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"raw figures: {RESULT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
