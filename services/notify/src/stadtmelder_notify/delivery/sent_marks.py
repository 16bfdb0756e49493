"""Deliveries marked sent in the database behind the sending, many in one command.

A mail costs one write before it is sent (its claim) instead of two: its "sent" waits here and
goes with the others of the last `FLUSH_S` in one update command. Exactly-once does not wait
for it: the sent journal has the message on local disk from the moment its server accepted it,
until the database has it too (the journal settles it only after that write); a redelivered
event asks the journal first, and a process killed before the write is replayed from its
journal when it starts again. Without a journal nothing covers a kill, so the mark is written
at once.
"""

import asyncio
from datetime import datetime
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from stadtmelder_notify.delivery.sent_journal import SentJournal
from stadtmelder_shared.bulk_writes import WRITE_BATCH

Document = dict[str, Any]


def sent_update(at: datetime) -> Document:
    # Neither the mail (it holds the address) nor the address's key is kept once it went out: a
    # hash anyone can recompute from the address would outlive an erasure.
    return {
        "$set": {"status": "sent", "sent_at": at},
        "$unset": {"last_error": "", "pending": "", "recipient": ""},
    }


class SentMarks:
    def __init__(self, deliveries: AsyncCollection[Document], journal: SentJournal | None) -> None:
        self._deliveries = deliveries
        self._journal = journal
        # Sent, journalled, not yet in the database: key -> when.
        self._unwritten: dict[str, datetime] = {}
        self._flushing = asyncio.Lock()

    async def mark(self, key: str, at: datetime) -> None:
        if self._journal is None:
            await self._deliveries.update_one({"_id": key}, sent_update(at))
            return
        self._unwritten[key] = at

    def waiting(self, key: str) -> bool:
        return key in self._unwritten

    async def write_now(self, key: str, at: datetime) -> None:
        """For a replay: into the database at once, and no longer waiting here."""
        self._unwritten.pop(key, None)
        await self._deliveries.update_one({"_id": key}, sent_update(at))
        if self._journal is not None:
            self._journal.settle(key)

    async def flush(self) -> None:
        """Write the waiting marks, one command per `WRITE_BATCH`; then the journal may forget
        them. A failed write keeps them for the next flush."""
        async with self._flushing:
            unwritten, self._unwritten = self._unwritten, {}
            writes = [UpdateOne({"_id": key}, sent_update(at)) for key, at in unwritten.items()]
            try:
                for start in range(0, len(writes), WRITE_BATCH):
                    await self._deliveries.bulk_write(
                        writes[start : start + WRITE_BATCH], ordered=False
                    )
            except BaseException:
                self._unwritten = {**unwritten, **self._unwritten}
                raise
            if self._journal is not None:
                for key in unwritten:
                    self._journal.settle(key)
