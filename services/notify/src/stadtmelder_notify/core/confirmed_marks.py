"""Reporters' confirmations of receipt marked in their reports' followers documents behind the
sending, many reports in one command.

The mark is for another process only: this one knows from memory that it told a submission
(`confirmations`), and a routed message on another replica (after a rebalance or a crash) that
finds no mark waits at most its `confirmation_wait_s` and still follows the confirmation, which
went out before the mark was noted. So a report's confirmation costs no write of its own, and a
process killed before its next flush leaves at worst such a wait.

A report's followers document is written one at a time per process (FerretDB 1.24 loses one of
two updates of a document at the same moment), so a flush holds the locks of the reports it
writes. An erasure first drops the report's waiting mark and waits for a flush under way, so no
flush writes the erased reporter's key back after the erasure's own write.
"""

import asyncio
import contextlib
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from stadtmelder_shared.bulk_writes import WRITE_BATCH
from stadtmelder_shared.keyed_locks import KeyedLocks

Document = dict[str, Any]
# How often the marks noted here go to the database.
FLUSH_S = 1.0


class ConfirmedMarks:
    def __init__(self, reports: AsyncCollection[Document], writing: KeyedLocks) -> None:
        self._reports = reports
        self._writing = writing
        # Noted, not yet in the database: report id -> recipient keys.
        self._unwritten: dict[str, set[str]] = {}
        self._flushing = asyncio.Lock()

    def note(self, report_id: str, key: str) -> None:
        self._unwritten.setdefault(report_id, set()).add(key)

    def waiting(self, report_id: str, key: str) -> bool:
        return key in self._unwritten.get(report_id, ())

    async def forget(self, report_id: str, key: str) -> None:
        """The recipient is being erased: their mark is not written, and a flush under way has
        written it before this returns. Not to be called holding the report's lock."""
        self._drop(report_id, key)
        async with self._flushing:
            self._drop(report_id, key)  # put back by a flush that failed meanwhile

    async def flush(self) -> None:
        """Write the waiting marks, one command per `WRITE_BATCH` reports; a failed write keeps
        them for the next flush."""
        async with self._flushing:
            unwritten, self._unwritten = self._unwritten, {}
            report_ids = sorted(unwritten)
            try:
                for start in range(0, len(report_ids), WRITE_BATCH):
                    await self._write(report_ids[start : start + WRITE_BATCH], unwritten)
            except BaseException:
                for report_id, keys in unwritten.items():
                    self._unwritten.setdefault(report_id, set()).update(keys)
                raise

    async def _write(self, report_ids: list[str], unwritten: dict[str, set[str]]) -> None:
        async with contextlib.AsyncExitStack() as held:
            # In one order, and no caller holds a report's lock while it waits for a flush.
            for report_id in report_ids:
                await held.enter_async_context(self._writing(report_id))
            writes = [
                UpdateOne(
                    {"_id": report_id},
                    {"$set": {f"confirmed.{key}": True for key in sorted(unwritten[report_id])}},
                    upsert=True,
                )
                for report_id in report_ids
                if unwritten[report_id]
            ]
            if writes:
                await self._reports.bulk_write(writes, ordered=False)

    def _drop(self, report_id: str, key: str) -> None:
        keys = self._unwritten.get(report_id)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._unwritten[report_id]
