"""The outbox relay: publishes events waiting inside report documents, then marks them sent."""

import asyncio
import contextlib
import logging
from typing import Protocol

from stadtmelder_reports.repository import ReportRepository
from stadtmelder_shared.events import Event

log = logging.getLogger(__name__)


class EventPublisher(Protocol):
    async def publish(self, topic: str, event: Event) -> None: ...


class OutboxRelay:
    """Runs until cancelled; wakes on `wake()` after a submission and polls as a safety net."""

    def __init__(
        self,
        repository: ReportRepository,
        publisher: EventPublisher,
        poll_seconds: float = 1.0,
        batch_size: int = 100,
        max_backoff_seconds: float = 10.0,
    ) -> None:
        self._repository = repository
        self._publisher = publisher
        self._poll_seconds = poll_seconds
        self._batch_size = batch_size
        self._max_backoff = max_backoff_seconds
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        self._wakeup.set()

    async def publish_pending(self) -> int:
        """One pass over the outbox; returns how many events were published."""
        published = 0
        for report in await self._repository.with_pending_events(self._batch_size):
            sent = []
            for topic, event in report.pending_events:
                await self._publisher.publish(topic, event)
                sent.append(event.event_id)
                log.info(
                    "event published",
                    extra={"report_id": report.id, "event_id": event.event_id, "topic": topic},
                )
            await self._repository.mark_published(report.id, sent)
            published += len(sent)
        return published

    async def run(self) -> None:
        backoff = self._poll_seconds
        while True:
            try:
                published = await self.publish_pending()
            except Exception:
                # Kafka or MongoDB away: the events stay in the outbox and go out later.
                log.exception("outbox relay could not publish; retrying in %.1f s", backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            backoff = self._poll_seconds
            if published >= self._batch_size:
                continue
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._poll_seconds)
