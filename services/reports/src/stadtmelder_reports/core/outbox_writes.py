"""The MongoDB writes of an outbox kept inside documents, shared by every store with one
(reports, area alerts): drop the events the relay published, keep those queued since."""

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

Document = dict[str, Any]
# The store's conditional write: applies the update when the condition matches, says whether it
# did (the stores serialise these writes themselves, see `conditional_writes`).
ConditionalUpdate = Callable[[Document, Document], Awaitable[bool]]


async def clear_outbox(update: ConditionalUpdate, key: str, revision: int) -> bool:
    """Empty the document's outbox if it is still at `revision`, as the relay read it: then
    every event in it was published and no second read of the outbox is needed."""
    return await update(
        {"_id": key, "revision": revision},
        {"$set": {"outbox": [], "outbox_pending": 0}, "$inc": {"revision": 1}},
    )


async def drop_published(
    documents: AsyncCollection[Document],
    update: ConditionalUpdate,
    key: str,
    event_ids: Iterable[str],
) -> bool:
    """Remove these events from the document's outbox; False when the document is gone."""
    published = set(event_ids)
    # Another writer may append events between our read and this write: compare revisions
    # and retry, so an event appended meanwhile is never dropped from the outbox.
    while True:
        document = await documents.find_one({"_id": key}, projection={"outbox": 1, "revision": 1})
        if document is None:
            return False
        remaining = [e for e in document["outbox"] if e["event"]["event_id"] not in published]
        changed = await update(
            {"_id": key, "revision": document["revision"]},
            {
                "$set": {"outbox": remaining, "outbox_pending": len(remaining)},
                "$inc": {"revision": 1},
            },
        )
        if changed:
            return True
