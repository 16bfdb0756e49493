"""Made-up report lifecycles for the statistics tests: the events each would send, and the
figures a plain count over the lifecycles themselves gives (the brute force they must equal)."""

import math
import random
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from stadtmelder_reports.statistics.figures import DIMENSIONS, Selection
from stadtmelder_reports.statistics.service import StatisticsService
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Actor, CategoryRef, DepartmentRef, Location
from stadtmelder_shared.report_events import (
    ReportModerated,
    ReportRouted,
    ReportStatusChanged,
    ReportSubmitted,
)

CATEGORIES = ("road_damage", "street_light_out", "illegal_dumping", "playground_damage")
DISTRICTS = ("district-100", "district-500", "district-700", None)
DEPARTMENTS = ("wbd-strasse", "stadt-licht", "wbd-gruen")
START = datetime(2026, 1, 1, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
CLERK = Actor(role="clerk", user_id="c1")
CITIZEN = Actor(role="citizen")


@dataclass
class Lifecycle:
    """One report's life as it happened; `steps` are (status, at, actor) in order."""

    report_id: str
    submitted_at: datetime
    category: str
    district: str | None
    department: str
    steps: list[tuple[str, datetime, Actor]] = field(default_factory=list)
    forwarded_to: str | None = None
    recategorised: str | None = None
    hidden: bool = False

    def events(self, jurisdiction: str = "duisburg") -> list[tuple[str, Event]]:
        """(topic, event) in the order the report's owner would send them."""
        base = {"report_id": self.report_id, "jurisdiction": jurisdiction}
        category = CategoryRef(code=self.category, names={"de": self.category})
        sent: list[tuple[str, Event]] = [
            (
                "reports.submitted",
                ReportSubmitted(
                    **base,
                    occurred_at=self.submitted_at,
                    category=category,
                    description="x",
                    location=Location(lat=51.43, lon=6.76),
                ),
            ),
            (
                "reports.routed",
                ReportRouted(
                    **base,
                    occurred_at=self.submitted_at + timedelta(seconds=5),
                    category=category,
                    department=_department(self.department),
                    rule="test",
                    caused_by="c",
                    area=self.district,
                    submitted_at=self.submitted_at,
                ),
            ),
        ]
        previous = "routed"
        for index, (status, at, actor) in enumerate(self.steps):
            forwarded = self.forwarded_to if index == 0 and self.forwarded_to else None
            recategorised = self.recategorised if index == 0 else None
            sent.append(
                (
                    "reports.status-changed",
                    ReportStatusChanged(
                        **base,
                        occurred_at=at,
                        status=status,
                        previous_status=previous,
                        department=_department(
                            self.forwarded_to if index and self.forwarded_to else self.department
                        ),
                        actor=actor,
                        forwarded_to=_department(forwarded) if forwarded else None,
                        category=CategoryRef(code=recategorised, names={"de": recategorised})
                        if recategorised
                        else None,
                    ),
                )
            )
            previous = status
        if self.hidden:
            moment = self.submitted_at + timedelta(minutes=30)
            sent.append(
                (
                    "reports.moderated",
                    ReportModerated(
                        **base, occurred_at=moment, action="hidden", reason="x", actor=CLERK
                    ),
                )
            )
        return sent


def _department(department_id: str) -> DepartmentRef:
    return DepartmentRef(id=department_id, name=department_id.upper())


def lifecycles(
    count: int, seed: int = 7, prefix: str = "S", start: datetime = START
) -> list[Lifecycle]:
    chance = random.Random(seed)
    made = []
    for number in range(count):
        submitted = start + timedelta(minutes=chance.randrange(0, 365 * 24 * 60))
        life = Lifecycle(
            report_id=f"{prefix}{number:05d}",
            submitted_at=submitted,
            category=chance.choice(CATEGORIES),
            district=chance.choice(DISTRICTS),
            department=chance.choice(DEPARTMENTS),
            hidden=chance.random() < 0.05,
        )
        at = submitted + timedelta(seconds=5)
        for status in ("acknowledged", "in_progress", "resolved"):
            if chance.random() < 0.2:
                break
            at += timedelta(minutes=chance.randrange(1, 20_000))
            life.steps.append((status, at, CLERK))
        if life.steps and life.steps[-1][0] == "resolved" and chance.random() < 0.3:
            at += timedelta(hours=chance.randrange(1, 300))
            life.steps.append(("reopened", at, CITIZEN))
            if chance.random() < 0.6:
                at += timedelta(hours=chance.randrange(1, 300))
                life.steps.append(("resolved", at, CLERK))
        # Staff forward or recategorise with their first step, if they took one.
        if life.steps and chance.random() < 0.1:
            life.forwarded_to = chance.choice(DEPARTMENTS)
        if life.steps and chance.random() < 0.1:
            life.recategorised = chance.choice(CATEGORIES)
        made.append(life)
    return made


def delivered(
    lives: Iterable[Lifecycle], seed: int = 11, repeated: float = 0.1
) -> list[tuple[str, Event]]:
    """Every event, each topic in its own order but the topics interleaved at random, as
    consumers of separate topics see them, with some events delivered twice."""
    chance = random.Random(seed)
    queues: dict[str, list[Event]] = {}
    for life in lives:
        for topic, event in life.events():
            queues.setdefault(topic, []).append(event)
    out: list[tuple[str, Event]] = []
    while queues:
        # Each topic drains at its own pace, in proportion to what it still holds: one report's
        # status change comes before its routing about as often as after it.
        names = sorted(queues)
        topic = chance.choices(names, weights=[len(queues[name]) for name in names])[0]
        event = queues[topic].pop(0)
        out.append((topic, event))
        if chance.random() < repeated:
            out.append((topic, event))
        if not queues[topic]:
            del queues[topic]
    return out


# --- the brute force -------------------------------------------------------------------------

Counted = dict[str, float | int | None]


def _nearest_rank(values: list[float], fraction: float) -> float | None:
    ordered = sorted(values)
    return ordered[math.ceil(fraction * len(ordered)) - 1] if ordered else None


def month(life: Lifecycle) -> str:
    return life.submitted_at.astimezone(BERLIN).strftime("%Y-%m")


def key_of(life: Lifecycle, dimension: str) -> str:
    match dimension:
        case "category":
            return life.recategorised or life.category
        case "district":
            return life.district or ""
        case "department":
            return life.forwarded_to or life.department
    return month(life)


def brute_force(lives: Iterable[Lifecycle], keep: Callable[[Lifecycle], bool]) -> Counted:
    """The figures of the kept, visible reports, counted from their lifecycles alone."""
    chosen = [life for life in lives if not life.hidden and keep(life)]
    to_acknowledge, to_resolve = [], []
    resolved = ever_resolved = reopened = 0
    for life in chosen:
        taken_up = [at for status, at, _ in life.steps if status != "reopened"]
        if taken_up:
            to_acknowledge.append((taken_up[0] - life.submitted_at).total_seconds())
        if life.steps and life.steps[-1][0] == "resolved":
            resolved += 1
            to_resolve.append((life.steps[-1][1] - life.submitted_at).total_seconds())
        ever_resolved += any(status == "resolved" for status, _, _ in life.steps)
        reopened += any(status == "reopened" for status, _, _ in life.steps)
    return {
        "reports": len(chosen),
        "resolved_share": resolved / len(chosen) if chosen else None,
        "acknowledge_median_s": _nearest_rank(to_acknowledge, 0.5),
        "acknowledge_p90_s": _nearest_rank(to_acknowledge, 0.9),
        "resolve_median_s": _nearest_rank(to_resolve, 0.5),
        "resolve_p90_s": _nearest_rank(to_resolve, 0.9),
        "reopened_share": reopened / ever_resolved if ever_resolved else None,
    }


def keeps(selection: Selection) -> Callable[[Lifecycle], bool]:
    def keep(life: Lifecycle) -> bool:
        wanted = {"category": selection.category, "district": selection.district}
        wanted["department"] = selection.department
        return selection.first_month <= month(life) <= selection.last_month and all(
            value is None or key_of(life, dimension) == value for dimension, value in wanted.items()
        )

    return keep


def assert_equal_to_brute_force(
    statistics: StatisticsService, lives: list[Lifecycle], selections: Iterable[Selection]
) -> None:
    for selection in selections:
        found = statistics.breakdown(selection)
        keep = keeps(selection)
        assert asdict(found.total) == brute_force(lives, keep), selection
        for dimension in DIMENSIONS:
            for key, figures in found.by[dimension].items():

                def both(
                    life: Lifecycle,
                    d: str = dimension,
                    k: str = key,
                    kept: Callable[[Lifecycle], bool] = keep,
                ) -> bool:
                    return kept(life) and key_of(life, d) == k

                assert asdict(figures) == brute_force(lives, both), (selection, dimension, key)
            shown = sum(f.reports for f in found.by[dimension].values())
            assert shown == found.total.reports
