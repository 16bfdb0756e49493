"""The emptying plan of a district for a day: which containers are due, in which rounds, and
what that saves against emptying every container of the district."""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from stadtmelder_fleet.containers.domain import DUE_FILL_PERCENT, NEXT_ROUND, Container, is_due
from stadtmelder_fleet.containers.forecast import Forecast
from stadtmelder_fleet.containers.routes import Route, Stop, build_routes, distance_matrix
from stadtmelder_shared.event_values import Location


class Depot(NamedTuple):
    """Where the trucks start and end, and what one holds."""

    location: Location
    truck_capacity_l: int


@dataclass(frozen=True)
class DueContainer:
    """A container to empty on the day, with why."""

    container: Container
    # None for a container that has never reported: it is emptied, since nobody can vouch for it.
    expected_fill_percent: float | None
    full_at: datetime | None


@dataclass(frozen=True)
class EmptyingPlan:
    """The rounds of a district for a day, and what they save."""

    district: str
    day: date
    due: tuple[DueContainer, ...]
    routes: tuple[Route, ...]
    # The fixed round: every container of the district, on the same rounds' terms.
    district_containers: int
    fixed_round_m: int

    @property
    def distance_m(self) -> int:
        return sum(route.distance_m for route in self.routes)

    @property
    def emptyings_saved(self) -> int:
        return self.district_containers - len(self.due)

    @property
    def distance_saved_m(self) -> int:
        return self.fixed_round_m - self.distance_m


def due_containers(
    containers: Sequence[Container],
    forecasts: Mapping[str, Forecast],
    at: datetime,
    threshold: float = DUE_FILL_PERCENT,
) -> list[DueContainer]:
    """The containers due at `at` (the plan day's end), fullest first."""
    due = []
    for container in containers:
        forecast = forecasts.get(container.id)
        if forecast is None:
            due.append(DueContainer(container, None, None))
        elif is_due(
            fill := forecast.expected_fill(at), forecast.expected_fill(at + NEXT_ROUND), threshold
        ):
            due.append(DueContainer(container, fill, forecast.full_at))
    return sorted(due, key=lambda d: (-(d.expected_fill_percent or 100.0), d.container.id))


def load_l(container: Container, fill_percent: float | None) -> int:
    """What a truck takes from the container: its expected fill, or all of it if unknown."""
    share = 100.0 if fill_percent is None else fill_percent
    return math.ceil(container.capacity_l * share / 100.0)


def plan_emptying(
    district: str,
    day: date,
    at: datetime,
    containers: Sequence[Container],
    forecasts: Mapping[str, Forecast],
    depot: Depot,
    time_limit_s: float,
    threshold: float = DUE_FILL_PERCENT,
    *,
    solve_by: float | None = None,
) -> EmptyingPlan:
    """The plan for `day`, judging fills at `at` (the end of that day).

    The fixed round is solved by the same solver with the same time limit, so the saving
    compares like with like; the plan thus takes up to twice the limit, and less when it must
    be done by `solve_by` (POSIX seconds): each search then gets its share of the time left.
    """
    due = due_containers(containers, forecasts, at, threshold)
    # One matrix for both: the due containers are some of the district's.
    matrix = distance_matrix([depot.location, *(c.location for c in containers)])
    row = {container.id: number for number, container in enumerate(containers, 1)}
    due_rows = [0, *(row[d.container.id] for d in due)]
    routes = build_routes(
        depot.location,
        [Stop(d.container, load_l(d.container, d.expected_fill_percent)) for d in due],
        depot.truck_capacity_l,
        time_limit_s,
        [[matrix[i][j] for j in due_rows] for i in due_rows],
        solve_by=solve_by,
        searches=2,
    )
    everything = [Stop(c, load_l(c, _fill(forecasts.get(c.id), at))) for c in containers]
    fixed = build_routes(
        depot.location,
        everything,
        depot.truck_capacity_l,
        time_limit_s,
        matrix,
        solve_by=solve_by,
    )
    return EmptyingPlan(
        district,
        day,
        tuple(due),
        tuple(routes),
        len(containers),
        sum(route.distance_m for route in fixed),
    )


def _fill(forecast: Forecast | None, at: datetime) -> float | None:
    return None if forecast is None else forecast.expected_fill(at)
