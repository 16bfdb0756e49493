"""Containers, their fill readings and the rules that decide when one needs emptying."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, NamedTuple, get_args

from stadtmelder_shared.event_values import Location
from stadtmelder_shared.sensor_readings import ContainerType

CONTAINER_TYPES: tuple[ContainerType, ...] = get_args(ContainerType)
ReadingSource = Literal["sensor", "citizen"]

# A container counts as due when it will be at least this full on the day of the plan.
DUE_FILL_PERCENT = 80.0
# Plans are made every day: a container left out today is emptied at the latest a day later.
NEXT_ROUND = timedelta(days=1)
# Ultrasonic sensors jitter and waste settles: a fall of less than this is noise, not an emptying.
EMPTYING_DROP_PERCENT = 15.0
# A citizen's "container full" report says the container is full, nothing finer.
CITIZEN_REPORTED_FILL = 100.0
# A citizen report names the container it lies this close to (the issue: about 25 m).
CITIZEN_REPORT_SNAP_M = 25.0


class ContainerError(Exception):
    """Base of the container feature's errors."""


class UnknownContainer(ContainerError):
    """A reading or request names a container that was never imported."""


class ContainerImportError(ContainerError, ValueError):
    """Rows of a container file that cannot be imported; the message names each one."""


class PlanningError(ContainerError, ValueError):
    """A plan that cannot be made as asked (no depot, a container larger than the truck...)."""


class UnknownDistrict(PlanningError):
    """A plan asked for a district in which no container is known."""


@dataclass(frozen=True)
class Container:
    """A waste container the trucks empty, as the city imported it."""

    id: str
    location: Location
    type: ContainerType
    capacity_l: int
    district: str


class FillReading(NamedTuple):
    """How full a container was at a moment, by its sensor or a citizen's report."""

    container_id: str
    measured_at: datetime
    fill_percent: float
    source: ReadingSource = "sensor"


def is_emptying(before: FillReading, after: FillReading) -> bool:
    """Whether the container was emptied between two readings in time order."""
    return before.fill_percent - after.fill_percent >= EMPTYING_DROP_PERCENT


def is_due(
    fill_on_the_day: float, fill_by_next_round: float, threshold: float = DUE_FILL_PERCENT
) -> bool:
    """Due when it will be `threshold` % full by the day's end, or full before the next day's
    round could empty it (a container filling faster than the threshold's margin a day)."""
    return fill_on_the_day >= threshold or fill_by_next_round >= 100.0
