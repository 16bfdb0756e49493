"""Where the statistics keep each report's facts: a Protocol and its MongoDB adapter."""

from collections import OrderedDict
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Protocol

from pydantic import TypeAdapter
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from stadtmelder_reports.statistics.domain import ReportFacts
from stadtmelder_shared.conditional_writes import ConditionalWrites
from stadtmelder_shared.keyed_locks import KeyedLocks

Document = dict[str, Any]
# Facts read per batch when the read model is built: a report's facts are a few hundred bytes.
BATCH = 1000
# Facts kept as this process wrote them last: a report's events come within seconds.
RECENT = 4096


# The facts as a document's fields (datetimes stay BSON dates) and back.
FACTS = TypeAdapter(ReportFacts)
# A report's facts as stored, with the revision a conditional write names.
StoredFacts = tuple[ReportFacts, int]


class FactsStore(Protocol):
    async def get(self, report_id: str, known_only: bool = False) -> StoredFacts | None:
        """The report's stored facts; with `known_only`, None rather than a read when the
        store does not know them without one."""
        ...

    async def put(self, facts: ReportFacts, revision: int | None) -> bool:
        """Store `facts` if the stored ones are still at `revision` (None: none stored yet);
        False when another writer came first: read again and apply the event anew."""
        ...

    def every(self) -> AsyncIterator[list[ReportFacts]]:
        """All facts, a batch at a time."""
        ...


class SubmissionTimes(Protocol):
    async def submitted_at(self, report_id: str) -> datetime | None:
        """When the report was sent; None for a report not stored."""
        ...


class MongoSubmissionTimes:
    """From the report itself (its `created_at` is its submission's time), read by `_id`."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._reports = database["reports"]

    async def submitted_at(self, report_id: str) -> datetime | None:
        document = await self._reports.find_one({"_id": report_id}, projection={"created_at": 1})
        return document.get("created_at") if document else None


class MongoFactsStore:
    """One document per report; `revision` makes each write conditional on the one read.

    The facts this process wrote last are answered without a read: the statistics' consumers
    take a report's lock around read and write, so what they wrote is what is stored, unless
    another replica wrote meanwhile, which the conditional write notices (then it is read)."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._facts = database["statistics_facts"]
        self._conditional = ConditionalWrites(self._facts, KeyedLocks(), remembered=("revision",))
        self._recent: OrderedDict[str, StoredFacts] = OrderedDict()

    async def get(self, report_id: str, known_only: bool = False) -> StoredFacts | None:
        recent = self._recent.get(report_id)
        if recent is not None or known_only:
            return recent
        document = await self._facts.find_one({"_id": report_id})
        return _stored(document) if document else None

    async def put(self, facts: ReportFacts, revision: int | None) -> bool:
        # Forgotten first: after a failed or refused write, the next `get` reads.
        self._recent.pop(facts.report_id, None)
        fields = FACTS.dump_python(facts)
        if revision is None:
            document = {"_id": facts.report_id, "revision": 1, **fields}
            try:
                await self._facts.insert_one(document)
            except DuplicateKeyError:
                return False
            await self._conditional.inserted(document)
        elif not await self._conditional.update(
            {"_id": facts.report_id, "revision": revision},
            {"$set": fields, "$inc": {"revision": 1}},
        ):
            return False
        self._recent[facts.report_id] = (facts, (revision or 0) + 1)
        while len(self._recent) > RECENT:
            self._recent.popitem(last=False)
        return True

    async def every(self) -> AsyncIterator[list[ReportFacts]]:
        batch: list[ReportFacts] = []
        async for document in self._facts.find({}).sort("_id").batch_size(BATCH):
            batch.append(_stored(document)[0])
            if len(batch) == BATCH:
                yield batch
                batch = []
        if batch:
            yield batch


def _stored(document: Document) -> StoredFacts:
    return FACTS.validate_python({**document, "report_id": document["_id"]}), document["revision"]
