"""Where reports live: the repository Protocol and its MongoDB adapter, outbox included."""

import asyncio
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from bson import Binary
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.citizen_links.domain import FeedbackStep
from stadtmelder_reports.documents import (
    Document,
    change_document,
    comment_document,
    due_sort,
    feedback_document,
    from_document,
    notice_document,
    outbox_entry,
    to_document,
)
from stadtmelder_reports.domain import OPEN_STATUSES, Notice, Report, StatusChange, WorkStep
from stadtmelder_reports.errors import PhotoNotFound, ReportNotFound, TrackingTokenUnknown
from stadtmelder_reports.outbox_index import MongoOutboxIndex, Waiting
from stadtmelder_reports.photos import CleanPhoto
from stadtmelder_reports.report_queries import QueueQuery, ReportQuery, queue_filter, search_filter
from stadtmelder_reports.tracking_index import MongoTrackingIndex
from stadtmelder_shared import topics
from stadtmelder_shared.conditional_writes import ConditionalWrites
from stadtmelder_shared.events import DepartmentRef, Event, Location, Reporter
from stadtmelder_shared.keyed_locks import KeyedLocks
from stadtmelder_shared.nearby import Grid, MongoNearbyIndex

MAX_NEARBY = 200
# Outbox index entries read per report the safety net may return: most reports have one event.
WAITING_READ_PER_REPORT = 4


@dataclass(frozen=True)
class StoredPhoto:
    media_type: str
    data: bytes


class ReportRepository(Protocol):
    async def add(self, report: Report, photos: tuple[CleanPhoto, ...] = ()) -> None: ...

    async def get(self, report_id: str) -> Report: ...

    async def by_tracking_token(self, token_hash: str) -> Report: ...

    async def search(self, query: ReportQuery) -> list[Report]: ...

    async def open_nearby(
        self, jurisdiction: str, category: str, centre: Location, radius_m: float
    ) -> list[Report]:
        """Open reports of the category within the radius, in no particular order.

        Raises `stadtmelder_shared.nearby.AreaTooWide` for a circle wider than the index reads.
        """
        ...

    async def photo(self, report_id: str, number: int, thumbnail: bool) -> StoredPhoto: ...

    async def queue(self, query: QueueQuery) -> list[Report]: ...

    async def record_status(
        self,
        report_id: str,
        change: StatusChange,
        department: DepartmentRef | None = None,
        due_at: datetime | None = None,
    ) -> bool:
        """Apply a status change once; False when this event was applied before."""
        ...

    async def record_work(self, report_id: str, revision: int, step: WorkStep) -> bool:
        """Store `step` with its events in one write if the report is still at `revision`.

        False when the report changed meanwhile: read it again and decide anew.
        """
        ...

    async def add_supporter(
        self, report_id: str, supporter_key: str | None, supporter: Reporter | None, event: Event
    ) -> bool:
        """Count one more supporter and queue `event`; False if this key supported before."""
        ...

    async def record_feedback(self, report_id: str, revision: int, step: FeedbackStep) -> bool:
        """Store a citizen's answer with its event if the report is still at `revision`."""
        ...

    async def record_notice(self, report_id: str, notice: Notice) -> bool:
        """Note that a citizen was told about a step; False when this notice came before."""
        ...

    async def queue_event(self, report_id: str, topic: str, event: Event) -> None:
        """Put an event about the report into its outbox, for the relay to publish."""
        ...

    async def with_pending_events(self, limit: int) -> list[Report]: ...

    async def mark_published(self, report_id: str, event_ids: Iterable[str]) -> None: ...

    async def clear_outbox(self, report_id: str, revision: int, event_ids: Iterable[str]) -> bool:
        """Empty the outbox if the report is still at `revision`, whose events (`event_ids`)
        were all published; False when it changed meanwhile (then use `mark_published`)."""
        ...

    async def ping(self) -> None: ...


