"""Which report a tracking token belongs to: one small document per token hash, keyed by it.

A tracking link is opened without logging in, so the lookup must not cost more for a made-up
token than for a real one. FerretDB 1.24 answers a filter on `tracking_token_hash` by decoding
every report; a read by `_id` in this collection touches only these small entries. An entry is
written before its report, so a crash in between leaves an entry without a report, which the
repository answers like an unknown token.
"""

import contextlib
from collections.abc import AsyncIterable
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

from stadtmelder_shared.once import once_per_database

Document = dict[str, Any]
# Token hashes are 64 hex digits, so this `_id` never names a token.
FILLED_MARKER = "filled"
# Entries inserted per write while filling in reports stored before this index.
FILL_BATCH = 500
_DUPLICATE_KEY = 11000


class MongoTrackingIndex:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._entries = collection

    async def note(self, token_hash: str, report_id: str) -> None:
        """Before the report is stored."""
        # An insert, not an upsert: FerretDB checks a new `_id` with SQLite's unique index,
        # whereas an upsert first searches every entry for it. Only the same report stored
        # again has the same token hash, so a duplicate means the entry is there already.
        with contextlib.suppress(DuplicateKeyError):
            await self._entries.insert_one({"_id": token_hash, "report_id": report_id})

    async def report_of(self, token_hash: str) -> str | None:
        document = await self._entries.find_one({"_id": token_hash})
        return None if document is None else document.get("report_id")

    async def fill_once(self, entries: AsyncIterable[tuple[str, str]]) -> int:
        """Add (token hash, report id) of reports stored before this index, once per database;
        returns how many were new. Safe to run by several replicas at once."""

        async def fill() -> int:
            added = 0
            batch: list[Document] = []
            async for token_hash, report_id in entries:
                batch.append({"_id": token_hash, "report_id": report_id})
                if len(batch) == FILL_BATCH:
                    added += await self._insert_new(batch)
                    batch = []
            return added + await self._insert_new(batch)

        return await once_per_database(self._entries, FILLED_MARKER, fill)

    async def _insert_new(self, batch: list[Document]) -> int:
        """Insert the entries not there yet (`add` or another replica may have written some)."""
        if not batch:
            return 0
        try:
            result = await self._entries.insert_many(batch, ordered=False)
        except BulkWriteError as error:
            others = [e for e in error.details["writeErrors"] if e["code"] != _DUPLICATE_KEY]
            if others:
                raise
            return int(error.details["nInserted"])
        return len(result.inserted_ids)
