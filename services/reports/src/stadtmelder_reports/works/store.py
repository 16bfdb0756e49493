"""Where the known works are kept: the store Protocol, its MongoDB adapter, and the works'
outbox as the relay sees it (a works not yet announced in its latest revision)."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.core.outbox_store import Pending
from stadtmelder_reports.works.domain import Works
from stadtmelder_shared import topics
from stadtmelder_shared.conditional_writes import ConditionalWrites
from stadtmelder_shared.keyed_locks import KeyedLocks


@dataclass(frozen=True)
class StoredWorks:
    """Works as kept: their revision, when it was kept, and whether it is still unannounced."""

    works: Works
    revision: int
    changed_at: datetime
    unpublished: bool


Document = dict[str, Any]


class WorksStore(Protocol):
    async def get(self, works_id: str) -> StoredWorks | None: ...

    async def all(self) -> list[StoredWorks]: ...

    async def put(self, works: Works, now: datetime) -> StoredWorks | None:
        """Keep this state as the works' next revision, to be announced; None (and nothing
        written) when it is the state already kept."""
        ...

    async def unpublished(self, limit: int) -> list[StoredWorks]: ...

    async def mark_published(self, works_id: str, revision: int) -> None:
        """Announced at `revision`; a change kept since stays to be announced."""
        ...


class MongoWorksStore:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._works = database["works"]
        self._conditional = ConditionalWrites(self._works, KeyedLocks())

    async def get(self, works_id: str) -> StoredWorks | None:
        document = await self._works.find_one({"_id": works_id})
        return None if document is None else _from_document(document)

    async def all(self) -> list[StoredWorks]:
        # A city's register holds hundreds of works, not thousands: read whole, sorted here.
        found = [_from_document(d) async for d in self._works.find({})]
        return sorted(found, key=lambda s: (s.works.starts_on, s.works.id))

    async def put(self, works: Works, now: datetime) -> StoredWorks | None:
        kept = await self.get(works.id)
        if kept is not None and kept.works == works:
            return None
        stored = StoredWorks(works, (kept.revision if kept else 0) + 1, now, unpublished=True)
        await self._works.replace_one({"_id": works.id}, _to_document(stored), upsert=True)
        return stored

    async def unpublished(self, limit: int) -> list[StoredWorks]:
        # FerretDB 1.24 reads the whole collection for this filter; the register is small.
        cursor = self._works.find({"unpublished": True}).limit(limit)
        return [_from_document(d) async for d in cursor]

    async def mark_published(self, works_id: str, revision: int) -> None:
        await self._conditional.update(
            {"_id": works_id, "revision": revision}, {"$set": {"unpublished": False}}
        )


class WorksOutbox:
    """The relay's view: each works kept but not announced is one pending `WorksChanged`."""

    key_name = "works_id"

    def __init__(self, store: WorksStore, jurisdiction: str) -> None:
        self._store, self._jurisdiction = store, jurisdiction

    async def pending_batch(self, limit: int) -> list[Pending]:
        return [self._pending(stored) for stored in await self._store.unpublished(limit)]

    async def pending_of(self, key: str) -> Pending | None:
        stored = await self._store.get(key)
        return None if stored is None or not stored.unpublished else self._pending(stored)

    async def mark_sent(self, pending: Pending, event_ids: Sequence[str]) -> None:
        await self._store.mark_published(pending.key, pending.revision)

    def handed_over(self, pending: Pending, event_ids: Sequence[str]) -> None:
        """Never called: the works relay has no owner, every replica marks its works sent."""

    def _pending(self, stored: StoredWorks) -> Pending:
        event = stored.works.changed(stored.revision, self._jurisdiction, stored.changed_at)
        return Pending(stored.works.id, stored.revision, [(topics.WORKS_CHANGED, event)])


def _to_document(stored: StoredWorks) -> Document:
    works = stored.works
    return {
        "_id": works.id,
        "title": works.title,
        "operator": works.operator,
        "description": works.description,
        "reference": works.reference,
        "starts_on": works.starts_on.isoformat(),
        "ends_on": works.ends_on.isoformat(),
        # GeoJSON text, not the coordinate arrays: FerretDB 1.x rejects nested arrays.
        "outline": json.dumps(works.outline, separators=(",", ":")),
        "withdrawn": works.withdrawn,
        "revision": stored.revision,
        "changed_at": stored.changed_at,
        "unpublished": stored.unpublished,
    }


def _from_document(document: Document) -> StoredWorks:
    works = Works(
        id=document["_id"],
        title=document["title"],
        operator=document["operator"],
        starts_on=date.fromisoformat(document["starts_on"]),
        ends_on=date.fromisoformat(document["ends_on"]),
        outline=json.loads(document["outline"]),
        description=document.get("description", ""),
        reference=document.get("reference"),
        withdrawn=document.get("withdrawn", False),
    )
    return StoredWorks(
        works, document["revision"], document["changed_at"], document.get("unpublished", False)
    )
