"""When each recipient was last sent to, for their rate limit: one document per recipient (`_id` =
their address key) with the send times of the last `keep_sent`, read once and kept in memory for
`SEND_TIMES_S`, written behind in batches every `FLUSH_S`.

Written behind because the rate limit is a courtesy, not a guarantee: a report's two mails to
its reporter cost no write each, and a process killed before its next flush under-counts the
sends of its last second, which the limit's hour easily absorbs. Exactly-once does not rest on
these times (the delivery log's claims and the sent journal keep it). Another replica's sends
show here after at most `SEND_TIMES_S` plus its `FLUSH_S`.
"""

import asyncio
from datetime import datetime, timedelta
from typing import Any

from pymongo import ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_notify.fresh import Fresh
from stadtmelder_shared.bulk_writes import replace_in_batches
from stadtmelder_shared.keyed_locks import KeyedLocks

Document = dict[str, Any]
SendTimes = dict[str, datetime]
# How long a recipient's send times read here are trusted without asking again.
SEND_TIMES_S = 10.0
# How often the send times recorded here go to the database.
FLUSH_S = 1.0


class MongoSendTimes:
    def __init__(self, database: AsyncDatabase[Document], keep_sent: timedelta) -> None:
        self._send_times = database["send_times"]
        # At least the rate limit's window: older send times are dropped at the next send.
        self._keep_sent = keep_sent
        self._recording = KeyedLocks()
        self._times: Fresh[SendTimes] = Fresh(SEND_TIMES_S)
        # Recorded here and not yet written, by recipient: the whole map, which replaces theirs.
        self._unwritten: dict[str, SendTimes] = {}
        self._flushing = asyncio.Lock()

    async def of(self, recipient: str) -> SendTimes:
        unwritten = self._unwritten.get(recipient)
        if unwritten is not None:
            return unwritten
        known = self._times.get(recipient)
        if known is not None:
            return known
        generation = self._times.generation
        document = await self._send_times.find_one({"_id": recipient}) or {}
        found = dict(document.get("sent") or {})
        self._times.put(recipient, found, generation)
        return found

    async def record(self, recipient: str, key: str, at: datetime) -> None:
        """Keyed by delivery, so a message recorded twice counts once."""
        async with self._recording(recipient):
            recent = {
                sent_key: sent_at
                for sent_key, sent_at in (await self.of(recipient)).items()
                if sent_at >= at - self._keep_sent
            }
            recent[key] = at
            self._unwritten[recipient] = recent
            self._times.put(recipient, recent)

    async def flush(self) -> None:
        """Write what was recorded since the last flush, one command per 50 recipients."""
        async with self._flushing:
            unwritten, self._unwritten = self._unwritten, {}
            writes = [
                ReplaceOne({"_id": recipient}, {"sent": times}, upsert=True)
                for recipient, times in unwritten.items()
            ]
            try:
                await replace_in_batches(self._send_times, writes)
            except BaseException:
                # Kept for the next flush, unless recorded again meanwhile (that map is newer).
                self._unwritten = {**unwritten, **self._unwritten}
                raise

    async def forget(self, recipient: str) -> None:
        """The address was erased: its hash leaves memory at once, and a flush under way has
        written it before this returns, so the caller's delete is the last word."""
        self._times.drop(recipient)
        self._unwritten.pop(recipient, None)
        async with self._flushing:
            self._unwritten.pop(recipient, None)
