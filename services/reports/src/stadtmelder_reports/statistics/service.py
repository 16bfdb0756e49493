"""Statistics' use cases: take a lifecycle event into the report's facts and the read model,
build the read model from the stored facts, and answer a selection."""

import logging
import time
from dataclasses import dataclass, field

from stadtmelder_reports.statistics.domain import ReportFacts, after, stored_time, submitted
from stadtmelder_reports.statistics.figures import Aggregates, Breakdown, Selection
from stadtmelder_reports.statistics.store import FactsStore, SubmissionTimes
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.keyed_locks import KeyedLocks
from stadtmelder_shared.report_events import ReportRouted, ReportUnroutable

log = logging.getLogger(__name__)
# Another writer stored the same report's facts between our read and write this many times in a
# row: the event is left to be redelivered.
WRITE_ATTEMPTS = 3


class FactsChangedMeanwhile(Exception):
    """Another consumer kept writing the report's facts; worth another delivery."""


class StatisticsNotReady(Exception):
    """The read model is still being built from the stored facts (after a start)."""


@dataclass
class StatisticsService:
    store: FactsStore
    aggregates: Aggregates = field(default_factory=Aggregates)
    locks: KeyedLocks = field(default_factory=KeyedLocks)
    rebuild_seconds: float = 600.0
    # When a report was sent, for an answer of a routing that did not carry it yet.
    submissions: SubmissionTimes | None = None
    ready: bool = False
    built_at: float = 0.0
    # Reports whose facts changed while a rebuild read the store, to be read again after it.
    _touched: set[str] | None = None

    async def record(self, event: Event) -> bool:
        """Take `event` into its report's facts; False when it changed nothing (seen before)."""
        async with self.locks(event.report_id):
            for attempt in range(WRITE_ATTEMPTS):
                # First only what the store knows without a read: a report's facts it did not
                # write lately are nearly always new, so they are inserted without a read (an
                # insert refused means they are stored; they are read at the next attempt).
                stored = await self.store.get(event.report_id, known_only=attempt == 0)
                facts, revision = stored or (ReportFacts(event.report_id), None)
                changed = await self._with_submission(after(facts, event), event)
                if revision is not None and changed == facts:
                    self._take(facts)
                    return False
                if await self.store.put(changed, revision):
                    self._take(changed)
                    return True
        raise FactsChangedMeanwhile(event.report_id)

    async def _with_submission(self, facts: ReportFacts, event: Event) -> ReportFacts:
        """Routing answers carry the submission since `submitted_at`; the statistics read no
        `reports.submitted` of their own, so an older answer's is read from the report."""
        if not isinstance(event, ReportRouted | ReportUnroutable) or self.submissions is None:
            return facts
        if facts.submitted_at is not None:
            return facts
        at = await self.submissions.submitted_at(event.report_id)
        return facts if at is None else submitted(facts, stored_time(at), event.category.code)

    def _take(self, facts: ReportFacts) -> None:
        self.aggregates.put(facts)
        if self._touched is not None:
            self._touched.add(facts.report_id)

    async def rebuild(self) -> None:
        """Build the read model anew from every report's stored facts and put it in place.

        At a start, and on the service's timer: with several replicas, each consumes the events
        of its partitions only and learns of the others' reports from the store this way.
        """
        self._touched = set()
        try:
            fresh = Aggregates()
            async for batch in self.store.every():
                for facts in batch:
                    fresh.put(facts)
            # Changed while the store was read: their facts may have been read before the change.
            while self._touched:
                again, self._touched = self._touched, set()
                for report_id in sorted(again):
                    stored = await self.store.get(report_id)
                    if stored is not None:
                        fresh.put(stored[0])
        finally:
            self._touched = None
        fresh.version = self.aggregates.version + 1
        self.aggregates = fresh
        self.ready = True
        self.built_at = time.monotonic()
        log.info("statistics read model built", extra={"reports": len(fresh.held)})

    async def keep_fresh(self) -> None:
        """The timer's step: build at once until the first build succeeded, then every
        `rebuild_seconds`."""
        if not self.ready or time.monotonic() - self.built_at >= self.rebuild_seconds:
            await self.rebuild()

    def breakdown(self, selection: Selection) -> Breakdown:
        if not self.ready:
            raise StatisticsNotReady()
        return self.aggregates.breakdown(selection)
