"""Where reports live: the repository Protocol and its MongoDB adapter, outbox included."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bson import Binary
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.domain import PhotoRef, Report, StatusChange
from stadtmelder_reports.errors import PhotoNotFound, ReportNotFound, TrackingTokenUnknown
from stadtmelder_reports.geography import BoundingBox
from stadtmelder_reports.photos import CleanPhoto
from stadtmelder_shared import topics
from stadtmelder_shared.events import (
    EVENT_TYPES,
    CategoryRef,
    DepartmentRef,
    Event,
    Location,
    Reporter,
)

Document = dict[str, Any]


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
class StoredPhoto:
    media_type: str
    data: bytes


class ReportRepository(Protocol):
    async def add(self, report: Report, photos: tuple[CleanPhoto, ...] = ()) -> None: ...

    async def get(self, report_id: str) -> Report: ...

    async def by_tracking_token(self, token_hash: str) -> Report: ...

    async def search(self, query: ReportQuery) -> list[Report]: ...

    async def photo(self, report_id: str, number: int, thumbnail: bool) -> StoredPhoto: ...

    async def record_status(
        self,
        report_id: str,
        change: StatusChange,
        department: DepartmentRef | None = None,
    ) -> bool:
        """Apply a status change once; False when this event was applied before."""
        ...

    async def add_supporter(
        self, report_id: str, supporter_key: str | None, supporter: Reporter | None, event: Event
    ) -> bool:
        """Count one more supporter and queue `event`; False if this key supported before."""
        ...

    async def with_pending_events(self, limit: int) -> list[Report]: ...

    async def mark_published(self, report_id: str, event_ids: Iterable[str]) -> None: ...

    async def ping(self) -> None: ...


class MongoReportRepository:
    """Reports in one collection; every write bumps `revision` so the relay can detect races."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._reports = database["reports"]
        self._photos = database["photos"]

    async def ensure_indexes(self) -> None:
        await self._reports.create_index("outbox_pending")
        await self._reports.create_index("tracking_token_hash")
        await self._reports.create_index([("created_at", DESCENDING), ("_id", DESCENDING)])
        await self._reports.create_index(
            [("jurisdiction", ASCENDING), ("category.code", ASCENDING), ("location.lat", ASCENDING)]
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
        await self._reports.insert_one(_to_document(report))

    async def get(self, report_id: str) -> Report:
        document = await self._reports.find_one({"_id": report_id})
        if document is None:
            raise ReportNotFound(report_id)
        return _from_document(document)

    async def by_tracking_token(self, token_hash: str) -> Report:
        document = await self._reports.find_one({"tracking_token_hash": token_hash})
        if document is None:
            raise TrackingTokenUnknown()
        return _from_document(document)

    async def search(self, query: ReportQuery) -> list[Report]:
        cursor = (
            self._reports.find(_search_filter(query))
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .limit(query.limit)
        )
        return [_from_document(document) async for document in cursor]

    async def photo(self, report_id: str, number: int, thumbnail: bool) -> StoredPhoto:
        document = await self._photos.find_one({"_id": f"{report_id}/{number}"})
        if document is None:
            raise PhotoNotFound(report_id, number)
        if thumbnail:
            return StoredPhoto(document["thumbnail_media_type"], bytes(document["thumbnail"]))
        return StoredPhoto(document["media_type"], bytes(document["data"]))

    async def record_status(
        self,
        report_id: str,
        change: StatusChange,
        department: DepartmentRef | None = None,
    ) -> bool:
        fields: Document = {"status": change.status, "updated_at": change.at}
        if department is not None:
            fields["department"] = department.model_dump()
        result = await self._reports.update_one(
            {"_id": report_id, "applied_events": {"$ne": change.event_id}},
            {
                "$set": fields,
                "$push": {"history": _change_document(change), "applied_events": change.event_id},
                "$inc": {"revision": 1},
            },
        )
        if result.matched_count == 1:
            return True
        await self._require(report_id)
        return False

    async def add_supporter(
        self, report_id: str, supporter_key: str | None, supporter: Reporter | None, event: Event
    ) -> bool:
        condition: Document = {"_id": report_id}
        push: Document = {"outbox": _outbox_entry(topics.REPORTS_SUPPORTED, event)}
        if supporter_key is not None:
            condition["supporter_keys"] = {"$ne": supporter_key}
            push["supporter_keys"] = supporter_key
        if supporter is not None and supporter.email:
            push["supporters"] = {**supporter.model_dump(), "at": event.occurred_at}
        result = await self._reports.update_one(
            condition,
            {"$push": push, "$inc": {"supporter_count": 1, "outbox_pending": 1, "revision": 1}},
        )
        if result.matched_count == 1:
            return True
        await self._require(report_id)
        return False

    async def with_pending_events(self, limit: int) -> list[Report]:
        cursor = self._reports.find({"outbox_pending": {"$gt": 0}}).limit(limit)
        return [_from_document(document) async for document in cursor]

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
            result = await self._reports.update_one(
                {"_id": report_id, "revision": document["revision"]},
                {
                    "$set": {"outbox": remaining, "outbox_pending": len(remaining)},
                    "$inc": {"revision": 1},
                },
            )
            if result.matched_count == 1:
                return

    async def _require(self, report_id: str) -> None:
        if await self._reports.count_documents({"_id": report_id}, limit=1) == 0:
            raise ReportNotFound(report_id)


def connect(url: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(url, tz_aware=True, serverSelectionTimeoutMS=5000)


def _search_filter(query: ReportQuery) -> Document:
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


def _change_document(change: StatusChange) -> Document:
    return {"status": change.status, "at": change.at, "event_id": change.event_id}


def _outbox_entry(topic: str, event: Event) -> Document:
    return {"topic": topic, "type": event.type, "event": event.model_dump(mode="json")}


def _to_document(report: Report) -> Document:
    outbox = [_outbox_entry(topic, event) for topic, event in report.pending_events]
    return {
        "_id": report.id,
        "jurisdiction": report.jurisdiction,
        "category": report.category.model_dump(),
        "description": report.description,
        "location": report.location.model_dump() if report.location else None,
        "address": report.address,
        "answers": report.answers,
        "language": report.language,
        "reporter": report.reporter.model_dump() if report.reporter else None,
        "client_id": report.client_id,
        "tracking_token_hash": report.tracking_token_hash,
        "created_at": report.created_at,
        "updated_at": report.created_at,
        "status": report.status,
        "department": report.department.model_dump() if report.department else None,
        "history": [_change_document(change) for change in report.history],
        "applied_events": [change.event_id for change in report.history],
        "photos": [
            {"number": p.number, "media_type": p.media_type, "width": p.width, "height": p.height}
            for p in report.photos
        ],
        "supporter_count": report.supporter_count,
        "supporter_keys": [],
        "supporters": [],
        "outbox": outbox,
        "outbox_pending": len(outbox),
        "revision": 1,
    }


def _from_document(document: Document) -> Report:
    return Report(
        id=document["_id"],
        jurisdiction=document["jurisdiction"],
        category=CategoryRef.model_validate(document["category"]),
        description=document["description"],
        location=Location.model_validate(document["location"]) if document["location"] else None,
        address=document.get("address"),
        answers=document.get("answers") or {},
        language=document["language"],
        reporter=Reporter.model_validate(document["reporter"]) if document["reporter"] else None,
        client_id=document.get("client_id"),
        tracking_token_hash=document.get("tracking_token_hash", ""),
        created_at=document["created_at"],
        status=document["status"],
        department=(
            DepartmentRef.model_validate(document["department"]) if document["department"] else None
        ),
        history=[
            StatusChange(change["status"], change["at"], change["event_id"])
            for change in document["history"]
        ],
        photos=[
            PhotoRef(p["number"], p["media_type"], p["width"], p["height"])
            for p in document.get("photos", [])
        ],
        supporter_count=document.get("supporter_count", 0),
        pending_events=[
            (entry["topic"], _event_from(entry)) for entry in document.get("outbox", [])
        ],
    )


def _event_from(entry: Document) -> Event:
    return EVENT_TYPES[entry["type"]].model_validate(entry["event"])
