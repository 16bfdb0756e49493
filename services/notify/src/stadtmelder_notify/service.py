"""The notify use case: tell the reporter about each step exactly once per event and channel."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from stadtmelder_notify.domain import delivery_key, routed_mail
from stadtmelder_notify.mailer import Mailer
from stadtmelder_notify.repository import Claim, DeliveryLog
from stadtmelder_shared import topics
from stadtmelder_shared.events import CitizenNotified, Event, ReportRouted, derived_event_id


class EventPublisher(Protocol):
    async def publish(self, topic: str, event: Event) -> None: ...


class NotifyService:
    def __init__(
        self,
        deliveries: DeliveryLog,
        mailer: Mailer,
        publisher: EventPublisher,
        public_base_url: str,
        lease: timedelta = timedelta(seconds=15),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        wait_seconds: float = 0.5,
    ) -> None:
        self._deliveries = deliveries
        self._mailer = mailer
        self._publisher = publisher
        self._base_url = public_base_url
        self._lease = lease
        self._clock = clock
        self._wait_seconds = wait_seconds

    async def notify_routed(self, event: ReportRouted) -> CitizenNotified | None:
        """Mail the reporter; None when there is nobody to tell or it was told before."""
        if event.reporter is None or event.reporter.email is None:
            return None
        recipient, language = event.reporter.email, event.reporter.language
        key = delivery_key(event.event_id, recipient, "email")
        if not await self._claim(key):
            return None
        try:
            await self._mailer.send(
                routed_mail(event, recipient, language, self._base_url), language
            )
        except Exception as error:
            await self._deliveries.mark_failed(key, type(error).__name__, self._clock())
            raise
        await self._deliveries.mark_sent(key, self._clock())
        notified = CitizenNotified(
            event_id=derived_event_id(event.event_id, f"notified:{key}"),
            report_id=event.report_id,
            jurisdiction=event.jurisdiction,
            channel="email",
            notification="routed",
            caused_by=event.event_id,
        )
        await self._publisher.publish(topics.CITIZENS_NOTIFIED, notified)
        return notified

    async def _claim(self, key: str) -> bool:
        """True once we may send; False if it was sent. Waits out another sender's lease."""
        while True:
            now = self._clock()
            claim = await self._deliveries.claim(key, now, now + self._lease)
            if claim is Claim.CLAIMED:
                return True
            if claim is Claim.ALREADY_SENT:
                return False
            await asyncio.sleep(self._wait_seconds)
