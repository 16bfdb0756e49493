"""Which events wait in reports' outboxes: one small document per event, keyed by its id.

The relay's safety net asked the reports collection for `outbox_pending > 0`; FerretDB 1.24
answers any filter but `_id` alone by decoding every report (2 to 6 s at 4,000 reports, every
poll). This index holds only waiting events, so reading all of it stays cheap however many
reports there are. An entry is written before its event enters the outbox and removed after the
event left it: a crash in between leaves an entry too many, never one too few. The removals wait
a little and go together, one command for many (an entry too many meanwhile is allowed), and
always before the index is read, so the relay and the backlog's count see none of them.
"""

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import DeleteOne
from pymongo.asynchronous.collection import AsyncCollection

from stadtmelder_shared.bulk_writes import WRITE_BATCH

Document = dict[str, Any]
# An entry older than this whose event is not in its report's outbox is left over (the event
# was published, or the write that should have queued it failed); younger, its write may still
# be under way.
LEFT_OVER_AFTER = timedelta(minutes=1)
# How long the entries of published events may wait for their delete.
FLUSH_S = 1.0


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
        # Entries of published events, deleted together at the next flush: an entry too many
        # is allowed, and one delete command for many saves a command per event.
        self._forgotten: set[str] = set()
        self._deleting: frozenset[str] = frozenset()
        self._flushing = asyncio.Lock()
        self._flushed_at = time.monotonic()

    async def note(self, report_id: str, event_ids: Iterable[str]) -> None:
        """Before the events enter the report's outbox."""
        ids = list(event_ids)
        # Noted again after a forget (a redelivery queues the same event): the delete must not
        # remove the entry written now, so it is dropped, or, under way, waited for.
        self._forgotten.difference_update(ids)
        if self._deleting.intersection(ids):
            async with self._flushing:
                self._forgotten.difference_update(ids)
        now = datetime.now(UTC)
        await asyncio.gather(
            *(
                self._entries.replace_one(
                    {"_id": event_id}, {"report_id": report_id, "since": now}, upsert=True
                )
                for event_id in ids
            )
        )

    async def forget(self, event_ids: Iterable[str]) -> None:
        """After the events left the outbox; deleted at most `FLUSH_S` later, or before the
        index is next read."""
        self._forgotten.update(event_ids)
        if time.monotonic() - self._flushed_at >= FLUSH_S:
            await self.flush()

    async def flush(self) -> None:
        """Delete the forgotten entries: by `_id`, one statement each (FerretDB scans for `$in`),
        in commands of `WRITE_BATCH`."""
        async with self._flushing:
            self._flushed_at = time.monotonic()
            if not self._forgotten:
                return
            self._deleting, self._forgotten = frozenset(self._forgotten), set()
            deletes = [DeleteOne({"_id": event_id}) for event_id in self._deleting]
            try:
                for start in range(0, len(deletes), WRITE_BATCH):
                    batch = deletes[start : start + WRITE_BATCH]
                    await self._entries.bulk_write(batch, ordered=False)
            except BaseException:
                self._forgotten |= self._deleting  # tried again at the next flush
                raise
            finally:
                self._deleting = frozenset()

    async def waiting(self, limit: int) -> list[Waiting]:
        await self.flush()
        cursor = self._entries.find({}).limit(limit)
        return [
            Waiting(document["_id"], document["report_id"], document["since"])
            async for document in cursor
        ]

    async def count(self) -> int:
        await self.flush()
        return await self._entries.count_documents({})
