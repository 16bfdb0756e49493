"""What the public list and the department queues ask for, as MongoDB filters."""

from dataclasses import dataclass
from datetime import UTC, datetime

from stadtmelder_reports.core.documents import Document, due_sort
from stadtmelder_reports.core.geography import BoundingBox
from stadtmelder_reports.errors import InvalidQuery

# No one means a date outside these; near year 1 or 9999, the shift to UTC that the database
# makes, or a 90-day window around it, leaves the range of Python's datetime.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
DATE_RANGE_ADVICE = (
    "Give a date and time between the years 1900 and 9000, e.g. 2026-01-31T08:00:00Z."
)


def in_supported_range(at: datetime) -> bool:
    """Whether `at` (naive meaning UTC, as the database reads it) lies from 1900 to 9000."""
    try:
        utc = at.astimezone(UTC) if at.tzinfo is not None else at.replace(tzinfo=UTC)
    except OverflowError:
        return False
    return EARLIEST <= utc <= LATEST


@dataclass(frozen=True)
class ReportQuery:
    """Filters of the public list; newest first, continued after `after` (created_at, id)."""

    jurisdiction: str
    bbox: BoundingBox | None = None
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    playgrounds: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    after: tuple[datetime, str] | None = None
    limit: int = 50

    def __post_init__(self) -> None:
        for name, at in (("since", self.since), ("until", self.until)):
            if at is not None and not in_supported_range(at):
                raise InvalidQuery(name, DATE_RANGE_ADVICE)


@dataclass(frozen=True)
class QueueQuery:
    """A department's queue: due date first (overdue on top), continued after (due, id)."""

    jurisdiction: str
    department_id: str
    statuses: tuple[str, ...]
    categories: tuple[str, ...] = ()
    due_before: datetime | None = None
    assignee: str | None = None
    unassigned: bool = False
    # The last report of the previous page: its due date (None if it has none) and id.
    after: tuple[datetime | None, str] | None = None
    limit: int = 50


def search_filter(query: ReportQuery) -> Document:
    # The list is public: a report staff hid is in no list (`$ne` also matches older reports
    # stored before the field existed).
    conditions: Document = {"jurisdiction": query.jurisdiction, "hidden": {"$ne": True}}
    if query.bbox is not None:
        conditions["location.lat"] = {"$gte": query.bbox.min_lat, "$lte": query.bbox.max_lat}
        conditions["location.lon"] = {"$gte": query.bbox.min_lon, "$lte": query.bbox.max_lon}
    if query.categories:
        conditions["category.code"] = {"$in": list(query.categories)}
    if query.statuses:
        conditions["status"] = {"$in": list(query.statuses)}
    if query.ids:
        conditions["_id"] = {"$in": list(query.ids)}
    if query.playgrounds:
        conditions["playground.id"] = {"$in": list(query.playgrounds)}
    created: Document = {}
    if query.since is not None:
        created["$gte"] = query.since
    if query.until is not None:
        created["$lte"] = query.until
    if created:
        conditions["created_at"] = created
    if query.after is not None:
        at, report_id = query.after
        conditions["$or"] = [
            {"created_at": {"$lt": at}},
            {"created_at": at, "_id": {"$lt": report_id}},
        ]
    return conditions


def queue_filter(query: QueueQuery) -> Document:
    conditions: Document = {
        "jurisdiction": query.jurisdiction,
        "department.id": query.department_id,
        "status": {"$in": list(query.statuses)},
    }
    if query.categories:
        conditions["category.code"] = {"$in": list(query.categories)}
    if query.due_before is not None:
        conditions["due_sort"] = {"$lt": query.due_before}
    if query.assignee is not None:
        conditions["assignee"] = query.assignee
    elif query.unassigned:
        conditions["assignee"] = None
    if query.after is not None:
        due, report_id = query.after
        conditions["$or"] = [
            {"due_sort": {"$gt": due_sort(due)}},
            {"due_sort": due_sort(due), "_id": {"$gt": report_id}},
        ]
    return conditions
