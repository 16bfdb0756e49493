"""How fast each container fills and when it will be full, from its readings alone."""

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import combinations

from stadtmelder_fleet.containers.domain import FillReading, is_emptying

DAY_S = 86_400.0
# A cycle shorter than this says too little about the pace: the container's earlier cycles do.
MIN_CYCLE_SPAN = timedelta(hours=12)
MIN_CYCLE_READINGS = 3
# Theil-Sen over all pairs grows with the square of the readings: the latest ones suffice.
SLOPE_READINGS = 24
# Pairs measured closer together than this mostly measure the sensor's jitter.
MIN_PAIR_GAP_S = 3_600.0


@dataclass(frozen=True)
class Forecast:
    container_id: str
    last_fill_percent: float
    last_measured_at: datetime
    # Percentage points per day; None when nothing tells the pace yet.
    rate_per_day: float | None

    def expected_fill(self, at: datetime) -> float:
        """The fill expected at `at`, at most 100 % (what does not fit lies beside it)."""
        days = max((at - self.last_measured_at).total_seconds(), 0.0) / DAY_S
        grown = self.last_fill_percent + (self.rate_per_day or 0.0) * days
        return min(grown, 100.0)

    @property
    def full_at(self) -> datetime | None:
        """When it reaches 100 %: now if it is full, never if it does not fill."""
        if self.last_fill_percent >= 100.0:
            return self.last_measured_at
        if not self.rate_per_day:
            return None
        days = (100.0 - self.last_fill_percent) / self.rate_per_day
        return self.last_measured_at + timedelta(days=days)


def fill_cycles(readings: Iterable[FillReading]) -> list[list[FillReading]]:
    """The readings split into cycles, each from one emptying to the next, oldest first."""
    ordered = sorted(readings, key=lambda reading: reading.measured_at)
    cycles: list[list[FillReading]] = []
    for reading in ordered:
        if cycles and not is_emptying(cycles[-1][-1], reading):
            cycles[-1].append(reading)
        else:
            cycles.append([reading])
    return cycles


def fill_rate_per_day(cycle: Sequence[FillReading]) -> float | None:
    """The cycle's pace in percentage points a day: the median of the slopes between its
    readings (Theil-Sen), which one wild reading cannot drag; None if no pair says anything."""
    slopes = [
        (later.fill_percent - earlier.fill_percent) * DAY_S / gap
        for earlier, later in combinations(cycle[-SLOPE_READINGS:], 2)
        if (gap := (later.measured_at - earlier.measured_at).total_seconds()) >= MIN_PAIR_GAP_S
    ]
    return max(statistics.median(slopes), 0.0) if slopes else None


def is_telling(cycle: Sequence[FillReading]) -> bool:
    span = cycle[-1].measured_at - cycle[0].measured_at
    return len(cycle) >= MIN_CYCLE_READINGS and span >= MIN_CYCLE_SPAN


def forecast(container_id: str, readings: Iterable[FillReading]) -> Forecast | None:
    """The container's forecast, or None without readings.

    The pace comes from the current cycle once it tells enough; until then (just emptied) from
    the median pace of the container's earlier cycles, its usual pace.
    """
    cycles = fill_cycles(readings)
    if not cycles:
        return None
    current, earlier = cycles[-1], cycles[:-1]
    rate = fill_rate_per_day(current) if is_telling(current) else None
    if rate is None:
        usual = [r for c in earlier if is_telling(c) and (r := fill_rate_per_day(c)) is not None]
        rate = statistics.median(usual) if usual else fill_rate_per_day(current)
    last = current[-1]
    return Forecast(container_id, last.fill_percent, last.measured_at, rate)
