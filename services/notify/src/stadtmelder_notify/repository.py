"""The delivery log (which message went to whom, so none is sent twice, and which wait for a
free slot) and the followers of each report with their preferences.

FerretDB 1.24 loses one of two updates of the same document at the same moment: a delivery's
document is written only by whoever holds its lease, and follower documents are written one at
a time per process (see `MongoFollowerStore._update`).
"""

import enum
import json
from dataclasses import asdict
from datetime import datetime
from typing import Any, Protocol

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from pymongo.results import UpdateResult

from stadtmelder_notify.domain import Mail, PendingMail, PushMessage, WebhookCall
from stadtmelder_notify.links import recipient_key
from stadtmelder_shared.events import EVENT_TYPES, CitizenNotified, Language, Reporter
from stadtmelder_shared.keyed_locks import KeyedLocks

Document = dict[str, Any]


class Claim(enum.Enum):
    CLAIMED = "claimed"
    ALREADY_SENT = "already_sent"
    HELD_ELSEWHERE = "held_elsewhere"
    # Waiting for the recipient's rate limit; the deferred sender owns it now.
    DEFERRED = "deferred"
    # Failed too often and dead-lettered.
    ABANDONED = "abandoned"


class DeliveryLog(Protocol):
    async def claim(self, key: str, now: datetime, lease_until: datetime) -> Claim:
        """Take the right to send message `key` until `lease_until`, unless it was sent."""
        ...

    async def mark_sent(self, key: str, at: datetime, recipient: str | None = None) -> None:
        """`recipient` (an address key) counts the mail against that person's rate limit."""
        ...

    async def mark_failed(self, key: str, reason: str, at: datetime) -> int:
        """Give the lease up after a failed send; returns how often sending `key` has failed."""
        ...

    async def mark_abandoned(self, key: str, reason: str, at: datetime) -> None: ...

    async def sent_since(self, recipient: str, since: datetime) -> list[datetime]:
        """When mails to `recipient` (an address key) were sent since `since`."""
        ...

    async def defer(self, pending: PendingMail, not_before: datetime) -> None:
        """Keep a claimed message for the deferred sender, to go at `not_before` or later."""
        ...

    async def due_deferred(self, now: datetime, limit: int) -> list[str]: ...

    async def take_deferred(
        self, key: str, now: datetime, lease_until: datetime
    ) -> PendingMail | None:
        """Lease a due deferred message; None if it is not due or someone else took it."""
        ...

    async def ping(self) -> None: ...


class FollowerStore(Protocol):
    """Reporters and supporters of a report, who hear about each step."""

    async def add(self, report_id: str, follower: Reporter) -> None: ...

    async def of(self, report_id: str) -> list[Reporter]:
        """Those who still want mail about the report, each in the language they chose."""
        ...

    async def set_preferences(
        self,
        report_id: str,
        recipient: str,
        opted_out: bool | None,
        language: Language | None,
    ) -> bool:
        """Apply a choice of the follower with key `recipient`; False if nobody has that key."""
        ...

    async def mark_confirmed(self, report_id: str, email: str) -> None:
        """The reporter's confirmation of receipt was dealt with: sent, kept back or unwanted."""

    async def is_confirmed(self, report_id: str, email: str) -> bool: ...


class MongoFollowerStore:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._followers = database["followers"]
        self._writing = KeyedLocks()

    async def ensure_indexes(self) -> None:
        await self._followers.create_index("report_id")

    async def add(self, report_id: str, follower: Reporter) -> None:
        key = recipient_key(report_id, follower.email or "")
        await self._update(
            key,
            {"$setOnInsert": {"report_id": report_id, **follower.model_dump()}},
            upsert=True,
        )

    async def of(self, report_id: str) -> list[Reporter]:
        cursor = self._followers.find({"report_id": report_id, "opted_out": {"$ne": True}})
        return [
            Reporter.model_validate(
                {**document, "language": document.get("chosen_language") or document["language"]}
            )
            async for document in cursor
        ]

    async def set_preferences(
        self,
        report_id: str,
        recipient: str,
        opted_out: bool | None,
        language: Language | None,
    ) -> bool:
        choices: Document = {}
        if opted_out is not None:
            choices["opted_out"] = opted_out
        if language is not None:
            choices["chosen_language"] = language
        if not choices:
            return await self._followers.count_documents({"_id": recipient}, limit=1) == 1
        result = await self._update(recipient, {"$set": choices}, report_id=report_id)
        return result.matched_count == 1

    async def mark_confirmed(self, report_id: str, email: str) -> None:
        await self._update(recipient_key(report_id, email), {"$set": {"confirmed": True}})

    async def is_confirmed(self, report_id: str, email: str) -> bool:
        found = await self._followers.count_documents(
            {"_id": recipient_key(report_id, email), "confirmed": True}, limit=1
        )
        return found == 1

    async def _update(
        self, key: str, update: Document, upsert: bool = False, report_id: str | None = None
    ) -> UpdateResult:
        """One follower's write, never at the same moment as another write of that follower."""
        condition: Document = {"_id": key}
        if report_id is not None:
            condition["report_id"] = report_id
        async with self._writing(key):
            return await self._followers.update_one(condition, update, upsert=upsert)


