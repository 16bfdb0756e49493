"""The outbox relay engine: publishes the events waiting inside stored documents, then marks
them sent; one engine for every store with an outbox (reports, area alerts)."""

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

from stadtmelder_reports.core.domain import Report
from stadtmelder_reports.core.outbox_store import DocumentOutbox, OutboxStore, Pending
from stadtmelder_reports.core.repository import ReportRepository
from stadtmelder_reports.errors import ReportNotFound
from stadtmelder_shared.kafka import EventPublisher
from stadtmelder_shared.tracing import continued

log = logging.getLogger(__name__)
T = TypeVar("T")
# Documents published at once per pass. One at a time fell seconds behind 25/s on the local
# system; 16 kept up, but took FerretDB and the event loop from submissions (their closed-loop
# ceiling fell from ~100/s to ~75/s); 4 keeps up at 25/s and costs less.
CONCURRENT_DOCUMENTS = 4
# Documents read per pass of the safety-net scan; a full batch is followed by the next at once.
BATCH_SIZE = 100
# After a failed pass the relay waits, doubling from the first to the longest pause. Retrying
# soon after Kafka returns does not depend on how rarely the safety net scans.
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 10.0


class ReportOutbox(DocumentOutbox[Report]):
    """The reports' outbox: each event keeps the trace it was queued in, and what the relay
    published leaves the outbox with the report's next write when one follows at once."""

    def __init__(self, repository: ReportRepository) -> None:
        self._repository = repository
        super().__init__("report_id", repository, self._report)

    async def _report(self, report_id: str) -> Report | None:
        try:
            return await self._repository.get(report_id)
        except ReportNotFound:
            return None

    async def pending_batch(self, limit: int) -> list[Pending]:
        await self._repository.settle_published()
        return await super().pending_batch(limit)

    async def mark_sent(self, pending: Pending, event_ids: Sequence[str]) -> None:
        # Emptied with the report's next write, which comes within milliseconds of a new
        # report's announcement (its routing), or by a write of its own a moment later.
        self._repository.published(pending.key, pending.revision, event_ids)
        await self._repository.settle_published()

    async def finish(self) -> None:
        """The relay stopped: what it published leaves the outboxes now."""
        await self._repository.settle_published(everything=True)

    def handed_over(self, pending: Pending, event_ids: Sequence[str]) -> None:
        self._repository.handed_over(pending.key, event_ids)

    def pending(self, document: Report) -> Pending:
        published = self._repository.published_before(document.id)
        events = [each for each in document.pending_events if each[1].event_id not in published]
        return Pending(document.id, document.revision, events, document.trace_contexts)


class Owner(Protocol):
    """Which documents this replica owns (`partition_owner.PartitionOwnership`)."""

    def owns(self, key: str) -> bool: ...

    async def settled(self) -> None:
        """Returns once ownership is known (or waiting longer would stall the relay)."""
        ...


