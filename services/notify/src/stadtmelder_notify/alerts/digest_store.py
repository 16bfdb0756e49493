"""Where notify queues the reports of each subscription's daily digest until it is sent.

One document per (subscription, report), inserted once and deleted with its digest: no document
is ever updated, so FerretDB 1.24's lost concurrent updates cannot happen here.
"""

import contextlib
from datetime import date
from typing import Any, Protocol

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from stadtmelder_notify.alerts.domain import DigestItem, NewReport
from stadtmelder_shared.event_values import CategoryRef, DepartmentRef, Location

Document = dict[str, Any]


class DigestQueue(Protocol):
    async def add(self, item: DigestItem) -> None:
        """Queue a report for a subscription's digest; once, however often this runs."""
        ...

    async def due(self, before: date, limit: int) -> list[DigestItem]: ...

    async def remove(self, subscription_id: str, day: date) -> None: ...


class MongoDigestQueue:
    """Reports waiting for their daily digest, one document per (subscription, report)."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._items = database["alert_digest_items"]

    async def ensure_indexes(self) -> None:
        await self._items.create_index([("day", ASCENDING), ("subscription_id", ASCENDING)])

    async def add(self, item: DigestItem) -> None:
        report = item.report
        document = {
            "_id": f"{item.subscription_id}|{report.id}",
            "subscription_id": item.subscription_id,
            # ISO text: compares like the dates themselves, and BSON has no date type.
            "day": item.day.isoformat(),
            "report": {
                "id": report.id,
                "jurisdiction": report.jurisdiction,
                "category": report.category.model_dump(),
                "location": report.location.model_dump(),
                "address": report.address,
                "department": report.department.model_dump(),
                "routed_at": report.routed_at,
            },
        }
        with contextlib.suppress(DuplicateKeyError):
            await self._items.insert_one(document)

    async def due(self, before: date, limit: int) -> list[DigestItem]:
        cursor = (
            self._items.find({"day": {"$lt": before.isoformat()}})
            .sort([("day", ASCENDING), ("subscription_id", ASCENDING)])
            .limit(limit)
        )
        return [_digest_item(document) async for document in cursor]

    async def remove(self, subscription_id: str, day: date) -> None:
        await self._items.delete_many({"subscription_id": subscription_id, "day": day.isoformat()})

    async def forget(self, subscription_id: str) -> None:
        """Every report queued for the subscription, whatever its day (erasure on request)."""
        await self._items.delete_many({"subscription_id": subscription_id})


def _digest_item(document: Document) -> DigestItem:
    report = document["report"]
    return DigestItem(
        subscription_id=document["subscription_id"],
        day=date.fromisoformat(document["day"]),
        report=NewReport(
            id=report["id"],
            jurisdiction=report["jurisdiction"],
            category=CategoryRef.model_validate(report["category"]),
            location=Location.model_validate(report["location"]),
            address=report.get("address"),
            department=DepartmentRef.model_validate(report["department"]),
            routed_at=report["routed_at"],
        ),
    )
