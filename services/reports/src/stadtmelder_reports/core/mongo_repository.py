"""The reports repository's MongoDB adapter: reports and photos as documents, outbox included."""

from collections.abc import Iterable, Sequence
from datetime import datetime

from bson import Binary
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.citizen_links.domain import FeedbackStep
from stadtmelder_reports.core.documents import (
    Document,
    due_sort,
    entry_document,
    from_document,
    outbox_entry,
    to_document,
)
from stadtmelder_reports.core.domain import OPEN_STATUSES, Notice, Report, StatusChange, WorkStep
from stadtmelder_reports.core.outbox_writes import clear_outbox, drop_published
from stadtmelder_reports.core.report_queries import (
    QueueQuery,
    ReportQuery,
    queue_filter,
    search_filter,
)
from stadtmelder_reports.core.repository import StoredPhoto
from stadtmelder_reports.core.server_limits import ServerLimits, event_ids
from stadtmelder_reports.errors import PhotoNotFound, ReportNotFound, TrackingTokenUnknown
from stadtmelder_reports.photos.cleaning import CleanPhoto
from stadtmelder_shared import topics
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Location, Reporter, WorksRef

# The orders of the public list and of a department's queue; each has its index.
Order = list[tuple[str, int]]
NEWEST_FIRST: Order = [("created_at", DESCENDING), ("_id", DESCENDING)]
MOST_URGENT_FIRST: Order = [("due_sort", ASCENDING), ("_id", ASCENDING)]


