"""Emptying by plan against the fixed weekly round, over simulated weeks of the simulator's truth.

Both policies start from the weekly round's steady state (each district emptied on its own
weekday), run one warm-up week on that round so the sensors have a history, and are then
counted over the weeks asked for. The plan empties, each morning, the containers the fleet
service's forecast and due rule (containers.planning.due_containers) name for that day.
"""

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from stadtmelder_fleet.containers.domain import Container, FillReading
from stadtmelder_fleet.containers.forecast import Forecast, forecast
from stadtmelder_fleet.containers.planning import due_containers
from stadtmelder_fleet.simulator.assets import district_area
from stadtmelder_fleet.simulator.bins import FillTruth, SimContainer
from stadtmelder_fleet.simulator.world import World
from stadtmelder_shared.event_values import Location

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
WARM_UP_DAYS = 7
SENSE_EVERY_H = 6
PLAN_HOUR = 6
CAPACITY_L = 3000

Choose = Callable[[datetime, dict[str, list[FillReading]]], Sequence[str]]


@dataclass(frozen=True)
class EmptyingOutcome:
    policy: str
    containers: int
    days: int
    emptyings: int
    highest_fill_percent: float
    overflowing: int


def round_weekday(world: World, container: SimContainer) -> int:
    """The fixed round empties district n (in the world's order) on weekday n."""
    numbers = [d.number for d in world.districts]
    return numbers.index(container.district) % 7


def fixed_round(world: World) -> Choose:
    def choose(at: datetime, _: dict[str, list[FillReading]]) -> list[str]:
        return [c.id for c in world.containers if round_weekday(world, c) == at.weekday()]

    return choose


def by_plan(world: World) -> Choose:
    containers = [as_container(world, c) for c in world.containers]

    def choose(at: datetime, history: dict[str, list[FillReading]]) -> list[str]:
        forecasts: dict[str, Forecast] = {}
        for container in containers:
            if (found := forecast(container.id, history[container.id])) is not None:
                forecasts[container.id] = found
        end_of_day = at.replace(hour=0) + timedelta(days=1)
        return [due.container.id for due in due_containers(containers, forecasts, end_of_day)]

    return choose


def as_container(world: World, container: SimContainer) -> Container:
    lat, lon = world.projection.to_degrees(*container.at)
    return Container(
        container.id,
        Location(lat=lat, lon=lon),
        container.kind,
        CAPACITY_L,
        district_area(container.district),
    )


def steady_state(world: World, truth: FillTruth) -> None:
    """Each container as full as the days since its district's round day made it."""
    for c in world.containers:
        days = (START.weekday() - round_weekday(world, c)) % 7 or 7
        truth.fill[c.id] = c.percent_per_day * (days - 1 + (24 - PLAN_HOUR) / 24)


def run_policy(world: World, name: str, choose: Choose, weeks: int) -> EmptyingOutcome:
    # The same seeds for both policies: the same waste arrives, the same sensors jitter.
    waste = random.Random(world.shape.seed)  # noqa: S311 - a reproducible world, not secrets
    sensors = random.Random(world.shape.seed + 1)  # noqa: S311
    truth = FillTruth(world.containers)
    steady_state(world, truth)
    history: dict[str, list[FillReading]] = {c.id: [] for c in world.containers}
    warm_up = fixed_round(world)
    for hour in range((WARM_UP_DAYS + 7 * weeks) * 24):
        at = START + timedelta(hours=hour)
        if hour == WARM_UP_DAYS * 24:
            truth.start_counting()
        if at.hour == PLAN_HOUR:
            policy = warm_up if hour < WARM_UP_DAYS * 24 else choose
            for container_id in policy(at, history):
                truth.empty(container_id)
        if hour % SENSE_EVERY_H == 0:
            for c in world.containers:
                history[c.id].append(FillReading(c.id, at, truth.sensed(c.id, sensors)))
        truth.advance(1, at.weekday(), waste)
    return EmptyingOutcome(
        name,
        len(world.containers),
        7 * weeks,
        truth.emptyings,
        round(truth.highest, 1),
        len(truth.overflowed),
    )


def compare(world: World, weeks: int) -> tuple[EmptyingOutcome, EmptyingOutcome]:
    """(fixed round, by plan) over `weeks` after the warm-up week."""
    return (
        run_policy(world, "fixed weekly round", fixed_round(world), weeks),
        run_policy(world, "by plan (the fleet's due rule)", by_plan(world), weeks),
    )
