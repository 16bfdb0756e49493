"""Where erasure writes: the ContactStore Protocol and its adapter on the reports collection."""

import hashlib
from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.core.documents import outbox_entry
from stadtmelder_reports.core.server_limits import ServerLimits
from stadtmelder_reports.erasure.domain import Erasure
from stadtmelder_shared import topics
from stadtmelder_shared.link_tokens import RecipientKeys

Document = dict[str, Any]
# A waiting event's fields that name the reporter: cleared before the relay publishes it.
REPORTER_FIELDS = ("reporter", "tracking_token")


class ContactStore(Protocol):
    async def erase_reporter(self, report_id: str, revision: int, erasure: Erasure) -> bool:
        """Drop the reporter's contact data from the report and its waiting events, keep the
        date and queue the event, if the report is still at `revision`; else False."""
        ...

    async def erase_supporter(self, report_id: str, erasure: Erasure) -> bool:
        """Drop the supporter named by the event's recipient key; False if there is none."""
        ...


class MongoContactStore:
    """Writes through the reports repository's `ServerLimits`, so an erasure never meets another
    write of the same report at the same moment (FerretDB 1.24 would lose one of them)."""

    def __init__(
        self, database: AsyncDatabase[Document], limits: ServerLimits, keys: RecipientKeys
    ) -> None:
        self._reports = database["reports"]
        self._limits = limits
        self._keys = keys

    async def erase_reporter(self, report_id: str, revision: int, erasure: Erasure) -> bool:
        document = await self._reports.find_one(
            {"_id": report_id}, projection={"outbox": 1, "revision": 1}
        )
        if document is None or document.get("revision", 1) != revision:
            return False
        outbox = [
            *(_without_person(entry, REPORTER_FIELDS) for entry in document["outbox"]),
            outbox_entry(topics.CONTACT_DATA_ERASED, erasure.event),
        ]
        return await self._limits.update_queuing(
            [erasure.event.event_id],
            {"_id": report_id, "revision": revision},
            {
                "$set": {
                    "reporter": None,
                    "contact_erased_at": erasure.erased_at,
                    "outbox": outbox,
                    "outbox_pending": len(outbox),
                },
                "$inc": {"revision": 1},
            },
        )

    async def erase_supporter(self, report_id: str, erasure: Erasure) -> bool:
        document = await self._reports.find_one(
            {"_id": report_id},
            projection={"outbox": 1, "revision": 1, "supporters": 1, "supporter_keys": 1},
        )
        key = erasure.event.recipient_key
        if document is None or key is None:
            return False
        supporters = document.get("supporters") or []
        erased = [s for s in supporters if self._keys.of(report_id, s.get("email") or "") == key]
        if not erased:
            return False
        hashes = {hashlib.sha256(s["email"].lower().encode()).hexdigest() for s in erased}
        outbox = [
            *(
                _without_supporter(entry, key, report_id, self._keys)
                for entry in document["outbox"]
            ),
            outbox_entry(topics.CONTACT_DATA_ERASED, erasure.event),
        ]
        return await self._limits.update_queuing(
            [erasure.event.event_id],
            {"_id": report_id, "revision": document.get("revision", 1)},
            {
                "$set": {
                    "supporters": [s for s in supporters if s not in erased],
                    "supporter_keys": [
                        k for k in document.get("supporter_keys") or [] if k not in hashes
                    ],
                    "outbox": outbox,
                    "outbox_pending": len(outbox),
                },
                "$inc": {"revision": 1},
            },
        )


def _without_person(entry: Document, fields: tuple[str, ...]) -> Document:
    event = dict(entry["event"])
    for name in fields:
        if event.get(name) is not None:
            event[name] = None
    return {**entry, "event": event}


def _without_supporter(entry: Document, key: str, report_id: str, keys: RecipientKeys) -> Document:
    supporter = entry["event"].get("supporter") or {}
    if keys.of(report_id, supporter.get("email") or "") != key:
        return entry
    return _without_person(entry, ("supporter",))
