"""The outbox relay: publishes events waiting inside report documents, then marks them sent."""

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

from stadtmelder_reports.domain import Report
from stadtmelder_reports.errors import ReportNotFound
from stadtmelder_reports.repository import ReportRepository
from stadtmelder_shared.events import Event
from stadtmelder_shared.tracing import continued

log = logging.getLogger(__name__)
T = TypeVar("T")
# Reports published at once per pass. One at a time fell seconds behind 25/s on the local
# system; 16 kept up, but took FerretDB and the event loop from submissions (their closed-loop
# ceiling fell from ~100/s to ~75/s); 4 keeps up at 25/s and costs less.
CONCURRENT_REPORTS = 4


class EventPublisher(Protocol):
    async def publish(self, topic: str, event: Event) -> None: ...


class OutboxRelay:
    """Runs until `stop()`. `wake(report_id)` after a write sends that report's events at once,
    found by `_id`; a full scan for pending events runs at most every `poll_seconds` as the
    safety net, because on FerretDB 1.24 a query on any other field reads the whole collection.
    Every write that queues an event wakes the relay with its report, so the scan only finds
    what a crash or a failed pass left behind."""

    def __init__(
        self,
        repository: ReportRepository,
        publisher: EventPublisher,
        poll_seconds: float = 10.0,
        batch_size: int = 100,
        first_backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 10.0,
    ) -> None:
        self._repository = repository
        self._publisher = publisher
        self._poll_seconds = poll_seconds
        self._batch_size = batch_size
        # Retrying soon after Kafka returns does not depend on how rarely the safety net scans.
        self._first_backoff = min(first_backoff_seconds, max_backoff_seconds)
        self._max_backoff = max_backoff_seconds
        self._wakeup = asyncio.Event()
        self._hinted: set[str] = set()
        self._last_scan = -math.inf
        self._stopping = False

    def stop(self) -> None:
        """Finish the pass under way and the reports named so far, then let `run` return:
        on shutdown every report the service accepted is announced before Kafka closes."""
        self._stopping = True
        self._wakeup.set()

    def wake(self, report_id: str | None = None) -> None:
        if report_id is not None:
            self._hinted.add(report_id)
        self._wakeup.set()

    async def publish_hinted(self) -> int:
        """Publish the events of the reports named by `wake`; returns how many."""
        hinted, self._hinted = self._hinted, set()
        try:
            return await self._publish_each(sorted(hinted), self._publish_named)
        except Exception:
            self._hinted |= hinted  # tried again at the next pass, or by the scan
            raise

    async def publish_pending(self) -> int:
        """One pass over the whole outbox; returns how many events were published."""
        reports = await self._repository.with_pending_events(self._batch_size)
        return await self._publish_each(reports, self._publish)

    async def _publish_each(
        self, items: Sequence[T], publish: Callable[[T], Awaitable[int]]
    ) -> int:
        """Several reports at a time: each round trip to MongoDB and Kafka is waited for, and
        one at a time the relay fell behind submissions. A report's own events stay in order."""
        limit = asyncio.Semaphore(CONCURRENT_REPORTS)

        async def limited(item: T) -> int:
            async with limit:
                return await publish(item)

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(limited(item)) for item in items]
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None
        return sum(task.result() for task in tasks)

    async def _publish_named(self, report_id: str) -> int:
        try:
            report = await self._repository.get(report_id)
        except ReportNotFound:
            return 0
        return await self._publish(report)

    async def _publish(self, report: Report) -> int:
        sent = []
        for topic, event in report.pending_events:
            with continued(report.trace_contexts.get(event.event_id)):
                await self._publisher.publish(topic, event)
            sent.append(event.event_id)
            log.info(
                "event published",
                extra={"report_id": report.id, "event_id": event.event_id, "topic": topic},
            )
        if sent and not await self._repository.clear_outbox(report.id, report.revision, sent):
            await self._repository.mark_published(report.id, sent)
        return len(sent)

    async def run(self) -> None:
        backoff = self._first_backoff
        while True:
            stopping = self._stopping
            # Cleared before the pass, not after: a wake or stop() during the pass is kept.
            self._wakeup.clear()
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
                backoff = min(backoff * 2, self._max_backoff)
                continue
            # A pass that began after `stop()` has seen every report woken before it.
            if stopping and not self._hinted:
                log.info("outbox relay stopped after its last pass")
                return
            backoff = self._first_backoff
            if published >= self._batch_size or self._hinted:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._poll_seconds)
