"""What routing remembers: which submissions it has already routed (its idempotency log)."""

from datetime import datetime
from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_shared.events import ReportRouted, ReportUnroutable

Document = dict[str, Any]


class RoutingLog(Protocol):
    async def was_routed(self, submitted_event_id: str) -> bool: ...

    async def remember(self, decided: ReportRouted | ReportUnroutable, at: datetime) -> None: ...

    async def ping(self) -> None: ...


class MongoRoutingLog:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._decisions = database["decisions"]

    async def ping(self) -> None:
        await self._decisions.database.command("ping")

    async def was_routed(self, submitted_event_id: str) -> bool:
        return await self._decisions.count_documents({"_id": submitted_event_id}, limit=1) > 0

    async def remember(self, decided: ReportRouted | ReportUnroutable, at: datetime) -> None:
        rule = decided.rule if isinstance(decided, ReportRouted) else "unroutable"
        await self._decisions.update_one(
            {"_id": decided.caused_by},
            {
                "$setOnInsert": {
                    "report_id": decided.report_id,
                    "department_id": decided.department.id,
                    "rule": rule,
                    "routed_event_id": decided.event_id,
                    "routed_at": at,
                }
            },
            upsert=True,
        )