class OutboxRelay:
    """Runs until `stop()`. `wake(key)` after a write sends that document's events at once,
    found by its key; a full scan for pending events runs at most every `poll_seconds` as the
    safety net, because on FerretDB 1.24 a query on any other field reads the whole collection.
    Every write that queues an event wakes the relay with its key, so the scan only finds what
    a crash or a failed pass left behind. Publishing is at least once, in order per document.

    With an `owner`, the relay marks sent only the events of documents this replica owns (the one
    writer of a document, `partition_owner`); another's it publishes and leaves to the owner."""

    def __init__(
        self,
        outbox: OutboxStore,
        publisher: EventPublisher,
        poll_seconds: float = 10.0,
        owner: Owner | None = None,
        finish: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._outbox = outbox
        self._publisher = publisher
        self._owner = owner
        self._poll_seconds = poll_seconds
        self._wakeup = asyncio.Event()
        self._hinted: set[str] = set()
        self._last_scan = -math.inf
        self._stopping = False
        self._stopped = asyncio.Event()
        # What the outbox needs done once the relay stopped (the reports': see `ReportOutbox`).
        self._finish = finish

    def stop(self) -> None:
        """Finish the pass under way and the documents named so far, then let `run` return:
        on shutdown everything the service accepted is announced before Kafka closes."""
        self._stopping = True
        self._stopped.set()
        self._wakeup.set()

    def wake(self, key: str | None = None) -> None:
        if key is not None:
            self._hinted.add(key)
        self._wakeup.set()

    async def publish_hinted(self) -> int:
        """Publish the events of the documents named by `wake`; returns how many."""
        hinted, self._hinted = self._hinted, set()
        try:
            return await self._publish_each(sorted(hinted), self._publish_named)
        except Exception:
            self._hinted |= hinted  # tried again at the next pass, or by the scan
            raise

    async def publish_pending(self) -> int:
        """One pass over the whole outbox; returns how many events were published."""
        batch = await self._outbox.pending_batch(BATCH_SIZE)
        return await self._publish_each(batch, self._publish)

    async def _publish_each(
        self, items: Sequence[T], publish: Callable[[T], Awaitable[int]]
    ) -> int:
        """Several documents at a time: each round trip to MongoDB and Kafka is waited for, and
        one at a time the relay fell behind submissions. A document's own events stay in order."""
        limit = asyncio.Semaphore(CONCURRENT_DOCUMENTS)

        async def limited(item: T) -> int:
            async with limit:
                return await publish(item)

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(limited(item)) for item in items]
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None
        return sum(task.result() for task in tasks)

    async def _publish_named(self, key: str) -> int:
        pending = await self._outbox.pending_of(key)
        return 0 if pending is None else await self._publish(pending)

    async def _publish(self, pending: Pending) -> int:
        sent = []
        for topic, event in pending.events:
            with continued(pending.trace_contexts.get(event.event_id)):
                await self._publisher.publish(topic, event)
            sent.append(event.event_id)
            log.info(
                "event published",
                extra={
                    self._outbox.key_name: pending.key,
                    "event_id": event.event_id,
                    "topic": topic,
                },
            )
        if not sent:
            return 0
        if self._owner is None or self._owner.owns(pending.key):
            await self._outbox.mark_sent(pending, sent)
        else:
            # A second writer of the document would meet its owner's writes (FerretDB 1.24
            # then loses one): the owner drops them from the outbox, republishing at worst.
            self._outbox.handed_over(pending, sent)
        return len(sent)

    async def _finished(self) -> None:
        if self._finish is None:
            return
        try:
            await self._finish()
        except Exception:
            # The events went out; a start's scan publishes them again, which consumers bear.
            log.exception("outbox relay could not drop what it published from the outboxes")

    async def _settled(self, owner: Owner) -> None:
        """Until ownership is known, or `stop()`."""
        waits = [
            asyncio.ensure_future(owner.settled()),
            asyncio.ensure_future(self._stopped.wait()),
        ]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    async def run(self) -> None:
        backoff = FIRST_BACKOFF_SECONDS
        while True:
            stopping = self._stopping
            # Cleared before the pass, not after: a wake or stop() during the pass is kept.
            self._wakeup.clear()
            if self._owner is not None and not stopping:
                # While a rebalance is under way nobody owns anything: what is published
                # then would all be left to the owners, who publish it again.
                await self._settled(self._owner)
            try:
                published = await self.publish_hinted()
                if time.monotonic() - self._last_scan >= self._poll_seconds:
                    published += await self.publish_pending()
                    self._last_scan = time.monotonic()
            except Exception:
                # Kafka or MongoDB away: the events stay in the outbox and go out later.
                log.exception("outbox relay could not publish; retrying in %.1f s", backoff)
                if self._stopping:
                    return  # after a restart, the scan finds what is left
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            # A pass that began after `stop()` has seen every document woken before it.
            if stopping and not self._hinted:
                log.info("outbox relay stopped after its last pass")
                await self._finished()
                return
            backoff = FIRST_BACKOFF_SECONDS
            if published >= BATCH_SIZE or self._hinted:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._poll_seconds)
