"""The delivery log: which message went to whom, so a redelivered event is never sent twice."""

import enum
import hashlib
from datetime import datetime
from typing import Any, Protocol

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from stadtmelder_shared.events import Reporter

Document = dict[str, Any]


class Claim(enum.Enum):
    CLAIMED = "claimed"
    ALREADY_SENT = "already_sent"
    HELD_ELSEWHERE = "held_elsewhere"


class DeliveryLog(Protocol):
    async def claim(self, key: str, now: datetime, lease_until: datetime) -> Claim:
        """Take the right to send message `key` until `lease_until`, unless it was sent."""
        ...

    async def mark_sent(self, key: str, at: datetime) -> None: ...

    async def mark_failed(self, key: str, reason: str, at: datetime) -> None: ...

    async def ping(self) -> None: ...


class FollowerStore(Protocol):
    """Supporters of a report, who hear about each step like its reporter."""

    async def add(self, report_id: str, follower: Reporter) -> None: ...

    async def of(self, report_id: str) -> list[Reporter]: ...


class MongoFollowerStore:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._followers = database["followers"]

    async def ensure_indexes(self) -> None:
        await self._followers.create_index("report_id")

    async def add(self, report_id: str, follower: Reporter) -> None:
        key = hashlib.sha256(f"{report_id}|{(follower.email or '').lower()}".encode()).hexdigest()
        await self._followers.update_one(
            {"_id": key},
            {"$setOnInsert": {"report_id": report_id, **follower.model_dump()}},
            upsert=True,
        )

    async def of(self, report_id: str) -> list[Reporter]:
        cursor = self._followers.find({"report_id": report_id})
        return [Reporter.model_validate(document) async for document in cursor]


class MongoDeliveryLog:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._deliveries = database["deliveries"]

    async def ping(self) -> None:
        await self._deliveries.database.command("ping")

    async def claim(self, key: str, now: datetime, lease_until: datetime) -> Claim:
        try:
            await self._deliveries.insert_one(
                {
                    "_id": key,
                    "status": "sending",
                    "lease_until": lease_until,
                    "attempts": 1,
                    "first_attempt_at": now,
                }
            )
        except DuplicateKeyError:
            pass
        else:
            return Claim.CLAIMED
        taken_over = await self._deliveries.update_one(
            {"_id": key, "status": {"$ne": "sent"}, "lease_until": {"$lte": now}},
            {"$set": {"status": "sending", "lease_until": lease_until}, "$inc": {"attempts": 1}},
        )
        if taken_over.matched_count == 1:
            return Claim.CLAIMED
        current = await self._deliveries.find_one({"_id": key}, projection={"status": 1})
        if current is not None and current["status"] == "sent":
            return Claim.ALREADY_SENT
        return Claim.HELD_ELSEWHERE

    async def mark_sent(self, key: str, at: datetime) -> None:
        await self._deliveries.update_one(
            {"_id": key}, {"$set": {"status": "sent", "sent_at": at}, "$unset": {"last_error": ""}}
        )

    async def mark_failed(self, key: str, reason: str, at: datetime) -> None:
        # Releasing the lease lets the redelivered event try again at once.
        await self._deliveries.update_one(
            {"_id": key},
            {"$set": {"status": "failed", "last_error": reason, "lease_until": at}},
        )


def connect(url: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(url, tz_aware=True, serverSelectionTimeoutMS=5000)
