"""Reports as the citizen sees them: the report, its history, notices, feedback and rules."""

import hashlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from stadtmelder_reports.photos.cleaning import CleanPhoto
from stadtmelder_shared.citizen_events import ReportSupported
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import (
    Actor,
    Answer,
    CategoryRef,
    DepartmentRef,
    Language,
    Location,
    PlaygroundRef,
    Reporter,
    WorksRef,
)
from stadtmelder_shared.geo import distance_m
from stadtmelder_shared.report_events import ReportModerated, ReportRouted
from stadtmelder_shared.sealing import Sealed

DESCRIPTION_MAX_LENGTH = 4000
ADDRESS_MAX_LENGTH = 300
MAX_PHOTOS = 3
# More than any category asks; the bound keeps one request from carrying a problem per key.
MAX_ANSWERS = 50
OPEN_STATUSES = frozenset(
    {"submitted", "triage", "routed", "acknowledged", "in_progress", "reopened"}
)
# Crockford's base32 without I, L, O, U: ids are read out over the phone.
_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass(frozen=True)
class Submission:
    """What a citizen asks us to record, before it becomes a report."""

    category: str
    description: str
    location: Location | None = None
    address: str | None = None
    answers: Mapping[str, Any] = field(default_factory=dict)
    language: Language = "de"
    contact: Reporter | None = None
    client_id: str | None = None


@dataclass(frozen=True)
class StatusChange:
    """One step of the report's history; `actor` and `reason` are for staff eyes only."""

    status: str
    at: datetime
    event_id: str
    department: DepartmentRef | None = None
    public_comment: str | None = None
    reason: str | None = None
    duplicate_of: str | None = None
    actor: Actor | None = None


Visibility = Literal["public", "internal"]


@dataclass(frozen=True)
class Comment:
    """A public comment for everyone, or an internal note for staff; the id is its event's id."""

    id: str
    visibility: Visibility
    text: str
    at: datetime
    actor: Actor


FeedbackOutcome = Literal["fixed", "partly", "not_fixed"]
FEEDBACK_OUTCOMES: tuple[FeedbackOutcome, ...] = ("fixed", "partly", "not_fixed")
FEEDBACK_COMMENT_MAX_LENGTH = 2000


@dataclass(frozen=True)
class Feedback:
    """A citizen's answer to "is it fixed?"; the id is its FeedbackReceived event's id.

    Public without a comment: a comment becomes an internal note, as it may name people.
    """

    id: str
    outcome: FeedbackOutcome
    rating: int | None
    at: datetime


@dataclass(frozen=True)
class Notice:
    """Notify told a citizen about a step; never whom. The id is the CitizenNotified's id."""

    id: str
    step: str
    channel: str
    at: datetime


@dataclass(frozen=True)
class PhotoRef:
    number: int
    media_type: str
    width: int
    height: int


@dataclass
class Report:
    id: str
    jurisdiction: str
    category: CategoryRef
    description: str
    location: Location | None
    language: Language
    reporter: Reporter | None
    created_at: datetime
    address: str | None = None
    answers: dict[str, Answer] = field(default_factory=dict)
    status: str = "submitted"
    department: DepartmentRef | None = None
    history: list[StatusChange] = field(default_factory=list)
    photos: list[PhotoRef] = field(default_factory=list)
    supporter_count: int = 0
    tracking_token_hash: str = ""
    client_id: str | None = None
    assignee: str | None = None
    due_at: datetime | None = None
    comments: list[Comment] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    # Set when the reporter had their contact data erased; staff see the date instead.
    contact_erased_at: datetime | None = None
    # What staff changed of the public view, as announced: the report's own moderation history.
    moderation: list[ReportModerated] = field(default_factory=list)
    # The known works its place lay in when it was routed (current or planned then).
    works: list[WorksRef] = field(default_factory=list)
    pending_events: list[tuple[str, Event]] = field(default_factory=list)
    # W3C traceparent per pending event id: the relay publishes later, in the trace that wrote it.
    trace_contexts: dict[str, str] = field(default_factory=dict)
    # The imported playground within 50 m, set at intake for a playground report.
    playground: PlaygroundRef | None = None
    # Bumped by every write; staff work writes only on the revision it read.
    revision: int = 1

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def updated_at(self) -> datetime:
        return self.history[-1].at if self.history else self.created_at

    def is_overdue(self, now: datetime) -> bool:
        return self.is_open and self.due_at is not None and self.due_at < now

    @property
    def hidden(self) -> bool:
        shown_or_hidden = [m.action for m in self.moderation if m.action in ("hidden", "shown")]
        return bool(shown_or_hidden) and shown_or_hidden[-1] == "hidden"

    @property
    def public_description(self) -> str:
        redactions = [m.public_description for m in self.moderation if m.public_description]
        return redactions[-1] if redactions else self.description

    @property
    def removed_photos(self) -> frozenset[int]:
        return frozenset(
            m.photo for m in self.moderation if m.action == "photo_removed" and m.photo
        )

    @property
    def public_photos(self) -> list[PhotoRef]:
        """The photos the photo URLs serve: none of a hidden report, none staff removed."""
        if self.hidden:
            return []
        return [photo for photo in self.photos if photo.number not in self.removed_photos]


