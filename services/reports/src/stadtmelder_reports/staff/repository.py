"""The staff side's own stores: the audit trail and the roster of staff who have signed in."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.staff.auth import ROLES, StaffMember
from stadtmelder_shared.event_values import Actor

Document = dict[str, Any]
AuditAction = Literal["transition", "comment", "assignment", "contact_read", "moderation"]


@dataclass(frozen=True)
class AuditEntry:
    """Who did what to which report, when; the id is the caused event's id where there is one."""

    id: str
    at: datetime
    report_id: str
    actor: Actor
    action: AuditAction
    details: Mapping[str, str | None] = field(default_factory=dict)


class AuditLog(Protocol):
    async def record(self, entry: AuditEntry) -> None:
        """Keep `entry`; recording the same id again changes nothing."""
        ...

    async def for_report(self, report_id: str) -> list[AuditEntry]:
        """Oldest first."""
        ...


class StaffRoster(Protocol):
    """Staff known from their sign-ins: whom a report can be assigned to."""

    async def remember(self, member: StaffMember, at: datetime) -> None: ...

    async def member(self, user_id: str) -> StaffMember | None: ...


class MongoAuditLog:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._entries = database["audit"]

    async def ensure_indexes(self) -> None:
        await self._entries.create_index([("report_id", ASCENDING), ("at", ASCENDING)])

    async def record(self, entry: AuditEntry) -> None:
        document = {
            "at": entry.at,
            "report_id": entry.report_id,
            "actor": entry.actor.model_dump(),
            "action": entry.action,
            "details": dict(entry.details),
        }
        await self._entries.replace_one({"_id": entry.id}, document, upsert=True)

    async def for_report(self, report_id: str) -> list[AuditEntry]:
        cursor = self._entries.find({"report_id": report_id}).sort(
            [("at", ASCENDING), ("_id", ASCENDING)]
        )
        return [
            AuditEntry(
                id=document["_id"],
                at=document["at"],
                report_id=document["report_id"],
                actor=Actor.model_validate(document["actor"]),
                action=document["action"],
                details=document.get("details") or {},
            )
            async for document in cursor
        ]


class MongoStaffRoster:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._staff = database["staff"]

    async def remember(self, member: StaffMember, at: datetime) -> None:
        await self._staff.update_one(
            {"_id": member.user_id},
            {
                "$set": {
                    "department_id": member.department_id,
                    "roles": sorted(member.roles),
                    "last_seen": at,
                }
            },
            upsert=True,
        )

    async def member(self, user_id: str) -> StaffMember | None:
        document = await self._staff.find_one({"_id": user_id})
        if document is None:
            return None
        roles = frozenset(role for role in ROLES if role in document.get("roles", []))
        return StaffMember(user_id, roles, document.get("department_id"))
