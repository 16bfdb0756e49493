"""Which events wait in reports' outboxes: one small document per event, keyed by its id.

The relay's safety net asked the reports collection for `outbox_pending > 0`; FerretDB 1.24
answers any filter but `_id` alone by decoding every report (2 to 6 s at 4,000 reports, every
poll). This index holds only waiting events, so reading all of it stays cheap however many
reports there are. An entry is written before its event enters the outbox and removed after the
event left it: a crash in between leaves an entry too many, never one too few.
"""

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

Document = dict[str, Any]
# An entry older than this whose event is not in its report's outbox is left over (the event
# was published, or the write that should have queued it failed); younger, its write may still
# be under way.
LEFT_OVER_AFTER = timedelta(minutes=1)


@dataclass(frozen=True)
class Waiting:
    event_id: str
    report_id: str
    since: datetime

    def is_left_over(self, now: datetime) -> bool:
        return now - self.since > LEFT_OVER_AFTER


class MongoOutboxIndex:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._entries = collection

    async def note(self, report_id: str, event_ids: Iterable[str]) -> None:
        """Before the events enter the report's outbox."""
        now = datetime.now(UTC)
        await asyncio.gather(
            *(
                self._entries.replace_one(
                    {"_id": event_id}, {"report_id": report_id, "since": now}, upsert=True
                )
                for event_id in event_ids
            )
        )

    async def forget(self, event_ids: Iterable[str]) -> None:
        """After the events left the outbox. One delete by `_id` each: FerretDB scans for `$in`."""
        await asyncio.gather(*(self._entries.delete_one({"_id": e}) for e in event_ids))

    async def waiting(self, limit: int) -> list[Waiting]:
        cursor = self._entries.find({}).limit(limit)
        return [
            Waiting(document["_id"], document["report_id"], document["since"])
            async for document in cursor
        ]

    async def count(self) -> int:
        return await self._entries.count_documents({})
