"""Bulk replacements in batches: FerretDB 1.24's limit, in one place for every service.

FerretDB 1.24 on SQLite keeps a connection for every statement of one update command that
replaces an existing document until the command ends; past its pool of 100 the command waits
for itself forever, and every later command on that database with it (measured: 101 replaced
documents hang, 99 do not). A flush of many road pieces and a re-import of containers, areas or
assets go in batches well below that.
"""

from collections.abc import Sequence
from typing import Any

from pymongo import ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection

WRITE_BATCH = 50


async def replace_in_batches(
    collection: AsyncCollection[dict[str, Any]], writes: Sequence[ReplaceOne[dict[str, Any]]]
) -> None:
    for start in range(0, len(writes), WRITE_BATCH):
        await collection.bulk_write(list(writes[start : start + WRITE_BATCH]), ordered=False)