class MongoReportRepository:
    """Reports in one collection; every write bumps `revision` so the relay can detect races."""

    def __init__(self, database: AsyncDatabase[Document], duplicate_radius_m: float = 50.0) -> None:
        self._reports = database["reports"]
        self._photos = database["photos"]
        self._limits = ServerLimits(database, duplicate_radius_m)

    @property
    def limits(self) -> ServerLimits:
        """The serialised writes other stores of the reports collection must share (erasure)."""
        return self._limits

    async def ensure_indexes(self) -> None:
        await self._reports.create_index("outbox_pending")
        await self._reports.create_index(NEWEST_FIRST)
        await self._reports.create_index(
            [("jurisdiction", ASCENDING), ("category.code", ASCENDING), ("location.lat", ASCENDING)]
        )
        await self._reports.create_index([("department.id", ASCENDING), *MOST_URGENT_FIRST])
        # /playgrounds reads each playground's open and fixed reports by their own query.
        await self._reports.create_index([("playground.id", ASCENDING), ("status", ASCENDING)])

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
        await self._limits.before_adding(report)
        await self._limits.add(to_document(report))

    async def get(self, report_id: str) -> Report:
        document = self._limits.just_added(report_id) or await self._reports.find_one(
            {"_id": report_id}
        )
        if document is None:
            raise ReportNotFound(report_id)
        return from_document(document)

    async def by_tracking_token(self, token_hash: str) -> Report:
        # Never a scan of the reports on a miss: a made-up token is what an attacker sends.
        report_id = await self._limits.report_of_token(token_hash)
        document = None if report_id is None else await self._reports.find_one({"_id": report_id})
        if document is None:
            raise TrackingTokenUnknown()
        return from_document(document)

    async def search(self, query: ReportQuery) -> list[Report]:
        return await self._find(search_filter(query), NEWEST_FIRST, query.limit)

    async def open_nearby(
        self, jurisdiction: str, category: str, centre: Location, radius_m: float
    ) -> list[Report]:
        return await self._limits.open_nearby(f"{jurisdiction}/{category}", centre, radius_m)

    async def photo(self, report_id: str, number: int, thumbnail: bool) -> StoredPhoto:
        document = await self._photos.find_one({"_id": f"{report_id}/{number}"})
        if document is None:
            raise PhotoNotFound(report_id, number)
        if thumbnail:
            return StoredPhoto(document["thumbnail_media_type"], bytes(document["thumbnail"]))
        return StoredPhoto(document["media_type"], bytes(document["data"]))

    async def queue(self, query: QueueQuery) -> list[Report]:
        return await self._find(queue_filter(query), MOST_URGENT_FIRST, query.limit)

    async def _find(self, where: Document, order: Order, limit: int) -> list[Report]:
        cursor = self._reports.find(where).sort(order).limit(limit)
        return [from_document(document) async for document in cursor]

    async def record_status(
        self, report_id: str, change: StatusChange, due_at: datetime | None = None
    ) -> bool:
        fields: Document = {"status": change.status, "updated_at": change.at}
        if change.department is not None:
            fields["department"] = change.department.model_dump()
        if due_at is not None:
            fields["due_at"] = due_at
            fields["due_sort"] = due_at
        matched = await self._limits.update(
            {"_id": report_id, "applied_events": {"$ne": change.event_id}},
            {
                "$set": fields,
                "$push": {"history": entry_document(change), "applied_events": change.event_id},
                "$inc": {"revision": 1},
            },
        )
        return await self._applied(report_id, matched)

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
        if step.hidden is not None:
            fields["hidden"] = step.hidden
        update: Document = {
            "$set": fields,
            "$inc": {"revision": 1, "outbox_pending": len(step.events)},
        }
        push: Document = {
            "history": {"$each": [entry_document(c) for c in step.changes]},
            "applied_events": {"$each": [c.event_id for c in step.changes]},
            "comments": {"$each": [entry_document(c) for c in step.comments]},
            "moderation": {"$each": [m.model_dump() for m in step.moderation]},
            "outbox": {"$each": [outbox_entry(topic, event) for topic, event in step.events]},
        }
        update["$push"] = push
        matched = await self._limits.update_queuing(
            event_ids(step.events), {"_id": report_id, "revision": revision}, update
        )
        if matched and step.status in OPEN_STATUSES:
            await self._limits.index_if_open(report_id)
        return await self._applied(report_id, matched)

    async def add_supporter(
        self, report_id: str, supporter_key: str | None, supporter: Reporter | None, event: Event
    ) -> bool:
        condition: Document = {"_id": report_id}
        push: Document = {"outbox": outbox_entry(topics.REPORTS_SUPPORTED, event)}
        if supporter_key is not None:
            condition["supporter_keys"] = {"$ne": supporter_key}
            push["supporter_keys"] = supporter_key
        if supporter is not None and supporter.email:
            # Asked to confirm the address (double opt-in, `support`); told nothing else before.
            at = event.occurred_at
            push["supporters"] = {
                **supporter.model_dump(),
                "at": at,
                "asked_at": at,
                "confirmed": False,
            }
        matched = await self._limits.update_queuing(
            [event.event_id],
            condition,
            {"$push": push, "$inc": {"supporter_count": 1, "outbox_pending": 1, "revision": 1}},
        )
        return await self._applied(report_id, matched)

    async def record_feedback(self, report_id: str, revision: int, step: FeedbackStep) -> bool:
        push: Document = {
            "feedback": entry_document(step.feedback),
            "applied_events": step.feedback.id,
            "outbox": outbox_entry(topics.REPORTS_FEEDBACK, step.event),
        }
        if step.note is not None:
            push["comments"] = entry_document(step.note)
        matched = await self._limits.update_queuing(
            [step.event.event_id],
            {"_id": report_id, "revision": revision},
            {"$push": push, "$inc": {"revision": 1, "outbox_pending": 1}},
        )
        return await self._applied(report_id, matched)

    async def link_works(self, report_id: str, works: Sequence[WorksRef]) -> None:
        dumped = [w.model_dump(mode="json") for w in works]
        await self._limits.update({"_id": report_id}, {"$set": {"works": dumped}})

    async def record_notice(self, report_id: str, notice: Notice) -> bool:
        matched = await self._limits.update(
            {"_id": report_id, "applied_events": {"$ne": notice.id}},
            {
                "$push": {"notices": entry_document(notice), "applied_events": notice.id},
                "$inc": {"revision": 1},
            },
        )
        return await self._applied(report_id, matched)

    async def queue_event(self, report_id: str, topic: str, event: Event) -> None:
        matched = await self._limits.update_queuing(
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
        return await self._limits.with_pending_events(limit)

    async def count_pending_events(self) -> int:
        """How many events wait in the outboxes, the relay's backlog (see
        `ServerLimits.count_pending_events`)."""
        return await self._limits.count_pending_events()

    async def mark_published(self, report_id: str, event_ids: Iterable[str]) -> None:
        published = set(event_ids)
        await drop_published(self._reports, self._limits.update, report_id, published)
        # Gone with its report, too.
        self._limits.forget_published(report_id, published)

    def handed_over(self, report_id: str, event_ids: Iterable[str]) -> None:
        self._limits.forget_published(report_id, event_ids)

    def published(self, report_id: str, revision: int, event_ids: Iterable[str]) -> None:
        self._limits.published(report_id, revision, event_ids)

    def published_before(self, report_id: str) -> frozenset[str]:
        return self._limits.published_before(report_id)

    async def settle_published(self, everything: bool = False) -> None:
        for report_id, revision, published in self._limits.due_published(everything):
            if not await self.clear_outbox(report_id, revision, published):
                await self.mark_published(report_id, published)

    async def clear_outbox(self, report_id: str, revision: int, event_ids: Iterable[str]) -> bool:
        cleared = await clear_outbox(self._limits.update, report_id, revision)
        if cleared:
            self._limits.forget_published(report_id, event_ids)
        return cleared

    async def index_open_reports(self) -> int:
        """Put open reports stored before the nearby index into it, once; returns how many."""
        return await self._limits.index_open_reports()

    async def index_tracking_tokens(self) -> int:
        """Put tracking tokens stored before the tracking index into it, once; returns how many."""
        return await self._limits.index_tracking_tokens()

    async def _applied(self, report_id: str, matched: bool) -> bool:
        """A conditional write's answer: whether it `matched`; when not, the report must exist
        (it was seen before or changed meanwhile), else ReportNotFound."""
        if not matched and await self._reports.count_documents({"_id": report_id}, limit=1) == 0:
            raise ReportNotFound(report_id)
        return matched
