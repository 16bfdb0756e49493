"""What the public list and the department queues ask for, as MongoDB filters."""

from dataclasses import dataclass
from datetime import datetime

from stadtmelder_reports.documents import Document, due_sort
from stadtmelder_reports.geography import BoundingBox


@dataclass(frozen=True)
class ReportQuery:
    """Filters of the public list; newest first, continued after `after` (created_at, id)."""

    jurisdiction: str
    bbox: BoundingBox | None = None
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    after: tuple[datetime, str] | None = None
    limit: int = 50


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
    conditions: Document = {"jurisdiction": query.jurisdiction}
    if query.bbox is not None:
        conditions["location.lat"] = {"$gte": query.bbox.min_lat, "$lte": query.bbox.max_lat}
        conditions["location.lon"] = {"$gte": query.bbox.min_lon, "$lte": query.bbox.max_lon}
    if query.categories:
        conditions["category.code"] = {"$in": list(query.categories)}
    if query.statuses:
        conditions["status"] = {"$in": list(query.statuses)}
    if query.ids:
        conditions["_id"] = {"$in": list(query.ids)}
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