@dataclass(frozen=True)
class WorkStep:
    """A report's state after one piece of department work, with what it adds and announces.

    Stored in one atomic write: the new state, history steps, comments and outbox events.
    """

    status: str
    department: DepartmentRef | None
    assignee: str | None
    due_at: datetime | None
    changes: tuple[StatusChange, ...] = ()
    comments: tuple[Comment, ...] = ()
    events: tuple[tuple[str, Event], ...] = ()
    moderation: tuple[ReportModerated, ...] = ()
    # None keeps the report as public or hidden as it is; only moderation changes it.
    hidden: bool | None = None

    @classmethod
    def keeping(cls, report: Report) -> "WorkStep":
        """A step that changes nothing yet; `dataclasses.replace` says what it changes."""
        return cls(report.status, report.department, report.assignee, report.due_at)


@dataclass(frozen=True)
class NewReport:
    """A report just accepted, with what only its reporter gets to see: the tracking token."""

    report: Report
    tracking_token: str
    photos: tuple[CleanPhoto, ...]


def public_copy(report: Report) -> Report:
    """The report as the public may see it: the redacted description, no removed photos.

    Whether it may be seen at all is `report.hidden`; the caller answers a hidden one as missing.
    """
    return replace(
        report,
        description=report.public_description,
        photos=report.public_photos,
    )


def new_report_id() -> str:
    chars = "".join(secrets.choice(_ID_ALPHABET) for _ in range(10))
    return f"{chars[:5]}-{chars[5:]}"


# Ids drawn for a new report until one lies in a partition this replica owns; each draw does
# with a chance of 1/replicas. Eight draws missed with two replicas once in 256 reports (and the
# unit test, drawing 60 ids, failed one run in five); 32 draws miss once in 4·10^9 with two
# replicas and once in 70 with eight, at 1.5 ms for a replica that owns nothing. A miss costs no
# correctness: a report another replica owns is written by that owner (see `partition_owner`).
OWNED_ID_DRAWS = 32


def new_owned_report_id(
    owns: Callable[[str], bool], draw: Callable[[], str] = new_report_id
) -> str:
    """A new report id (or another document's, made by `draw`) that `owns` (its Kafka partition
    is this replica's): the replica that stores it is then its one writer from the start (see
    `partition_owner`)."""
    for _ in range(OWNED_ID_DRAWS):
        report_id = draw()
        if owns(report_id):
            return report_id
    return report_id


def new_tracking_token() -> str:
    return secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    """Only the hash is stored: a leaked database does not reveal working tracking links."""
    return hashlib.sha256(token.encode()).hexdigest()


def routed_change(event: ReportRouted) -> StatusChange:
    return StatusChange("routed", event.occurred_at, event.event_id, department=event.department)


def supported(report: Report, supporter: Sealed | None, now: datetime) -> ReportSupported:
    """The event announcing one more supporter of an open report (sealed, if they gave an
    address to hear back at)."""
    return ReportSupported(
        report_id=report.id,
        jurisdiction=report.jurisdiction,
        occurred_at=now,
        supporter=supporter,
        supporter_count=report.supporter_count + 1,
    )


def probable_duplicates(
    candidates: list[Report], category: str, location: Location, radius_m: float
) -> list[tuple[Report, float]]:
    """Open reports of the same category within the radius, nearest first, with distances."""
    found = [
        (report, distance_m(location, report.location))
        for report in candidates
        if report.is_open and report.category.code == category and report.location is not None
    ]
    return sorted(
        ((report, distance) for report, distance in found if distance <= radius_m),
        key=lambda pair: pair[1],
    )
