"""What retention reads and deletes: the RetentionStore Protocol and its MongoDB adapter."""

from datetime import datetime
from typing import Any, Protocol

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.core.domain import MAX_PHOTOS, Report
from stadtmelder_reports.core.server_limits import ServerLimits
from stadtmelder_reports.retention.domain import CLOSED_STATUSES
from stadtmelder_shared.link_tokens import RecipientKeys

Document = dict[str, Any]


class RetentionStore(Protocol):
    async def due(
        self, contact_before: datetime, photos_before: datetime, after: str, limit: int
    ) -> list[str]:
        """Reports closed before `contact_before` that still keep a reporter or a supporter,
        and those closed before `photos_before` that still show photos: their ids in order,
        `after` the last one seen, so a round that skips a report (reopened meanwhile) ends."""
        ...

    async def supporters(self, report_id: str) -> list[str]:
        """The recipient keys of the supporters whose contact data the report keeps."""
        ...

    async def remove_photos(self, report: Report, at: datetime) -> bool:
        """Delete the photos and thumbnails, then the report's references to them, if the
        report is still at its revision; False if it changed meanwhile."""
        ...

    async def forget_contact_reads(self, before: datetime, limit: int) -> int:
        """Delete up to `limit` audit entries of staff reading contact data before `before`;
        how many went."""
        ...


class MongoRetentionStore:
    """Filters on status and `updated_at` (the time of the last status change). FerretDB 1.24
    answers them by a scan of the collection; retention runs rarely and reads ids only."""

    def __init__(
        self, database: AsyncDatabase[Document], limits: ServerLimits, keys: RecipientKeys
    ) -> None:
        self._reports = database["reports"]
        self._photos = database["photos"]
        self._audit = database["audit"]
        self._limits = limits
        self._keys = keys

    async def ensure_indexes(self) -> None:
        # MongoDB answers the round's query from this; FerretDB 1.24 scans all the same.
        await self._reports.create_index([("status", ASCENDING), ("updated_at", ASCENDING)])

    async def due(
        self, contact_before: datetime, photos_before: datetime, after: str, limit: int
    ) -> list[str]:
        # One query for both, so a round reads the reports collection once (a scan on FerretDB).
        closed_for_contact = {"updated_at": {"$lte": contact_before}}
        cursor = (
            self._reports.find(
                {
                    "_id": {"$gt": after},
                    "status": {"$in": sorted(CLOSED_STATUSES)},
                    "$or": [
                        {**closed_for_contact, "reporter": {"$ne": None}},
                        {**closed_for_contact, "supporters.0": {"$exists": True}},
                        {"updated_at": {"$lte": photos_before}, "photos.0": {"$exists": True}},
                    ],
                },
                projection={"_id": 1},
            )
            .sort("_id", ASCENDING)
            .limit(limit)
        )
        return [document["_id"] async for document in cursor]

    async def supporters(self, report_id: str) -> list[str]:
        document = await self._reports.find_one({"_id": report_id}, projection={"supporters": 1})
        supporters = (document or {}).get("supporters") or []
        return [self._keys.of(report_id, s["email"]) for s in supporters if s.get("email")]

    async def remove_photos(self, report: Report, at: datetime) -> bool:
        # The files first: a crash after them leaves a report still naming photos, which the
        # next round finds and finishes (meanwhile their URLs answer 404), never a photo kept
        # that no report names and no round would find.
        numbers = range(1, max((p.number for p in report.photos), default=MAX_PHOTOS) + 1)
        await self._photos.delete_many({"_id": {"$in": [f"{report.id}/{n}" for n in numbers]}})
        return await self._limits.update(
            {"_id": report.id, "revision": report.revision},
            {"$set": {"photos": [], "photos_removed_at": at}, "$inc": {"revision": 1}},
        )

    async def forget_contact_reads(self, before: datetime, limit: int) -> int:
        cursor = self._audit.find(
            {"action": "contact_read", "at": {"$lt": before}}, projection={"_id": 1}
        ).limit(limit)
        ids = [document["_id"] async for document in cursor]
        if not ids:
            return 0
        result = await self._audit.delete_many({"_id": {"$in": ids}})
        return result.deleted_count
