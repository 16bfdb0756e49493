"""The send log: each (work item, method) pair, so a delivered item is never sent again by it.

One document per pair, written only by the task that holds its lease: FerretDB 1.x loses
updates when two writers change one document at once, so nothing else writes to it meanwhile.
"""

import enum
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

import pymongo
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from stadtmelder_routing.sending.methods import method_key
from stadtmelder_shared.departments import SendKind, SendMethod
from stadtmelder_shared.work_item_events import WorkItemQueued

Document = dict[str, Any]
SendStatus = Literal["pending", "delivered", "failed"]


class ClaimState(enum.Enum):
    CLAIMED = "claimed"
    DELIVERED = "delivered"
    HELD_ELSEWHERE = "held_elsewhere"


@dataclass(frozen=True)
class Claim:
    state: ClaimState
    attempts: int = 0
    failure_announced: bool = False
    # When the send was first claimed, if an earlier round took it before this claim: that
    # round may have delivered the item and been cut off before recording it.
    earlier_round_since: datetime | None = None


@dataclass(frozen=True)
class SendRecord:
    """What operators see of one send; no contents of the work item."""

    event_id: str
    report_id: str
    department_id: str
    method: str
    status: SendStatus
    attempts: int
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None = None
    failed_at: datetime | None = None
    receipt: str | None = None


@dataclass(frozen=True)
class UnfinishedSend:
    """A send to try again, with what it needs: the work item and the method."""

    item: WorkItemQueued
    method: SendMethod


def send_key(event_id: str, method: SendMethod) -> str:
    return f"{event_id}/{method_key(method)}"


class SendLog(Protocol):
    async def claim(
        self, item: WorkItemQueued, method: SendMethod, now: datetime, lease_until: datetime
    ) -> Claim:
        """Take the right to send until `lease_until`, unless delivered or leased elsewhere."""
        ...

    async def extend(self, key: str, lease_until: datetime) -> None:
        """Keep holding a send whose round is still under way."""
        ...

    async def mark_delivered(
        self, key: str, receipt: str | None, attempts: int, last_error: str | None, at: datetime
    ) -> None:
        """Record the round's `attempts`, the last one of which delivered."""
        ...

    async def mark_failed(
        self, key: str, error: str, attempts: int, at: datetime, *, failure_announced: bool
    ) -> None:
        """Record the round as failed and give up the lease, so a retry may take it at once."""
        ...

    async def unfinished(self, now: datetime, limit: int) -> list[UnfinishedSend]:
        """Failed sends, and pending ones whose lease ran out (a crash mid-round), oldest first."""
        ...

    async def failed(self, limit: int) -> list[SendRecord]:
        """Failed sends, most recent first."""
        ...

    async def of_report(self, report_id: str) -> list[SendRecord]: ...


class MongoSendLog:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._sends = database["sends"]

    async def ensure_indexes(self) -> None:
        await self._sends.create_index([("status", 1), ("updated_at", 1)])
        await self._sends.create_index("report_id")

    async def claim(
        self, item: WorkItemQueued, method: SendMethod, now: datetime, lease_until: datetime
    ) -> Claim:
        key = send_key(item.event_id, method)
        try:
            await self._sends.insert_one(
                {
                    "_id": key,
                    "event_id": item.event_id,
                    "report_id": item.report_id,
                    "department_id": item.department.id,
                    "method": method_key(method),
                    "method_spec": _method_document(method),
                    # As JSON text: answers may hold keys or arrays FerretDB 1.x refuses.
                    "item": item.model_dump_json(),
                    "status": "pending",
                    "attempts": 0,
                    "failure_announced": False,
                    "created_at": now,
                    "updated_at": now,
                    "lease_until": lease_until,
                }
            )
        except DuplicateKeyError:
            pass
        else:
            return Claim(ClaimState.CLAIMED)
        taken_over = await self._sends.update_one(
            {"_id": key, "status": {"$ne": "delivered"}, "lease_until": {"$lte": now}},
            {"$set": {"lease_until": lease_until, "updated_at": now}},
        )
        current = await self._sends.find_one({"_id": key})
        if current is None or current["status"] == "delivered":
            return Claim(ClaimState.DELIVERED)
        if taken_over.matched_count != 1:
            return Claim(ClaimState.HELD_ELSEWHERE)
        return Claim(
            ClaimState.CLAIMED,
            int(current["attempts"]),
            bool(current["failure_announced"]),
            earlier_round_since=current["created_at"],
        )

    async def extend(self, key: str, lease_until: datetime) -> None:
        # By `_id` alone, which FerretDB finds by index; only the lease holder calls this.
        await self._sends.update_one({"_id": key}, {"$set": {"lease_until": lease_until}})

    async def mark_delivered(
        self, key: str, receipt: str | None, attempts: int, last_error: str | None, at: datetime
    ) -> None:
        errors = {} if last_error is None else {"last_error": last_error}
        # The work item's contents are kept only as long as a retry may need them.
        await self._sends.update_one(
            {"_id": key},
            {
                "$set": {
                    "status": "delivered",
                    "receipt": receipt,
                    "delivered_at": at,
                    "updated_at": at,
                    **errors,
                },
                "$inc": {"attempts": attempts},
                "$unset": {"item": "", "lease_until": ""},
            },
        )

    async def mark_failed(
        self, key: str, error: str, attempts: int, at: datetime, *, failure_announced: bool
    ) -> None:
        await self._sends.update_one(
            {"_id": key},
            {
                "$set": {
                    "status": "failed",
                    "last_error": error,
                    "failed_at": at,
                    "updated_at": at,
                    "lease_until": at,
                    "failure_announced": failure_announced,
                },
                "$inc": {"attempts": attempts},
            },
        )

    async def unfinished(self, now: datetime, limit: int) -> list[UnfinishedSend]:
        cursor = (
            self._sends.find(
                {"status": {"$in": ["pending", "failed"]}, "lease_until": {"$lte": now}}
            )
            .sort([("updated_at", pymongo.ASCENDING), ("_id", pymongo.ASCENDING)])
            .limit(limit)
        )
        return [
            UnfinishedSend(
                WorkItemQueued.model_validate_json(document["item"]),
                _method(document["method_spec"]),
            )
            async for document in cursor
        ]

    async def failed(self, limit: int) -> list[SendRecord]:
        cursor = (
            self._sends.find({"status": "failed"})
            .sort([("failed_at", pymongo.DESCENDING), ("_id", pymongo.ASCENDING)])
            .limit(limit)
        )
        return [_record(document) async for document in cursor]

    async def of_report(self, report_id: str) -> list[SendRecord]:
        cursor = self._sends.find({"report_id": report_id}).sort("_id", pymongo.ASCENDING)
        return [_record(document) async for document in cursor]


def _method_document(method: SendMethod) -> Document:
    # Its fields name secrets only, as in the department directory; never their values.
    return asdict(method)


def _method(document: Document) -> SendMethod:
    kind: SendKind = document["kind"]
    return SendMethod(
        kind=kind,
        url=document.get("url"),
        mailbox=document.get("mailbox"),
        secret_env=document.get("secret_env"),
        service_code=document.get("service_code"),
    )


def _record(document: Document) -> SendRecord:
    return SendRecord(
        event_id=document["event_id"],
        report_id=document["report_id"],
        department_id=document["department_id"],
        method=document["method"],
        status=document["status"],
        attempts=int(document["attempts"]),
        last_error=document.get("last_error"),
        created_at=document["created_at"],
        updated_at=document["updated_at"],
        delivered_at=document.get("delivered_at"),
        failed_at=document.get("failed_at"),
        receipt=document.get("receipt"),
    )