class MongoReportRepository:
    """Reports in one collection; every write bumps `revision` so the relay can detect races."""

    def __init__(self, database: AsyncDatabase[Document], duplicate_radius_m: float = 50.0) -> None:
        self._reports = database["reports"]
        self._photos = database["photos"]
        self._writing = KeyedLocks()
        self._conditional = ConditionalWrites(self._reports, self._writing)
        self._outbox_index = MongoOutboxIndex(database["outbox_index"])
        self._whole_outbox_read = False
        self._tracking = MongoTrackingIndex(database["tracking_tokens"])
        # Where open reports are, by jurisdiction and category: duplicate lookups read a few
        # cells by `_id` instead of every report (FerretDB scans for any other filter).
        self._nearby = MongoNearbyIndex(
            database["report_cells"], Grid.for_radius(duplicate_radius_m)
        )

    async def ensure_indexes(self) -> None:
        await self._reports.create_index("outbox_pending")
        await self._reports.create_index([("created_at", DESCENDING), ("_id", DESCENDING)])
        await self._reports.create_index(
            [("jurisdiction", ASCENDING), ("category.code", ASCENDING), ("location.lat", ASCENDING)]
        )
        await self._reports.create_index(
            [("department.id", ASCENDING), ("due_sort", ASCENDING), ("_id", ASCENDING)]
        )

    async def ping(self) -> None:
        await self._reports.database.command("ping")

    async def add(self, report: Report, photos: tuple[CleanPhoto, ...] = ()) -> None:
        # Photos first: a report is only visible once everything it points to exists.
        for number, photo in enumerate(photos, start=1):
            await self._photos.replace_one(
                {"_id": f"{report.id}/{number}"},
                {
                    "report_id": report.id,
                    "media_type": photo.media_type,
                    "data": Binary(photo.data),
                    "thumbnail_media_type": photo.thumbnail_media_type,
                    "thumbnail": Binary(photo.thumbnail),
                },
                upsert=True,
            )
        # The place, the outbox index and the tracking token before the report: a crash in
        # between leaves entries without a report, which lookups and the relay skip, rather
        # than a report that is never offered as a duplicate, whose events only a restart
        # finds, or whose tracking link answers "unknown".
        await asyncio.gather(
            self._index_place(report),
            self._outbox_index.note(report.id, _ids(report.pending_events)),
            self._index_token(report),
        )
        await self._reports.insert_one(to_document(report))

    async def get(self, report_id: str) -> Report:
        document = await self._reports.find_one({"_id": report_id})
        if document is None:
            raise ReportNotFound(report_id)
        return from_document(document)

    async def by_tracking_token(self, token_hash: str) -> Report:
        # Never a scan of the reports on a miss: a made-up token is what an attacker sends.
        report_id = await self._tracking.report_of(token_hash)
        document = None if report_id is None else await self._reports.find_one({"_id": report_id})
        if document is None:
            raise TrackingTokenUnknown()
        return from_document(document)

    async def search(self, query: ReportQuery) -> list[Report]:
        cursor = (
            self._reports.find(search_filter(query))
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .limit(query.limit)
        )
        return [from_document(document) async for document in cursor]

    async def open_nearby(
        self, jurisdiction: str, category: str, centre: Location, radius_m: float
    ) -> list[Report]:
        scope = f"{jurisdiction}/{category}"
        # The nearest are enough to suggest; each further one is another read.
        found = (await self._nearby.near(scope, centre, radius_m))[:MAX_NEARBY]
        documents = await asyncio.gather(
            *(self._reports.find_one({"_id": report_id}) for report_id, _ in found)
        )
        reports = [from_document(document) for document in documents if document is not None]
        # Closed reports leave the index when a lookup meets them, so lookups stay as cheap as
        # the open reports around; a report that opens again is added back by `record_work`.
        for report in reports:
            if not report.is_open and report.location is not None:
                await self._nearby.remove(scope, report.id, report.location)
        return [report for report in reports if report.is_open]

    async def photo(self, report_id: str, number: int, thumbnail: bool) -> StoredPhoto:
        document = await self._photos.find_one({"_id": f"{report_id}/{number}"})
        if document is None:
            raise PhotoNotFound(report_id, number)
        if thumbnail:
            return StoredPhoto(document["thumbnail_media_type"], bytes(document["thumbnail"]))
        return StoredPhoto(document["media_type"], bytes(document["data"]))

    async def queue(self, query: QueueQuery) -> list[Report]:
        cursor = (
            self._reports.find(queue_filter(query))
            .sort([("due_sort", ASCENDING), ("_id", ASCENDING)])
            .limit(query.limit)
        )
        return [from_document(document) async for document in cursor]

    async def record_status(
        self,
        report_id: str,
        change: StatusChange,
        department: DepartmentRef | None = None,
        due_at: datetime | None = None,
    ) -> bool:
        fields: Document = {"status": change.status, "updated_at": change.at}
        if department is not None:
            fields["department"] = department.model_dump()
        if due_at is not None:
            fields["due_at"] = due_at
            fields["due_sort"] = due_at
        matched = await self._update(
            {"_id": report_id, "applied_events": {"$ne": change.event_id}},
            {
                "$set": fields,
                "$push": {"history": change_document(change), "applied_events": change.event_id},
                "$inc": {"revision": 1},
            },
        )
        if matched:
            return True
        await self._require(report_id)
        return False

    async def record_work(self, report_id: str, revision: int, step: WorkStep) -> bool:
        fields: Document = {
            "status": step.status,
            "department": step.department.model_dump() if step.department else None,
            "assignee": step.assignee,
            "due_at": step.due_at,
            "due_sort": due_sort(step.due_at),
        }
        if step.changes:
            fields["updated_at"] = step.changes[-1].at
        update: Document = {
            "$set": fields,
            "$inc": {"revision": 1, "outbox_pending": len(step.events)},
        }
        push: Document = {
            "history": {"$each": [change_document(c) for c in step.changes]},
            "applied_events": {"$each": [c.event_id for c in step.changes]},
            "comments": {"$each": [comment_document(c) for c in step.comments]},
            "outbox": {"$each": [outbox_entry(topic, event) for topic, event in step.events]},
        }
        update["$push"] = push
        matched = await self._update_queuing(
            _ids(step.events), {"_id": report_id, "revision": revision}, update
        )
        if matched:
            if step.status in OPEN_STATUSES:
                await self._index_if_open(report_id)
            return True
        await self._require(report_id)
        return False

    async def add_supporter(
        self, report_id: str, supporter_key: str | None, supporter: Reporter | None, event: Event
    ) -> bool:
        condition: Document = {"_id": report_id}
        push: Document = {"outbox": outbox_entry(topics.REPORTS_SUPPORTED, event)}
        if supporter_key is not None:
            condition["supporter_keys"] = {"$ne": supporter_key}
            push["supporter_keys"] = supporter_key
        if supporter is not None and supporter.email:
            push["supporters"] = {**supporter.model_dump(), "at": event.occurred_at}
        matched = await self._update_queuing(
            [event.event_id],
            condition,
            {"$push": push, "$inc": {"supporter_count": 1, "outbox_pending": 1, "revision": 1}},
        )
        if matched:
            return True
        await self._require(report_id)
        return False

    async def record_feedback(self, report_id: str, revision: int, step: FeedbackStep) -> bool:
        push: Document = {
            "feedback": feedback_document(step.feedback),
            "applied_events": step.feedback.id,
            "outbox": outbox_entry(topics.REPORTS_FEEDBACK, step.event),
        }
        if step.note is not None:
            push["comments"] = comment_document(step.note)
        matched = await self._update_queuing(
            [step.event.event_id],
            {"_id": report_id, "revision": revision},
            {"$push": push, "$inc": {"revision": 1, "outbox_pending": 1}},
        )
        if matched:
            return True
        await self._require(report_id)
        return False

    async def record_notice(self, report_id: str, notice: Notice) -> bool:
        matched = await self._update(
            {"_id": report_id, "applied_events": {"$ne": notice.id}},
            {
                "$push": {"notices": notice_document(notice), "applied_events": notice.id},
                "$inc": {"revision": 1},
            },
        )
        if matched:
            return True
        await self._require(report_id)
        return False

    async def queue_event(self, report_id: str, topic: str, event: Event) -> None:
        matched = await self._update_queuing(
            [event.event_id],
            {"_id": report_id},
            {
                "$push": {"outbox": outbox_entry(topic, event)},
                "$inc": {"revision": 1, "outbox_pending": 1},
            },
        )
        if not matched:
            raise ReportNotFound(report_id)

    async def with_pending_events(self, limit: int) -> list[Report]:
        if not self._whole_outbox_read:
            # Once per process, the whole collection: events queued before the outbox index
            # existed. Afterwards the index names every report with events waiting.
            cursor = self._reports.find({"outbox_pending": {"$gt": 0}}).limit(limit)
            reports = [from_document(document) async for document in cursor]
            self._whole_outbox_read = len(reports) < limit
            return reports
        return await self._pending_by_index(limit)

    async def _pending_by_index(self, limit: int) -> list[Report]:
        entries: dict[str, list[Waiting]] = {}
        for entry in await self._outbox_index.waiting(WAITING_READ_PER_REPORT * limit):
            entries.setdefault(entry.report_id, []).append(entry)
        report_ids = list(entries)[:limit]
        documents = await asyncio.gather(
            *(self._reports.find_one({"_id": report_id}) for report_id in report_ids)
        )
        reports = [from_document(document) for document in documents if document is not None]
        pending = {event.event_id for report in reports for _, event in report.pending_events}
        now = datetime.now(UTC)
        await self._outbox_index.forget(
            entry.event_id
            for report_id in report_ids
            for entry in entries[report_id]
            if entry.event_id not in pending and entry.is_left_over(now)
        )
        return [report for report in reports if report.pending_events]

    async def count_pending_events(self) -> int:
        """How many events wait in the outbox of all reports (the relay's backlog), read from
        the outbox index so a scrape does not decode every report.

        Unlike the outboxes themselves, the index may count an event too many: one whose write
        failed, or that was published, when a crash came in between. The relay's safety net
        drops such an entry once it is older than `LEFT_OVER_AFTER` (a minute), at its next
        scan while it runs. Events queued by a version before the index are not counted; the
        relay publishes them at its first scan after a start.
        """
        return await self._outbox_index.count()

    async def mark_published(self, report_id: str, event_ids: Iterable[str]) -> None:
        published = set(event_ids)
        # Another writer may append events between our read and this write: compare revisions
        # and retry, so an event appended meanwhile is never dropped from the outbox.
        while True:
            document = await self._reports.find_one(
                {"_id": report_id}, projection={"outbox": 1, "revision": 1}
            )
            if document is None:
                return
            remaining = [e for e in document["outbox"] if e["event"]["event_id"] not in published]
            matched = await self._update(
                {"_id": report_id, "revision": document["revision"]},
                {
                    "$set": {"outbox": remaining, "outbox_pending": len(remaining)},
                    "$inc": {"revision": 1},
                },
            )
            if matched:
                await self._outbox_index.forget(published)
                return

    async def clear_outbox(self, report_id: str, revision: int, event_ids: Iterable[str]) -> bool:
        # The relay read the outbox at `revision`: unchanged since, nothing is left to keep,
        # so no second read of the outbox is needed.
        cleared = await self._update(
            {"_id": report_id, "revision": revision},
            {"$set": {"outbox": [], "outbox_pending": 0}, "$inc": {"revision": 1}},
        )
        if cleared:
            await self._outbox_index.forget(event_ids)
        return cleared

    async def _update_queuing(
        self, event_ids: list[str], condition: Document, update: Document
    ) -> bool:
        """`_update` for an update that puts `event_ids` into the report's outbox: they enter
        the outbox index first, so a crash in between leaves an entry too many, never a waiting
        event the relay's safety net cannot see."""
        await self._outbox_index.note(condition["_id"], event_ids)
        return await self._update(condition, update)

    async def _update(self, condition: Document, update: Document) -> bool:
        """One report's update if it meets `condition`, never at the same moment as another
        update of that report (FerretDB 1.24 can lose one of two; see `conditional_writes`)."""
        return await self._conditional.update(condition, update)

    async def index_open_reports(self) -> int:
        """Put open reports stored before the nearby index into it, once (one scan at the first
        start after an upgrade, so no migration step is needed); returns how many."""

        async def places() -> AsyncIterator[tuple[str, str, Location]]:
            cursor = self._reports.find(
                {"status": {"$in": sorted(OPEN_STATUSES)}},
                projection={"jurisdiction": 1, "category.code": 1, "location": 1},
            )
            async for document in cursor:
                if document.get("location"):
                    scope = f"{document['jurisdiction']}/{document['category']['code']}"
                    yield scope, document["_id"], Location.model_validate(document["location"])

        return await self._nearby.fill_once(places())

    async def index_tracking_tokens(self) -> int:
        """Put the tracking tokens of reports stored before the tracking index into it, once
        per database (one scan at the first start after an upgrade); returns how many."""

        async def tokens() -> AsyncIterator[tuple[str, str]]:
            cursor = self._reports.find({}, projection={"tracking_token_hash": 1})
            async for document in cursor:
                if document.get("tracking_token_hash"):
                    yield document["tracking_token_hash"], document["_id"]

        return await self._tracking.fill_once(tokens())

    async def _index_token(self, report: Report) -> None:
        if report.tracking_token_hash:
            await self._tracking.note(report.tracking_token_hash, report.id)

    async def _index_place(self, report: Report) -> None:
        if report.location is not None:
            await self._nearby.add(_nearby_scope(report), report.id, report.location)

    async def _index_if_open(self, report_id: str) -> None:
        """Put a report worked on back into the nearby index: a lookup may have pruned it while
        it was resolved or forwarded. Staff steps are rare next to submissions."""
        document = await self._reports.find_one({"_id": report_id})
        report = from_document(document) if document is not None else None
        if report is not None and report.is_open and report.location is not None:
            await self._nearby.add(_nearby_scope(report), report.id, report.location)

    async def _require(self, report_id: str) -> None:
        if await self._reports.count_documents({"_id": report_id}, limit=1) == 0:
            raise ReportNotFound(report_id)


def _ids(events: Iterable[tuple[str, Event]]) -> list[str]:
    return [event.event_id for _, event in events]


def _nearby_scope(report: Report) -> str:
    # The same scope as `index_open_reports` builds from stored documents.
    return f"{report.jurisdiction}/{report.category.code}"


def connect(url: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(url, tz_aware=True, serverSelectionTimeoutMS=5000)
