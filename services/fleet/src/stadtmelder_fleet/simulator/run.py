"""A live run: the world's trucks and containers publishing readings, time compressed."""

import asyncio
import itertools
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from stadtmelder_fleet.simulator.bins import FillTruth
from stadtmelder_fleet.simulator.readings import ReadingPublisher, fill_reading, road_reading
from stadtmelder_fleet.simulator.world import World, fleet_rounds
from stadtmelder_shared import topics
from stadtmelder_shared.clock import utc_now

log = logging.getLogger(__name__)
ENDLESS = range(1_000_000)


@dataclass(frozen=True)
class Pace:
    """How much simulated time passes, how fast, and how often containers report."""

    speed_up: float = 60.0
    duration_s: float = 4 * 3600.0
    fill_every_s: float = 3600.0


@dataclass
class Published:
    road: int = 0
    fill: int = 0


async def simulate(
    world: World,
    publisher: ReadingPublisher,
    pace: Pace,
    now: Callable[[], datetime] = utc_now,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Published:
    """Publish the run's readings at `pace`.

    The simulated clock starts `duration_s` before now and, running `speed_up` times faster,
    catches up with the wall clock at the end: no reading is ever from the future, and all of
    them fall in the fleet's recent window. Containers start part full and are not emptied in
    a run of hours; bench/fleet_simulation.py weighs emptying policies over weeks.
    """
    started_at = now() - timedelta(seconds=pace.duration_s)
    rng = random.Random(world.shape.seed)  # noqa: S311 - a reproducible world
    bins = FillTruth(world.containers)
    for container in world.containers:
        bins.fill[container.id] = rng.uniform(0, 85)
    published = Published()
    real_start = time.monotonic()
    next_fill = 0.0
    samples = fleet_rounds(world, ENDLESS)
    for second, same_second in itertools.groupby(samples, key=lambda s: s.seconds):
        if second > pace.duration_s:
            break
        if second >= next_fill:
            hours = pace.fill_every_s / 3600 if next_fill else 0.0
            moment = started_at + timedelta(seconds=next_fill)
            bins.advance(hours, moment.weekday(), rng)
            fills = [fill_reading(c, bins.sensed(c.id, rng), moment) for c in world.containers]
            await asyncio.gather(*(publisher.publish(topics.CONTAINER_FILL, r) for r in fills))
            published.fill += len(fills)
            next_fill += pace.fill_every_s
        ahead = second / pace.speed_up - (time.monotonic() - real_start)
        if ahead > 0:
            await sleep(ahead)
        road = [road_reading(s, world.projection, started_at) for s in same_second]
        await asyncio.gather(*(publisher.publish(topics.ROAD_ROUGHNESS, r) for r in road))
        published.road += len(road)
        if published.road % 10_000 < len(road):
            log.info("%s road and %s fill readings published", published.road, published.fill)
    return published
