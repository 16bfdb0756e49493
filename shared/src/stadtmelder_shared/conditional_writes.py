"""Conditional updates of one document by `_id`: fast on FerretDB 1.24, atomic on MongoDB.

FerretDB 1.24 on SQLite looks a document up by index only when the filter is `{"_id": value}`
alone; any further condition (a revision, an `$ne`) makes it decode the whole collection, so a
revision-checked write cost ~0.4 s at 3,000 reports. On FerretDB we therefore check the rest of the
condition on the document read by `_id` and write by `_id` alone, both under the per-document lock
that FerretDB needs anyway (it loses concurrent updates of one document; see `keyed_locks`): atomic
within one process, which is what the local system runs. On MongoDB the whole condition stays in
the filter, so replicas racing for one document are still decided by the server.
"""

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from stadtmelder_shared.keyed_locks import KeyedLocks

Document = dict[str, Any]


def satisfies(document: Document, condition: Document) -> bool:
    """Whether `document` meets `condition`: field equality, or `{"$ne": value}` (which, as in
    MongoDB, holds when the field is missing or, for an array, when no element equals value)."""
    for field, wanted in condition.items():
        actual = document.get(field)
        if isinstance(wanted, dict):
            if set(wanted) != {"$ne"}:
                raise ValueError(f"only equality and $ne are supported, not {wanted!r}")
            unwanted = wanted["$ne"]
            if actual == unwanted or (isinstance(actual, list) and unwanted in actual):
                return False
        elif actual != wanted:
            return False
    return True


class ConditionalWrites:
    """`update(condition, update)` for one collection; the condition always names an `_id`."""

    def __init__(self, collection: AsyncCollection[Document], locks: KeyedLocks) -> None:
        self._collection = collection
        self._locks = locks
        self._filters_scan: bool | None = None

    async def update(self, condition: Document, update: Document) -> bool:
        """Apply `update` if the document with `condition["_id"]` meets `condition`; True if so."""
        document_id = condition["_id"]
        rest = {field: wanted for field, wanted in condition.items() if field != "_id"}
        async with self._locks(document_id):
            if rest and await self._on_ferretdb():
                current = await self._collection.find_one(
                    {"_id": document_id}, projection=dict.fromkeys(rest, 1)
                )
                if current is None or not satisfies(current, rest):
                    return False
                condition = {"_id": document_id}
            result = await self._collection.update_one(condition, update)
            return result.matched_count == 1

    async def _on_ferretdb(self) -> bool:
        if self._filters_scan is None:
            build = await self._collection.database.client.admin.command("buildInfo")
            self._filters_scan = "ferretdbVersion" in build
        return self._filters_scan
