"""Work done once per database, such as filling a new index from documents stored before it."""

from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError


async def once_per_database(
    collection: AsyncCollection[dict[str, Any]], marker: str, fill: Callable[[], Awaitable[int]]
) -> int:
    """Run `fill` unless the document `marker` in `collection` says it ran; returns how much it
    added. The marker is written last, so a start that dies while filling leaves the fill to the
    next start. Safe for several replicas at once if `fill` is."""
    if await collection.find_one({"_id": marker}) is not None:
        return 0
    added = await fill()
    # Another replica, starting at the same moment, may write the marker first.
    with suppress(DuplicateKeyError):
        await collection.update_one(
            {"_id": marker}, {"$set": {"at": datetime.now(UTC), "added": added}}, upsert=True
        )
    return added
