"""Where the double opt-in is kept: the SupporterStore Protocol and its MongoDB adapter, which
writes the supporters inside the report document (through the repository's `ServerLimits`) and
notes unconfirmed ones in a small side collection for the cleanup."""

from datetime import datetime
from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.core.documents import outbox_entry
from stadtmelder_reports.core.server_limits import ServerLimits
from stadtmelder_reports.support.domain import Supporter
from stadtmelder_shared import topics
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Reporter
from stadtmelder_shared.link_tokens import RecipientKeys

Document = dict[str, Any]


class SupporterStore(Protocol):
    async def supporter(self, report_id: str, recipient: str) -> tuple[Supporter | None, int]:
        """The supporter with recipient key `recipient` and the report's revision."""
        ...

    async def change(
        self, report_id: str, revision: int, recipient: str, fields: Document, event: Event
    ) -> bool:
        """Set `fields` of the supporter and queue `event` in one write, if the report is still
        at `revision`; else False."""
        ...

    async def note_unconfirmed(self, report_id: str, recipient: str, check_at: datetime) -> None:
        """Remember to look at the supporter again at `check_at` (the cleanup's list)."""
        ...

    async def unconfirmed_due(self, before: datetime, limit: int) -> list[tuple[str, str]]:
        """Report id and recipient key of supporters to look at again, due before `before`."""
        ...

    async def drop_note(self, report_id: str, recipient: str) -> None: ...


class MongoSupporterStore:
    """The supporters live in the report document (`supporters`, with their address); the
    cleanup's notes in `unconfirmed_supporters`, read by a scan of that small collection."""

    def __init__(
        self, database: AsyncDatabase[Document], limits: ServerLimits, keys: RecipientKeys
    ) -> None:
        self._reports = database["reports"]
        self._notes = database["unconfirmed_supporters"]
        self._limits = limits
        self._keys = keys

    async def supporter(self, report_id: str, recipient: str) -> tuple[Supporter | None, int]:
        document = await self._reports.find_one(
            {"_id": report_id}, projection={"supporters": 1, "revision": 1}
        )
        if document is None:
            return None, 0
        found = [
            supporter_from(entry, recipient)
            for entry in document.get("supporters") or []
            if self._keys.of(report_id, entry.get("email") or "") == recipient
        ]
        return (found[0] if found else None), document.get("revision", 1)

    async def change(
        self, report_id: str, revision: int, recipient: str, fields: Document, event: Event
    ) -> bool:
        document = await self._reports.find_one({"_id": report_id}, projection={"supporters": 1})
        supporters = [
            {**entry, **fields}
            if self._keys.of(report_id, entry.get("email") or "") == recipient
            else entry
            for entry in (document or {}).get("supporters") or []
        ]
        # The list is written whole: FerretDB 1.24 has no positional `$` update to rely on.
        return await self._limits.update_queuing(
            [event.event_id],
            {"_id": report_id, "revision": revision},
            {
                "$set": {"supporters": supporters},
                "$push": {"outbox": outbox_entry(topics.REPORTS_SUPPORTED, event)},
                "$inc": {"outbox_pending": 1, "revision": 1},
            },
        )

    async def note_unconfirmed(self, report_id: str, recipient: str, check_at: datetime) -> None:
        await self._notes.update_one(
            {"_id": f"{report_id}|{recipient}"},
            {"$set": {"report_id": report_id, "recipient": recipient, "check_at": check_at}},
            upsert=True,
        )

    async def unconfirmed_due(self, before: datetime, limit: int) -> list[tuple[str, str]]:
        cursor = self._notes.find({"check_at": {"$lte": before}}).limit(limit)
        return [(note["report_id"], note["recipient"]) async for note in cursor]

    async def drop_note(self, report_id: str, recipient: str) -> None:
        await self._notes.delete_one({"_id": f"{report_id}|{recipient}"})


def supporter_from(entry: Document, recipient: str) -> Supporter:
    asked_at = entry.get("asked_at")
    return Supporter(
        recipient=recipient,
        contact=Reporter.model_validate(entry),
        asked_at=asked_at,
        # Kept before the double opt-in (no `asked_at`): told from the start, so confirmed.
        confirmed=bool(entry.get("confirmed", True)) or asked_at is None,
    )
