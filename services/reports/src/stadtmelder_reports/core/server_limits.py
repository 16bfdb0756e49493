"""The reports adapter's storage-server specifics in one place: what it does only because FerretDB
1.24, the local server, makes no update atomic and reads every report for a filter on anything but
`_id`.

So writes to one report are serialised in the process and checked (`ConditionalWrites`), two
small side indexes keyed by `_id` answer what a MongoDB 7 index would: which report a tracking
token names (`tracking_index`) and which open reports are near a place (`HeldNearbyIndex`), and
the relay's safety net knows the outboxes this process filled without asking (`outbox_waiting`).
On MongoDB 7 all of this still holds, only cheaper than needed. Each index entry is written
before the report it points to, so a crash in between leaves an entry too many, which lookups
skip, never one too few.
"""

import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable

import bson
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.core.documents import Document, from_document
from stadtmelder_reports.core.domain import OPEN_STATUSES, Report
from stadtmelder_reports.core.outbox_waiting import WaitingEvents
from stadtmelder_reports.core.tracking_index import MongoTrackingIndex
from stadtmelder_shared.conditional_writes import ConditionalWrites
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.keyed_locks import KeyedLocks
from stadtmelder_shared.nearby import Grid, Place
from stadtmelder_shared.nearby_memory import HeldNearbyIndex

MAX_NEARBY = 200
# Nearby cells ten times as wide as the duplicate radius: the circle around a submission lies in
# one cell most of the time (1.44 cell reads on average against 4 with the shared grid's 2×),
# and a cell holds the open reports of one category around half a kilometre, a few kilobytes.
CELL_PER_RADIUS = 10.0
# New reports kept for their first read: the relay reads each within milliseconds of its write.
JUST_ADDED = 256
# Published events left in a report's outbox for its next write to drop, at most this long.
PUBLISHED_KEPT_S = 2.0


