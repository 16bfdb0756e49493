"""Routing's own view of the work it handed out: where, what, which status, due when."""

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from stadtmelder_shared.event_values import Location
from stadtmelder_shared.keyed_locks import KeyedLocks
from stadtmelder_shared.nearby import Grid, MongoNearbyIndex, Place
from stadtmelder_shared.work_item_events import WorkItemQueued

Document = dict[str, Any]
# Nearby cells ten times as wide as the duplicate radius: the circle around a submission lies in
# one cell most of the time (1.44 cell reads on average against 4 with the shared grid's 2×).
CELL_PER_RADIUS = 10.0
OPEN_STATUSES = ("routed", "triage", "acknowledged", "in_progress", "reopened", "forwarded")
# Status changes an item remembers having applied, the latest last. A report takes a handful of
# steps in its life; a replay of its whole history (a consumer group reading the topic from its
# start) finds every one of them here unless it took more than this many.
APPLIED_CHANGES = 100


@dataclass(frozen=True)
class WorkItem:
    report_id: str
    department_id: str
    category: str
    location: Location | None
    status: str
    due_at: datetime | None
    overdue_at: datetime | None = None
    # The work order as handed out, so a forward can pass it on whole.
    order: WorkItemQueued | None = None
    # The submission record that made the item (topic/partition/offset): the same record again
    # is a redelivery to handle again, another record of the report a duplicate to skip.
    origin: str | None = None
    # The event ids of the status changes applied to the item (at most APPLIED_CHANGES): one
    # delivered again, after a crash or in a replay, changes and sends nothing.
    applied_changes: tuple[str, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def applied(self, change_id: str) -> "WorkItem":
        """The item remembering that it applied the change (the oldest ids forgotten first)."""
        return replace(self, applied_changes=(*self.applied_changes, change_id)[-APPLIED_CHANGES:])


class WorkItems(Protocol):
    async def save(self, item: WorkItem) -> None: ...

    async def save_new(self, item: WorkItem) -> WorkItem | None:
        """Store a new item, unless one of its report is stored: then nothing is written and
        that one is returned. The nearby index is left alone (see `open_near`'s `placing`)."""
        ...

    async def get(self, report_id: str) -> WorkItem | None: ...

    async def open_near(
        self, category: str, centre: Location, radius_m: float, placing: str | None = None
    ) -> list[str]:
        """Reports of the open items of the category within the radius, nearest first, as the
        nearby index has them (an item closed a moment ago may still be among them); with
        `placing`, that report's new item is put at `centre` into the index in the same go (and
        is not among those returned)."""
        ...

    async def overdue(self, now: datetime, limit: int) -> list[WorkItem]:
        """Open items past their due date that were not reported overdue yet."""
        ...

    async def mark_overdue(self, report_id: str, at: datetime) -> None: ...


class MongoWorkItems:
    """Writes to one item wait for each other: FerretDB 1.24 loses concurrent updates to one
    document (the overdue watch and a status change may meet)."""

    def __init__(self, database: AsyncDatabase[Document], duplicate_radius_m: float = 50.0) -> None:
        self._items = database["work_items"]
        self._writing = KeyedLocks()
        # Where open items are, by category: a duplicate lookup reads a few cells by `_id`
        # instead of every work item (FerretDB scans for any other filter).
        self._nearby = MongoNearbyIndex(
            database["work_item_cells"], Grid(cell_m=CELL_PER_RADIUS * duplicate_radius_m)
        )

    async def ensure_indexes(self) -> None:
        await self._items.create_index([("due_at", ASCENDING)])

    async def save(self, item: WorkItem) -> None:
        async with self._writing(item.report_id):
            await self._items.replace_one({"_id": item.report_id}, _to_document(item), upsert=True)
        # The item first: a crash in between loses at most a duplicate hint, never the item.
        if item.location is None:
            return
        if item.is_open:
            await self._nearby.add(item.category, item.report_id, item.location)
        else:
            await self._nearby.remove(item.category, item.report_id, item.location)

    async def save_new(self, item: WorkItem) -> WorkItem | None:
        # The insert is the check: one command where a read and a write were.
        try:
            await self._items.insert_one(_to_document(item))
        except DuplicateKeyError:
            return await self.get(item.report_id)
        return None

    async def index_open_items(self) -> int:
        """Put open items stored before the nearby index into it, once (one scan at the first
        start after an upgrade, so no migration step is needed); returns how many."""

        open_items = self._items.find({"status": {"$in": list(OPEN_STATUSES)}}, projection=_PLACE)
        return await self._nearby.fill_once(open_items, _place)

    async def get(self, report_id: str) -> WorkItem | None:
        document = await self._items.find_one({"_id": report_id})
        return _from_document(document) if document else None

    async def open_near(
        self, category: str, centre: Location, radius_m: float, placing: str | None = None
    ) -> list[str]:
        # The index holds open items only (`save` takes closed ones out), so no item is read:
        # a hint may name an item closed a moment ago, which costs less than a read each.
        if placing is None:
            found = await self._nearby.near(category, centre, radius_m)
        else:
            found = await self._nearby.add_and_near(category, placing, centre, radius_m)
        return [report_id for report_id, _ in found]

    async def overdue(self, now: datetime, limit: int) -> list[WorkItem]:
        cursor = self._items.find(
            {
                "due_at": {"$lt": now},
                "status": {"$in": list(OPEN_STATUSES)},
                "overdue_at": None,
            }
        ).limit(limit)
        return [_from_document(document) async for document in cursor]

    async def count_overdue(self, now: datetime) -> dict[str, int]:
        """Open items past their due date by department, announced or not (for metrics)."""
        cursor = await self._items.aggregate(
            [
                {"$match": {"due_at": {"$lt": now}, "status": {"$in": list(OPEN_STATUSES)}}},
                {"$group": {"_id": "$department_id", "items": {"$sum": 1}}},
            ]
        )
        return {str(document["_id"]): int(document["items"]) async for document in cursor}

    async def mark_overdue(self, report_id: str, at: datetime) -> None:
        async with self._writing(report_id):
            await self._items.update_one({"_id": report_id}, {"$set": {"overdue_at": at}})


# What `_place` reads of a work item.
_PLACE = {"category": 1, "lat": 1, "lon": 1}


def _place(document: Document) -> Place | None:
    if document.get("lat") is None:
        return None
    return document["category"], document["_id"], Location(lat=document["lat"], lon=document["lon"])


def _to_document(item: WorkItem) -> Document:
    return {
        "_id": item.report_id,
        "department_id": item.department_id,
        "category": item.category,
        "lat": item.location.lat if item.location else None,
        "lon": item.location.lon if item.location else None,
        "status": item.status,
        "due_at": item.due_at,
        "overdue_at": item.overdue_at,
        "order": item.order.model_dump(mode="json") if item.order else None,
        "origin": item.origin,
        "applied_changes": list(item.applied_changes),
    }


def _from_document(document: Document) -> WorkItem:
    location = (
        Location(lat=document["lat"], lon=document["lon"]) if document["lat"] is not None else None
    )
    return WorkItem(
        report_id=document["_id"],
        department_id=document["department_id"],
        category=document["category"],
        location=location,
        status=document["status"],
        due_at=document["due_at"],
        overdue_at=document.get("overdue_at"),
        order=WorkItemQueued.model_validate(document["order"]) if document.get("order") else None,
        origin=document.get("origin"),
        applied_changes=tuple(document.get("applied_changes") or ()),
    )
