"""`make bench-fleet`: the fleet service's domain on the simulator's seeded truth, in process.

Road damage: the share of seeded defect spots that became reports (target ≥ 90 %) and the
reports on smooth road (target 0). Emptying: emptyings by plan against the fixed weekly round
over four simulated weeks (target ≥ 30 % fewer, no container over 100 %).

    .venv/bin/python -m bench.fleet_simulation --osm-dir ../shared/data/duisburg-osm \
        [--seed 7] [--trucks 10] [--road-days 7] [--weeks 4]
"""

import argparse
import asyncio
import sys
from collections.abc import Sequence

from bench.figures import show, table
from bench.fleet_emptying import EmptyingOutcome, compare
from bench.fleet_roads import RoadOutcome, evaluate_roads
from bench.load_report import verdict
from stadtmelder_fleet.simulator.options import world_of, world_parser

FOUND_TARGET_PERCENT = 90.0
FEWER_TARGET_PERCENT = 30.0


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = world_parser((__doc__ or "").splitlines()[0])
    parser.add_argument("--road-days", type=int, default=7, help="days of rounds, one a truck")
    parser.add_argument("--weeks", type=int, default=4, help="weeks of emptying compared")
    return parser.parse_args(argv)


def road_table(road: RoadOutcome) -> str:
    rows = [
        ["seeded defect spots", show(road.spots), ""],
        ["became reports", f"{road.found} ({road.found_percent:.0f} %)",
         verdict(road.found_percent >= FOUND_TARGET_PERCENT)],
        ["reports", show(road.reports), ""],
        ["findings (one per damage)", show(road.findings), verdict(road.findings == road.reports)],
        ["reports on smooth road", show(road.on_smooth_road), verdict(road.on_smooth_road == 0)],
        ["second reports at a defect", show(road.second_reports),
         verdict(road.second_reports == 0)],
        ["cleared, though nothing was repaired", show(road.cleared), verdict(road.cleared == 0)],
        ["readings", show(road.readings), ""],
        ["readings handled per second", show(road.readings_per_second, digits=0), ""],
    ]  # fmt: skip
    title = f"Road damage over {road.days} days of rounds (≥ 90 % found, 0 on smooth road)"
    return f"{title}\n{table(['', 'figure', 'target'], rows)}"


def emptying_table(fixed: EmptyingOutcome, plan: EmptyingOutcome) -> str:
    fewer = 100.0 * (fixed.emptyings - plan.emptyings) / fixed.emptyings
    rows = [
        [o.policy, show(o.emptyings), show(o.highest_fill_percent, " %"), show(o.overflowing)]
        for o in (fixed, plan)
    ]
    title = (
        f"Emptying {plan.containers} containers over {plan.days} days: by plan {fewer:.1f} % "
        f"fewer emptyings ({verdict(fewer >= FEWER_TARGET_PERCENT)}), "
        f"none over 100 % ({verdict(plan.overflowing == 0)})"
    )
    headers = ["policy", "emptyings", "fullest", "over 100 %"]
    return f"{title}\n{table(headers, rows)}"


def main(argv: Sequence[str] | None = None) -> int:
    options = arguments(argv)
    world = world_of(options)
    print(f"seed {options.seed}: {options.trucks} trucks, {len(world.spots)} defect spots, "
          f"{len(world.containers)} containers in {len(world.districts)} districts\n")  # fmt: skip
    road = asyncio.run(evaluate_roads(world, options.road_days))
    print(road_table(road), end="\n\n", flush=True)
    fixed, plan = compare(world, options.weeks)
    print(emptying_table(fixed, plan))
    met = (
        road.found_percent >= FOUND_TARGET_PERCENT
        and road.on_smooth_road == 0
        and plan.emptyings <= fixed.emptyings * (1 - FEWER_TARGET_PERCENT / 100)
        and plan.overflowing == 0
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
