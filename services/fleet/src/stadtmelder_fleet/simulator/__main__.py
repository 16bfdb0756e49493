"""`make simulate-fleet`: trucks and containers of a seeded Duisburg publishing sensor readings.

    python -m stadtmelder_fleet.simulator --osm-dir ../shared/data/duisburg-osm \
        [--trucks 10] [--seed 7] [--speed-up 60] [--hours 4] [--containers-file FILE]

The containers must be known to the fleet service first (the Makefile target imports the file
`--containers-file FILE --containers-only` writes); `--truth` prints the seeded defect spots.
"""

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from stadtmelder_fleet.simulator.assets import write_containers
from stadtmelder_fleet.simulator.options import world_of, world_parser
from stadtmelder_fleet.simulator.readings import SOURCE
from stadtmelder_fleet.simulator.run import Pace, simulate
from stadtmelder_fleet.simulator.world import World
from stadtmelder_shared.kafka import KafkaEventPublisher, connect_when_reachable, make_broker
from stadtmelder_shared.settings import ConnectionSettings

log = logging.getLogger("stadtmelder.fleet-simulator")


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = world_parser((__doc__ or "").splitlines()[0])
    parser.add_argument("--speed-up", type=float, default=60.0, help="simulated s per real s")
    parser.add_argument("--hours", type=float, default=4.0, help="simulated hours to run")
    parser.add_argument("--fill-every", type=float, default=60.0, help="minutes between fills")
    parser.add_argument("--containers-file", type=Path, help="write the containers here (CSV)")
    parser.add_argument("--containers-only", action="store_true", help="write them, then stop")
    parser.add_argument("--truth", action="store_true", help="print the defect spots and stop")
    return parser.parse_args(argv)


def print_truth(world: World) -> None:
    for spot in world.spots:
        lat, lon = world.projection.to_degrees(*spot.at)
        print(f"{spot.id}\t{lat:.6f}\t{lon:.6f}")


async def publish(world: World, pace: Pace) -> None:
    settings = ConnectionSettings()
    broker = make_broker(settings.kafka_bootstrap_servers, client_id="stadtmelder-fleet-simulator")
    await connect_when_reachable(broker, settings)
    try:
        published = await simulate(world, KafkaEventPublisher(broker, SOURCE), pace)
    finally:
        await broker.stop()
    log.info("done: %s road and %s fill readings", published.road, published.fill)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    options = arguments(argv)
    world = world_of(options)
    if options.truth:
        print_truth(world)
        return 0
    if options.containers_file:
        write_containers(world, options.containers_file)
        log.info("%s containers written to %s", len(world.containers), options.containers_file)
    if options.containers_only:
        return 0
    pace = Pace(options.speed_up, options.hours * 3600, options.fill_every * 60)
    log.info(
        "%s trucks, %s defect spots, %s containers; %s simulated hours at %s× (Ctrl-C stops)",
        options.trucks, len(world.spots), len(world.containers), options.hours, options.speed_up,
    )  # fmt: skip
    try:
        asyncio.run(publish(world, pace))
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
