"""The statistics read model in memory: per (category, district, department, month) group its
counts and sorted durations, changed report by report, and the figures a selection of groups
gives. A read merges groups, never reports; answers are kept until the next change."""

# `array[float]` in annotations, which Python 3.11 cannot subscript at run time.
from __future__ import annotations

import bisect
import math
from array import array
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from stadtmelder_reports.statistics.domain import Contribution, GroupKey, ReportFacts, group_of
from stadtmelder_reports.statistics.domain import contribution as contribution_of

DIMENSIONS = ("category", "district", "department", "month")
# Answers kept per model version; a page with filters asks for one each.
KEPT_ANSWERS = 64


@dataclass
class Group:
    reports: int = 0
    resolved: int = 0
    ever_resolved: int = 0
    reopened: int = 0
    # Sorted seconds, as C doubles: 8 bytes a duration, and numpy reads them without a copy.
    to_acknowledge: array[float] = field(default_factory=lambda: array("d"))
    to_resolve: array[float] = field(default_factory=lambda: array("d"))

    def count(self, part: Contribution, sign: int) -> None:
        self.reports += sign
        self.resolved += sign * part.resolved
        self.ever_resolved += sign * part.ever_resolved
        self.reopened += sign * part.reopened
        for durations, value in (
            (self.to_acknowledge, part.to_acknowledge),
            (self.to_resolve, part.to_resolve),
        ):
            if value is None:
                continue
            if sign > 0:
                bisect.insort(durations, value)
            else:
                del durations[bisect.bisect_left(durations, value)]


class Selection(NamedTuple):
    """The months from `first_month` to `last_month` (YYYY-MM, both included)."""

    first_month: str
    last_month: str

    # At most one value per filter; None takes every value.
    category: str | None = None
    district: str | None = None
    department: str | None = None

    def takes(self, key: GroupKey) -> bool:
        return (
            self.first_month <= key.month <= self.last_month
            and self.category in (None, key.category)
            and self.district in (None, key.district)
            and self.department in (None, key.department)
        )


@dataclass(frozen=True)
class Figures:
    """Shares from 0 to 1 and durations in seconds; None where nothing was measured."""

    reports: int
    resolved_share: float | None
    acknowledge_median_s: float | None
    acknowledge_p90_s: float | None
    resolve_median_s: float | None
    resolve_p90_s: float | None
    reopened_share: float | None


@dataclass(frozen=True)
class Breakdown:
    total: Figures
    # Per dimension: its values (a category code, district id, ...) with their figures.
    by: dict[str, dict[str, Figures]]


def rank(fraction: float, count: int) -> int:
    """The nearest rank (1-based): a duration that really occurred, never an interpolation."""
    return max(1, math.ceil(fraction * count))


def percentiles(runs: Iterable[array[float]]) -> tuple[float | None, float | None]:
    """The median and 90th percentile of all durations in `runs`, found by selection in numpy
    (linear), not by sorting their union: a year of a city is a few 100,000 durations."""
    views = [np.frombuffer(run, dtype=np.float64) for run in runs if run]
    if not views:
        return None, None
    merged = np.concatenate(views)
    median, ninetieth = rank(0.5, merged.size) - 1, rank(0.9, merged.size) - 1
    parted = np.partition(merged, (median, ninetieth))
    return float(parted[median]), float(parted[ninetieth])


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def figures_of(groups: Iterable[Group]) -> Figures:
    chosen = list(groups)
    reports = sum(g.reports for g in chosen)
    acknowledge = percentiles(g.to_acknowledge for g in chosen)
    resolve = percentiles(g.to_resolve for g in chosen)
    return Figures(
        reports=reports,
        resolved_share=share(sum(g.resolved for g in chosen), reports),
        acknowledge_median_s=acknowledge[0],
        acknowledge_p90_s=acknowledge[1],
        resolve_median_s=resolve[0],
        resolve_p90_s=resolve[1],
        reopened_share=share(sum(g.reopened for g in chosen), sum(g.ever_resolved for g in chosen)),
    )


Held = tuple[GroupKey, Contribution] | None


class Aggregates:
    """Per report only its group and contribution (what taking it out again needs)."""

    def __init__(self) -> None:
        self.groups: dict[GroupKey, Group] = {}
        # The same per (dimension, its value, month): a selection without filters merges these,
        # a few long sorted lists per value instead of thousands of short ones.
        self.margins: dict[tuple[str, str, str], Group] = {}
        self.held: dict[str, Held] = {}
        self.departments: dict[str, str] = {}
        # One key object per group, shared by its reports' entries in `held`.
        self._keys: dict[GroupKey, GroupKey] = {}
        self.version = 0
        self._answers: OrderedDict[Selection, tuple[int, Breakdown]] = OrderedDict()

    def put(self, facts: ReportFacts) -> None:
        key = group_of(facts)
        now: Held = None
        if key is not None:
            now = (self._keys.setdefault(key, key), contribution_of(facts))
        before = self.held.get(facts.report_id)
        if facts.department is not None:
            self.departments[facts.department.value.id] = facts.department.value.name
        if before == now and facts.report_id in self.held:
            return
        if before is not None:
            self._count(*before, sign=-1)
        if now is not None:
            self._count(*now, sign=1)
        self.held[facts.report_id] = now
        self.version += 1

    def _count(self, key: GroupKey, part: Contribution, sign: int) -> None:
        _counted(self.groups, key, part, sign)
        for position, dimension in enumerate(DIMENSIONS):
            _counted(self.margins, (dimension, key[position], key.month), part, sign)

    def breakdown(self, selection: Selection) -> Breakdown:
        kept = self._answers.get(selection)
        if kept is not None and kept[0] == self.version:
            return kept[1]
        answer = self._computed(selection)
        self._answers[selection] = (self.version, answer)
        self._answers.move_to_end(selection)
        while len(self._answers) > KEPT_ANSWERS:
            self._answers.popitem(last=False)
        return answer

    def _computed(self, selection: Selection) -> Breakdown:
        buckets: dict[str, dict[str, list[Group]]] = {dimension: {} for dimension in DIMENSIONS}
        if selection.category is selection.district is selection.department is None:
            for (dimension, value, month), group in self.margins.items():
                if selection.first_month <= month <= selection.last_month:
                    buckets[dimension].setdefault(value, []).append(group)
        else:
            for key, group in self.groups.items():
                if selection.takes(key):
                    for position, dimension in enumerate(DIMENSIONS):
                        buckets[dimension].setdefault(key[position], []).append(group)
        by = {
            dimension: {value: figures_of(groups) for value, groups in sorted(found.items())}
            for dimension, found in buckets.items()
        }
        every_month = [group for groups in buckets["month"].values() for group in groups]
        return Breakdown(figures_of(every_month), by)


def _counted(groups: dict[Any, Group], key: Any, part: Contribution, sign: int) -> None:
    group = groups.setdefault(key, Group())
    group.count(part, sign)
    if group.reports == 0:
        del groups[key]
