"""Conditional updates of one document by `_id`: fast on FerretDB 1.24, atomic on MongoDB.

FerretDB 1.24 on SQLite looks a document up by index only when the filter is `{"_id": value}`
alone; any further condition (a revision, an `$ne`) makes it decode the whole collection, so a
revision-checked write cost ~0.4 s at 3,000 reports. On FerretDB we therefore check the rest of the
condition on the document read by `_id` and write by `_id` alone, both under the per-document lock
that FerretDB needs anyway (it loses concurrent updates of one document; see `keyed_locks`): atomic
within one process, which is what the local system runs. On MongoDB the whole condition stays in
the filter, so replicas racing for one document are still decided by the server.

A store may name the fields its conditions ask about (`remembered`): on FerretDB each write then
answers with those fields as it left them, kept for the documents written last, so the next
conditional write of a document this process wrote needs no read first. That holds as long as
this process is the one writer of the document, which the lock above already assumes.
"""

from collections import OrderedDict
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

from stadtmelder_shared.keyed_locks import KeyedLocks

Document = dict[str, Any]
# Documents whose condition fields are remembered, the ones written last: a report is written a
# few times within a second of its submission, then rarely.
REMEMBERED_DOCUMENTS = 4096


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

    def __init__(
        self,
        collection: AsyncCollection[Document],
        locks: KeyedLocks,
        remembered: tuple[str, ...] = (),
    ) -> None:
        self._collection = collection
        self._locks = locks
        self._filters_scan: bool | None = None
        self._remembered = remembered
        self._known: OrderedDict[Any, Document] = OrderedDict()

    async def inserted(self, document: Document) -> None:
        """This process just inserted `document`: its next conditional write needs no read."""
        if self._remembered and await self._on_ferretdb():
            self._remember(document["_id"], document)

    async def update(self, condition: Document, update: Document) -> bool:
        """Apply `update` if the document with `condition["_id"]` meets `condition`; True if so."""
        document_id = condition["_id"]
        rest = {field: wanted for field, wanted in condition.items() if field != "_id"}
        async with self._locks(document_id):
            on_ferretdb = await self._on_ferretdb()
            if rest and on_ferretdb:
                current = self._known_state(document_id, rest)
                if current is None:
                    current = await self._collection.find_one(
                        {"_id": document_id}, projection=dict.fromkeys(rest, 1)
                    )
                if current is None or not satisfies(current, rest):
                    return False
                condition = {"_id": document_id}
            if not (self._remembered and on_ferretdb):
                result = await self._collection.update_one(condition, update)
                return result.matched_count == 1
            return await self._update_remembering(document_id, update)

    async def _update_remembering(self, document_id: Any, update: Document) -> bool:
        # Forgotten first: should the write fail, whether it took effect is unknown.
        self._known.pop(document_id, None)
        # The whole document: FerretDB 1.24 refuses a projection (`fields`) in findAndModify.
        after = await self._collection.find_one_and_update(
            {"_id": document_id}, update, return_document=ReturnDocument.AFTER
        )
        if after is None:
            return False
        self._remember(document_id, after)
        return True

    def known(self, document_id: Any) -> Document:
        """The remembered fields of a document as this process last wrote it; empty if none."""
        return self._known.get(document_id, {})

    def forget_all(self) -> None:
        """Another process may have written any document since: read each again."""
        self._known.clear()

    def _known_state(self, document_id: Any, rest: Document) -> Document | None:
        known = self._known.get(document_id)
        if known is None or not set(rest) <= set(self._remembered):
            return None
        return known

    def _remember(self, document_id: Any, document: Document) -> None:
        # A field missing here is missing in the document: it was asked for and not there.
        self._known[document_id] = {f: document[f] for f in self._remembered if f in document}
        self._known.move_to_end(document_id)
        while len(self._known) > REMEMBERED_DOCUMENTS:
            self._known.popitem(last=False)

    async def _on_ferretdb(self) -> bool:
        if self._filters_scan is None:
            build = await self._collection.database.client.admin.command("buildInfo")
            self._filters_scan = "ferretdbVersion" in build
        return self._filters_scan
