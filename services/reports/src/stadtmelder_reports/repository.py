"""Where reports live: the repository Protocol and its MongoDB adapter, outbox included."""

from collections.abc import Iterable
from typing import Any, Protocol

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from stadtmelder_shared.events import (
    EVENT_TYPES,
    CategoryRef,
    DepartmentRef,
    Event,
    Location,
    Reporter,
)

from stadtmelder_reports.domain import Report, ReportNotFound, StatusChange

Document = dict[str, Any]


class ReportRepository(Protocol):
    async def add(self, report: Report) -> None: ...

    async def get(self, report_id: str) -> Report: ...

    async def record_status(
        self,
        report_id: str,
        change: StatusChange,
        department: DepartmentRef | None = None,
    ) -> bool:
        """Apply a status change once; False when this event was applied before."""
        ...

    async def with_pending_events(self, limit: int) -> list[Report]: ...

    async def mark_published(self, report_id: str, event_ids: Iterable[str]) -> None: ...

    async def ping(self) -> None: ...


class MongoReportRepository:
    """Reports in one collection; every write bumps `revision` so the relay can detect races."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._reports = database["reports"]

    async def ensure_indexes(self) -> None:
        await self._reports.create_index("outbox_pending")

    async def ping(self) -> None:
        await self._reports.database.command("ping")

    async def add(self, report: Report) -> None:
        await self._reports.insert_one(_to_document(report))

    async def get(self, report_id: str) -> Report:
        document = await self._reports.find_one({"_id": report_id})
        if document is None:
            raise ReportNotFound(report_id)
        return _from_document(document)

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
        if await self._reports.count_documents({"_id": report_id}, limit=1) == 0:
            raise ReportNotFound(report_id)
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


def connect(url: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(url, tz_aware=True, serverSelectionTimeoutMS=5000)


def _change_document(change: StatusChange) -> Document:
    return {"status": change.status, "at": change.at, "event_id": change.event_id}


def _to_document(report: Report) -> Document:
    outbox = [
        {"topic": topic, "type": event.type, "event": event.model_dump(mode="json")}
        for topic, event in report.pending_events
    ]
    return {
        "_id": report.id,
        "jurisdiction": report.jurisdiction,
        "category": report.category.model_dump(),
        "description": report.description,
        "location": report.location.model_dump(),
        "language": report.language,
        "reporter": report.reporter.model_dump() if report.reporter else None,
        "created_at": report.created_at,
        "updated_at": report.created_at,
        "status": report.status,
        "department": report.department.model_dump() if report.department else None,
        "history": [_change_document(change) for change in report.history],
        "applied_events": [change.event_id for change in report.history],
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
        location=Location.model_validate(document["location"]),
        language=document["language"],
        reporter=Reporter.model_validate(document["reporter"]) if document["reporter"] else None,
        created_at=document["created_at"],
        status=document["status"],
        department=(
            DepartmentRef.model_validate(document["department"]) if document["department"] else None
        ),
        history=[
            StatusChange(change["status"], change["at"], change["event_id"])
            for change in document["history"]
        ],
        pending_events=[
            (entry["topic"], _event_from(entry)) for entry in document.get("outbox", [])
        ],
    )


def _event_from(entry: Document) -> Event:
    return EVENT_TYPES[entry["type"]].model_validate(entry["event"])