class MongoDeliveryLog:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._deliveries = database["deliveries"]

    async def ensure_indexes(self) -> None:
        await self._deliveries.create_index([("recipient", ASCENDING), ("sent_at", ASCENDING)])
        await self._deliveries.create_index([("status", ASCENDING), ("lease_until", ASCENDING)])

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
                    "failures": 0,
                    "first_attempt_at": now,
                }
            )
        except DuplicateKeyError:
            pass
        else:
            return Claim.CLAIMED
        taken_over = await self._deliveries.update_one(
            {"_id": key, "status": {"$in": ["sending", "failed"]}, "lease_until": {"$lte": now}},
            {"$set": {"status": "sending", "lease_until": lease_until}, "$inc": {"attempts": 1}},
        )
        if taken_over.matched_count == 1:
            return Claim.CLAIMED
        current = await self._deliveries.find_one({"_id": key}, projection={"status": 1})
        status = current["status"] if current is not None else None
        return {
            "sent": Claim.ALREADY_SENT,
            "deferred": Claim.DEFERRED,
            "abandoned": Claim.ABANDONED,
        }.get(status or "", Claim.HELD_ELSEWHERE)

    async def mark_sent(self, key: str, at: datetime, recipient: str | None = None) -> None:
        fields: Document = {"status": "sent", "sent_at": at}
        if recipient is not None:
            fields["recipient"] = recipient
        # The mail itself is not kept once it went out: it holds the address.
        await self._deliveries.update_one(
            {"_id": key}, {"$set": fields, "$unset": {"last_error": "", "pending": ""}}
        )

    async def mark_failed(self, key: str, reason: str, at: datetime) -> int:
        # Releasing the lease lets the redelivered event try again at once.
        await self._deliveries.update_one(
            {"_id": key},
            {
                "$set": {"status": "failed", "last_error": reason, "lease_until": at},
                "$inc": {"failures": 1},
            },
        )
        current = await self._deliveries.find_one({"_id": key}, projection={"failures": 1})
        return int(current["failures"]) if current is not None else 1

    async def mark_abandoned(self, key: str, reason: str, at: datetime) -> None:
        await self._deliveries.update_one(
            {"_id": key},
            {
                "$set": {"status": "abandoned", "last_error": reason, "abandoned_at": at},
                "$unset": {"pending": ""},
            },
        )

    async def sent_since(self, recipient: str, since: datetime) -> list[datetime]:
        cursor = self._deliveries.find(
            {"recipient": recipient, "status": "sent", "sent_at": {"$gte": since}},
            projection={"sent_at": 1},
        )
        return [document["sent_at"] async for document in cursor]

    async def defer(self, pending: PendingMail, not_before: datetime) -> None:
        await self._deliveries.update_one(
            {"_id": pending.key},
            {
                "$set": {
                    "status": "deferred",
                    "lease_until": not_before,
                    # As JSON text: events may hold arrays and keys FerretDB 1.x refuses.
                    "pending": _pending_json(pending),
                }
            },
        )

    async def due_deferred(self, now: datetime, limit: int) -> list[str]:
        cursor = (
            self._deliveries.find(
                {"status": "deferred", "lease_until": {"$lte": now}}, projection={"_id": 1}
            )
            .sort("lease_until", ASCENDING)
            .limit(limit)
        )
        return [str(document["_id"]) async for document in cursor]

    async def take_deferred(
        self, key: str, now: datetime, lease_until: datetime
    ) -> PendingMail | None:
        taken = await self._deliveries.update_one(
            {"_id": key, "status": "deferred", "lease_until": {"$lte": now}},
            {"$set": {"status": "sending", "lease_until": lease_until}, "$inc": {"attempts": 1}},
        )
        if taken.matched_count != 1:
            return None
        document = await self._deliveries.find_one({"_id": key}, projection={"pending": 1})
        if document is None or not document.get("pending"):
            return None
        return _pending_from(str(document["pending"]))


def _pending_json(pending: PendingMail) -> str:
    return json.dumps(
        {
            "key": pending.key,
            "channel": pending.channel,
            "mail": asdict(pending.mail),
            "language": pending.language,
            "recipient": pending.recipient,
            "follower": pending.follower,
            "topic": pending.topic,
            "cause_type": pending.cause.type,
            "cause": pending.cause.model_dump(mode="json"),
            "notified": pending.notified.model_dump(mode="json"),
        }
    )


def _pending_from(text: str) -> PendingMail:
    data = json.loads(text)
    channel = data.get("channel", "email")
    kind = {"email": Mail, "webhook": WebhookCall, "web_push": PushMessage}[channel]
    return PendingMail(
        key=data["key"],
        mail=kind(**data["mail"]),
        language=data["language"],
        recipient=data["recipient"],
        follower=data["follower"],
        topic=data["topic"],
        cause=EVENT_TYPES[data["cause_type"]].model_validate(data["cause"]),
        notified=CitizenNotified.model_validate(data["notified"]),
        channel=channel,
    )


def connect(url: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(url, tz_aware=True, serverSelectionTimeoutMS=5000)