class ServerLimits:
    """Keyed conditional writes and the side indexes of the reports collection."""

    def __init__(self, database: AsyncDatabase[Document], duplicate_radius_m: float) -> None:
        self._reports: AsyncCollection[Document] = database["reports"]
        # The fields conditions on reports ask about: `revision` (staff steps, the relay),
        # `applied_events` (others' events), `supporter_keys` (support once per address); and
        # `outbox_pending`, which tells the owner of a report that events wait after its write.
        # Across replicas a report has one writer, its partition's owner (the report-owner
        # group; HTTP writes, a citizen's preferences and push subscription among them,
        # department updates, road damage and the timers' writes reach it as `commands`). The
        # lock only serialises that owner's own tasks writing one report at once: its consumer
        # (with the commands it applies) and the relay (docs/scale-out.md).
        self._conditional = ConditionalWrites(
            self._reports,
            KeyedLocks(),
            ("revision", "applied_events", "supporter_keys", "outbox_pending"),
        )
        self._when_pending: Callable[[str], None] = lambda report_id: None
        self._just_added: OrderedDict[str, Document] = OrderedDict()
        self._waiting = WaitingEvents()
        # The outboxes the relay published whole, by report: (revision read, event ids, until).
        self._published: dict[str, tuple[int, frozenset[str], float]] = {}
        self._tracking = MongoTrackingIndex(database["tracking_tokens"])
        # Where open reports are, by jurisdiction and category: duplicate lookups read cells
        # held in memory instead of every report (FerretDB scans for any filter but `_id`).
        self._nearby = HeldNearbyIndex(
            database["report_cells"], Grid(cell_m=CELL_PER_RADIUS * duplicate_radius_m)
        )

    async def before_adding(self, report: Report) -> None:
        """The place and the tracking token before the report: a crash in between leaves
        entries without a report, which lookups skip, rather than a report that is never
        offered as a duplicate or whose tracking link answers "unknown"."""
        await asyncio.gather(self._index_place(report), self._index_token(report))

    async def add(self, document: Document) -> None:
        """Store a new report after `before_adding`; its next conditional write needs no read,
        and its first read neither (`just_added`)."""
        await self._reports.insert_one(document)
        self._waiting.note(document["_id"], _event_ids(document))
        await self._conditional.inserted(document)
        self._just_added[document["_id"]] = document
        while len(self._just_added) > JUST_ADDED:
            self._just_added.popitem(last=False)

    def just_added(self, report_id: str, keep: bool = False) -> Document | None:
        """The report as this process stored it, once (unless `keep`), if nothing was written
        to it since: the relay's read right after a submission. Through BSON, so it is what a
        read would give."""
        document = (
            self._just_added.get(report_id) if keep else self._just_added.pop(report_id, None)
        )
        if document is None:
            return None
        read: Document = bson.decode(bson.encode(document), self._reports.codec_options)
        return read

    async def report_of_token(self, token_hash: str) -> str | None:
        return await self._tracking.report_of(token_hash)

    async def open_nearby(self, scope: str, centre: Location, radius_m: float) -> list[Report]:
        # The nearest are enough to suggest; each further one is another read, unless it was
        # just added (the submission being answered is among them).
        found = (await self._nearby.near(scope, centre, radius_m))[:MAX_NEARBY]
        reports = await self._read((report_id for report_id, _ in found), new_as_added=True)
        # Closed reports leave the index when a lookup meets them, so lookups stay as cheap as
        # the open reports around; a report that opens again is added back by `index_if_open`.
        for report in reports:
            if not report.is_open and report.location is not None:
                await self._nearby.remove(scope, report.id, report.location)
        return [report for report in reports if report.is_open]

    async def update(self, condition: Document, update: Document) -> bool:
        """One report's update if it meets `condition`, never at the same moment as another
        update of that report in this process (FerretDB 1.24 can lose one of two; see
        `conditional_writes`; across replicas the report's one writer is its partition's
        owner, `partition_owner`). A report left with events waiting wakes `when_pending`."""
        report_id = condition["_id"]
        self._just_added.pop(report_id, None)
        matched = await self._dropping_published(condition, update)
        if matched is None:
            matched = await self._conditional.update(condition, update)
        if matched and self._conditional.known(report_id).get("outbox_pending"):
            # Events a replica that does not own the report published and left to its owner.
            self._when_pending(condition["_id"])
        return matched

    async def _dropping_published(self, condition: Document, update: Document) -> bool | None:
        """`update` with the outbox emptied too, if the relay published all of it and nothing
        was written since (the report's revision, on FerretDB remembered from its last write):
        one write instead of the relay's own and this one. None when that does not hold; then
        the caller writes `update` alone."""
        report_id = condition["_id"]
        published = self._published.get(report_id)
        touches_outbox = any(
            field.startswith("outbox") for fields in update.values() for field in fields
        )
        if published is None or touches_outbox:
            return None
        revision = published[0]
        if self._conditional.known(report_id).get("revision") != revision:
            return None
        emptied = {**update, "$set": {**update.get("$set", {}), "outbox": [], "outbox_pending": 0}}
        # The revision in the condition: an event queued meanwhile keeps the outbox as it is.
        if not await self._conditional.update({**condition, "revision": revision}, emptied):
            return None
        self._published.pop(report_id, None)
        return True

    def published(self, report_id: str, revision: int, event_ids: Iterable[str]) -> None:
        """The relay published every event the outbox held at `revision`: none waits here any
        more, and the report's next write empties the outbox with its own change, or
        `due_published` names it after `PUBLISHED_KEPT_S` for a write of its own (at once
        where no next write could: on MongoDB, or a revision this process did not write)."""
        ids = frozenset(event_ids)
        self._waiting.forget(report_id, ids)
        before = self._published.get(report_id)
        if before is not None:
            ids |= before[1]
        # Kept only where a next write can drop them: on FerretDB, the revision remembered.
        foldable = self._conditional.known(report_id).get("revision") == revision
        until = time.monotonic() + (PUBLISHED_KEPT_S if foldable else 0.0)
        self._published[report_id] = (revision, ids, until)

    def published_before(self, report_id: str) -> frozenset[str]:
        """Events of the report's outbox published already, not to be published again."""
        published = self._published.get(report_id)
        return published[1] if published is not None else frozenset()

    def due_published(self, everything: bool = False) -> list[tuple[str, int, frozenset[str]]]:
        """The published outboxes no write of their report emptied in time, forgotten here."""
        now = time.monotonic()
        due = [key for key, (_, _, until) in self._published.items() if everything or until <= now]
        return [(key, *self._published.pop(key)[:2]) for key in due]

    def when_pending(self, wake: Callable[[str], None]) -> None:
        self._when_pending = wake

    def ownership_changed(self) -> None:
        """What this process remembers of reports may be stale once partitions moved (another
        replica wrote them meanwhile), and the reports it now owns may hold events the previous
        owner left: forget the one, and scan the whole collection for the other."""
        self._conditional.forget_all()
        self._just_added.clear()
        # A report no longer owned is emptied by its new owner (its scan publishes it again).
        self._published.clear()
        self._waiting.scan_again()

    async def update_queuing(
        self, event_ids: list[str], condition: Document, update: Document
    ) -> bool:
        """`update` for an update that puts `event_ids` into the report's outbox, noted for the
        relay's safety net once written."""
        matched = await self.update(condition, update)
        if matched:
            self._waiting.note(condition["_id"], event_ids)
        return matched

    def forget_published(self, report_id: str, event_ids: Iterable[str]) -> None:
        self._waiting.forget(report_id, event_ids)

    async def with_pending_events(self, limit: int) -> list[Report]:
        """The reports with events waiting that this process queued; at the first call after a
        start and every `WHOLE_SCAN_S`, those of the whole collection (see `outbox_waiting`)."""
        if self._waiting.whole_scan_due:
            cursor = self._reports.find({"outbox_pending": {"$gt": 0}}).limit(limit)
            reports = [from_document(document) async for document in cursor]
            if len(reports) < limit:
                self._waiting.scanned()
            for report in reports:
                self._waiting.note(report.id, event_ids(report.pending_events))
            return reports
        report_ids = self._waiting.reports(limit)
        read_at = time.monotonic()
        read = {report.id: report for report in await self._read(report_ids)}
        for report_id in report_ids:
            found = read.get(report_id)
            waiting = event_ids(found.pending_events) if found is not None else []
            self._waiting.keep_only(report_id, waiting, read_at)
        return [report for report in read.values() if report.pending_events]

    async def count_pending_events(self) -> int:
        """How many events wait in the outboxes this process filled (the relay's backlog), and
        in those the last whole scan found."""
        return self._waiting.count()

    async def index_open_reports(self) -> int:
        """Put open reports stored before the nearby index into it, once (one scan at the first
        start after an upgrade, so no migration step is needed); returns how many."""

        open_reports = self._reports.find(
            {"status": {"$in": sorted(OPEN_STATUSES)}}, projection=_PLACE
        )
        return await self._nearby.fill_once(open_reports, _place)

    async def index_tracking_tokens(self) -> int:
        """Put the tracking tokens of reports stored before the tracking index into it, once
        per database (one scan at the first start after an upgrade); returns how many."""

        async def tokens() -> AsyncIterator[tuple[str, str]]:
            cursor = self._reports.find({}, projection={"tracking_token_hash": 1})
            async for document in cursor:
                if document.get("tracking_token_hash"):
                    yield document["tracking_token_hash"], document["_id"]

        return await self._tracking.fill_once(tokens())

    async def index_if_open(self, report_id: str) -> None:
        """Put a report worked on back into the nearby index: a lookup may have pruned it while
        it was resolved or forwarded. Staff steps are rare next to submissions."""
        document = await self._reports.find_one({"_id": report_id})
        report = from_document(document) if document is not None else None
        if report is not None and report.is_open and report.location is not None:
            await self._nearby.add(nearby_scope(report), report.id, report.location)

    async def _index_token(self, report: Report) -> None:
        if report.tracking_token_hash:
            await self._tracking.note(report.tracking_token_hash, report.id)

    async def _index_place(self, report: Report) -> None:
        if report.location is not None:
            await self._nearby.add(nearby_scope(report), report.id, report.location)

    async def _read(self, report_ids: Iterable[str], new_as_added: bool = False) -> list[Report]:
        """Reports by `_id`, one read each: the only filter FerretDB answers without a scan;
        with `new_as_added`, those just added as stored, without a read (and kept for the
        relay's read)."""

        async def read(report_id: str) -> Document | None:
            added = self.just_added(report_id, keep=True) if new_as_added else None
            return added or await self._reports.find_one({"_id": report_id})

        documents = await asyncio.gather(*(read(report_id) for report_id in report_ids))
        return [from_document(document) for document in documents if document is not None]


def event_ids(events: Iterable[tuple[str, Event]]) -> list[str]:
    return [event.event_id for _, event in events]


def _event_ids(document: Document) -> list[str]:
    return [entry["event"]["event_id"] for entry in document.get("outbox", [])]


def nearby_scope(report: Report) -> str:
    # The same scope as `_place` builds from stored documents.
    return f"{report.jurisdiction}/{report.category.code}"


# What `_place` reads of a stored report.
_PLACE = {"jurisdiction": 1, "category.code": 1, "location": 1}


def _place(document: Document) -> Place | None:
    if not document.get("location"):
        return None
    scope = f"{document['jurisdiction']}/{document['category']['code']}"
    return scope, document["_id"], Location.model_validate(document["location"])
