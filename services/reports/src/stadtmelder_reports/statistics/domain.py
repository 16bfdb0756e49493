"""Statistics' rules: what a report's lifecycle events tell about it (its facts), which group
(category, district, department, month) it counts in, and what it adds to that group. Pure.

Every rule is idempotent and independent of arrival order: events of one report come over
several topics, each read by a consumer of its own, so a status change may arrive before the
submission, and any event may come twice.
"""

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Generic, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

from stadtmelder_shared import report_events
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import DepartmentRef

V = TypeVar("V")
# Months are the city's: a report sent at 00:30 on 1 March in Duisburg counts in March.
CITY_TIME = ZoneInfo("Europe/Berlin")
# The department has taken the report up: the first of these ends "time to acknowledge".
TAKEN_UP = frozenset({"acknowledged", "in_progress", "resolved"})
# Before any event: the category a report was sent with yields to any set by staff.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
NO_DISTRICT = ""
NO_DEPARTMENT = ""


@dataclass(frozen=True, slots=True)
class Stamped(Generic[V]):
    """A value with the time of the event that set it: an older event arriving late loses."""

    value: V
    at: datetime


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """What the statistics keep of one report."""

    report_id: str
    submitted_at: datetime | None = None
    category: Stamped[str] | None = None
    district: Stamped[str] | None = None
    department: Stamped[DepartmentRef] | None = None
    status: Stamped[str] | None = None
    # The first time the department took it up, the last time it was resolved.
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    ever_resolved: bool = False
    reopened_not_fixed: bool = False
    hidden: Stamped[bool] | None = None


class GroupKey(NamedTuple):
    category: str
    district: str
    department: str
    month: str  # YYYY-MM


@dataclass(frozen=True, slots=True)
class Contribution:
    """What one report adds to its group; durations in seconds."""

    resolved: bool
    ever_resolved: bool
    reopened: bool
    to_acknowledge: float | None
    to_resolve: float | None


def _stamped(value: V, at: datetime, known: Stamped[V] | None) -> Stamped[V] | None:
    """`value` stamped `at` if that is not older than what is known, else what is known."""
    return Stamped(value, at) if known is None or at >= known.at else known


def _earliest(at: datetime, known: datetime | None) -> datetime:
    return at if known is None or at < known else known


def _latest(at: datetime, known: datetime | None) -> datetime:
    return at if known is None or at > known else known


def after(facts: ReportFacts, event: Event) -> ReportFacts:
    """The facts once `event` is known too."""
    at = stored_time(event.occurred_at)
    match event:
        case report_events.ReportSubmitted():
            return submitted(facts, at, event.category.code)
        case report_events.ReportRouted() | report_events.ReportUnroutable():
            department = _stamped(event.department, at, facts.department)
            area = event.area if isinstance(event, report_events.ReportRouted) else None
            # The newest routing that found the place's district decides it.
            district = _stamped(area, at, facts.district) if area else facts.district
            facts = replace(facts, district=district, department=department)
            # Routing's answer carries the submission: the report counts from it alone.
            if event.submitted_at is not None:
                facts = submitted(facts, stored_time(event.submitted_at), event.category.code)
            return facts
        case report_events.ReportStatusChanged():
            return _status_changed(facts, event)
        case report_events.ReportModerated() if event.action in ("hidden", "shown"):
            return replace(facts, hidden=_stamped(event.action == "hidden", at, facts.hidden))
    return facts


def submitted(facts: ReportFacts, at: datetime, category: str) -> ReportFacts:
    """The facts once the report's submission at `at` in `category` is known too."""
    # Staff may change the category later; the one it was sent with is the oldest.
    return replace(facts, submitted_at=at, category=_stamped(category, EARLIEST, facts.category))


def stored_time(at: datetime) -> datetime:
    """`at` to the millisecond, as MongoDB keeps it: facts read back equal the facts written."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def _status_changed(facts: ReportFacts, event: report_events.ReportStatusChanged) -> ReportFacts:
    at = stored_time(event.occurred_at)
    facts = replace(
        facts,
        status=_stamped(event.status, at, facts.status),
        department=_stamped(event.forwarded_to or event.department, at, facts.department),
    )
    if event.category is not None:
        facts = replace(facts, category=_stamped(event.category.code, at, facts.category))
    if event.status in TAKEN_UP:
        facts = replace(facts, acknowledged_at=_earliest(at, facts.acknowledged_at))
    if event.status == "resolved":
        facts = replace(facts, resolved_at=_latest(at, facts.resolved_at), ever_resolved=True)
    # A citizen reopens a report only by answering "not fixed" to "is it fixed?".
    if event.status == "reopened" and event.actor.role == "citizen":
        facts = replace(facts, reopened_not_fixed=True)
    return facts


def month_of(at: datetime) -> str:
    return at.astimezone(CITY_TIME).strftime("%Y-%m")


def group_of(facts: ReportFacts) -> GroupKey | None:
    """None for a report not counted: hidden by staff, or its submission not seen yet."""
    hidden = facts.hidden is not None and facts.hidden.value
    if hidden or facts.submitted_at is None or facts.category is None:
        return None
    department = facts.department.value.id if facts.department else NO_DEPARTMENT
    district = facts.district.value if facts.district else NO_DISTRICT
    return GroupKey(facts.category.value, district, department, month_of(facts.submitted_at))


def contribution(facts: ReportFacts) -> Contribution:
    submitted = facts.submitted_at
    resolved = facts.status is not None and facts.status.value == "resolved"

    def since_submitted(at: datetime | None) -> float | None:
        if at is None or submitted is None:
            return None
        return max(0.0, (at - submitted).total_seconds())

    return Contribution(
        resolved=resolved,
        ever_resolved=facts.ever_resolved,
        reopened=facts.reopened_not_fixed,
        to_acknowledge=since_submitted(facts.acknowledged_at),
        to_resolve=since_submitted(facts.resolved_at) if resolved else None,
    )
